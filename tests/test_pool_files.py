"""Input files, tarballs, output folders and the log file, through real jobs on a schedd
that cannot see this machine: the job sees exactly the files and variables the documentation
promises, and once fetched, its -d folder and -L log are where the user asked, on this
machine, though everything the job was submitted from is gone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pool_support import run_cli, submitted_id

pytestmark = pytest.mark.pool

FILES = Path(__file__).parent / "data" / "files"

#: What report.sh writes for its arguments `first` and `second arg` (see README, "Files").
REPORT = """\
args: 2
arg: [first]
arg: [second arg]
RUN=[7]
GREETING=[hello, world]
input: calib.db code input.txt more
input.txt: the input
calib.db: calibration v3
tar 0: code.tgz ./config.txt ./lib/setup.sh
tar 1: more.tgz ./data.txt
lib: #!/bin/sh
echo setup done
"""


def _check(work: Path) -> None:
    assert (work / "results" / "report.txt").read_text() == REPORT
    log = (work / "logs" / "job.log").read_text()
    assert log.splitlines() == ["to stdout", "to stderr"]


def _submit_forget_fetch(capsys, work: Path, *argv: str) -> tuple[str, Path]:
    """Submit; delete every input and the compiled folder; wait and fetch. (id, logs)"""
    code, out, err = run_cli(capsys, "submit", "-o", "out", *argv)
    assert code == 0, err
    job_id = submitted_id(out)
    for path in list(work.iterdir()):
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    code, out, err = run_cli(capsys, "wait", job_id, "--timeout", "300", "--fetch",
                             "--destdir", "fetched")
    assert code == 0, out + err
    assert f"put the job's outputs in {work / 'results'}\n" in out
    assert f"put the job's outputs in {work / 'logs' / 'job.log'}\n" in out
    return job_id, work / "fetched" / job_id


def test_single_job_gets_its_files(pool_cwd, capsys, monkeypatch):
    work = pool_cwd / "single"
    shutil.copytree(FILES, work)
    monkeypatch.chdir(work)
    _job, logs = _submit_forget_fetch(
        capsys, work, "-e", "RUN=7", "-e", "GREETING=hello, world",
        "-f", "input.txt", "-f", "dropbox://calib.db",
        "--tar_file_name", "tardir://code", "--tarball_exclusion_file", "exclude.txt",
        "--tar_file_name", "tardir://more", "-d", "OUT", "results", "-L", "logs/job.log",
        "file://report.sh", "first", "second arg")
    _check(work)
    [stdout] = logs.glob("*.out")
    assert stdout.read_text().splitlines() == ["to stdout", "to stderr"]  # -L: also here
    assert not list(logs.glob("*.outputs.tar"))  # unpacked into place, not handed out


def test_dag_node_gets_its_files(pool_cwd, capsys, monkeypatch):
    work = pool_cwd / "dag"
    shutil.copytree(FILES, work)
    monkeypatch.chdir(work)
    _job, logs = _submit_forget_fetch(capsys, work, "--dag", "file://files.dagnabbit")
    _check(work)
    assert {"files.dag", "stage_1.sub", "stage_1.sh", "files.dag.dagman.out"} <= \
        {p.name for p in logs.iterdir()}


def test_partial_fetch_in_a_zip_leaves_the_job_for_a_whole_fetch(pool_cwd, capsys,
                                                                  monkeypatch):
    import zipfile

    work = pool_cwd / "partial"
    shutil.copytree(FILES, work)
    monkeypatch.chdir(work)
    code, out, err = run_cli(capsys, "submit", "-o", "out", "-e", "RUN=7",
                             "-e", "GREETING=hello, world", "-f", "input.txt",
                             "-f", "dropbox://calib.db", "--tar_file_name", "tardir://code",
                             "--tarball_exclusion_file", "exclude.txt",
                             "--tar_file_name", "tardir://more", "-d", "OUT", "results",
                             "-L", "logs/job.log", "file://report.sh", "first", "second arg")
    assert code == 0, err
    job_id = submitted_id(out)
    assert run_cli(capsys, "wait", job_id, "--timeout", "300")[0] == 0
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--partial", "--archive-format",
                             "zip", "--condor")
    assert code == 0, err
    names = zipfile.ZipFile(work / f"{job_id}.zip").namelist()
    assert "simple.sub" in names and "files/report.sh" in names
    assert any(n.endswith(".out") for n in names)
    assert not any(n.endswith(".outputs.tar") for n in names)
    assert not (work / "results").exists()  # nothing put in place
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--destdir", "whole")
    assert code == 0 and "put the job's outputs in" in out, err
    _check(work)
