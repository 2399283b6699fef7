"""Input files, tarballs, output folders and the log file, inside real jobs in the pool: the
job sees exactly the files and variables the documentation promises, and its -d folder and
-L log come back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.pool_support import make_writable_tree, submit_and_wait

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


def test_single_job_gets_its_files(pool_cwd, capsys, monkeypatch):
    work = pool_cwd / "single"
    shutil.copytree(FILES, work)
    make_writable_tree(work)  # the job (the pool's user) creates results/ and logs/ here
    monkeypatch.chdir(work)
    submit_and_wait(capsys, "submit", "-o", "out", "-e", "RUN=7", "-e", "GREETING=hello, world",
         "-f", "input.txt", "-f", "dropbox://calib.db",
         "--tar_file_name", "tardir://code", "--tarball_exclusion_file", "exclude.txt",
         "--tar_file_name", "tardir://more", "-d", "OUT", "results", "-L", "logs/job.log",
         "file://report.sh", "first", "second arg")
    _check(work)
    [stdout] = (work / "out").glob("*.out")
    assert stdout.read_text().splitlines() == ["to stdout", "to stderr"]  # -L: also here
    assert sorted(p.name for p in (work / "out").iterdir() if p.name.startswith(".empty")) \
        == [".empty_file"]  # the only file HTCondor transferred back


def test_dag_node_gets_its_files(pool_cwd, capsys, monkeypatch):
    work = pool_cwd / "dag"
    shutil.copytree(FILES, work)
    make_writable_tree(work)  # the job (the pool's user) creates results/ and logs/ here
    monkeypatch.chdir(work)
    submit_and_wait(capsys, "submit", "--dag", "-o", "out", "file://files.dagnabbit")
    _check(work)
