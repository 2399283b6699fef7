"""Compiled workflows run unchanged under the real `condor_submit_dag` of a real pool, and
every argument and environment value reaches the job exactly as written. This is the
by-hand route: the compiled folder is copied to the schedd host and submitted there, as a
user logged in on it would (`pool.sh push`/`run`/`pull` play that user)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from jobsub.cli.main import main
from tests.condor_syntax import decode_vars_line
from tests.helpers import CORPUS, CORPUS_EXECUTABLES, CORPUS_SITE, make_executable

pytestmark = pytest.mark.pool

#: Corpus files jobsub_lite accepted whose jobs can match a personal pool's slot.
RUNNABLE = ["dagTest", "dagTest2", "dagTest3", "dagTest6", "dagTest7", "dagTest8",
            "dagTestDropbox"]
#: Accepted too, but they ask for CVMFS/Singularity slots and 20 GB of disk: they must be
#: accepted by condor_submit_dag and DAGMan, and their first jobs queued.
ACCEPT_ONLY = ["dagTestH", "dagTestHS"]

PRINT_ARGV = "#!/bin/sh\nprintf '[%s]\\n' \"$@\"\nprintf 'X=[%s]\\nY=[%s]\\n' \"$X\" \"$Y\"\n"

HOSTILE = ["two words", "it's", 'say "hi"', "back\\slash", "$HOME", "$ENV(HOME)", ";", "a,b",
           "k=v", "#hash", "héllo ✓", "", "tab\there", "--memory", "'", '"']


def _compile(src_dir: Path, name: str, out: Path, monkeypatch, **env) -> None:
    monkeypatch.chdir(src_dir)
    for key, value in {"USER": "jobsub", "SUBMIT_FLAGS": "", "JOBSUB_EXPORTS": "",
                       **env}.items():
        monkeypatch.setenv(key, value)
    site = ["--site-config", CORPUS_SITE[name]] if name in CORPUS_SITE else []
    assert main(["compile", name, "-o", str(out), *site]) == 0


def _submit(pool, out: Path) -> tuple[str, str]:
    """Copy the folder to the schedd host and submit its DAG there: (the folder's path on
    that host, the DAG file's name)."""
    dag = next(out.glob("*.dag")).name
    there = pool.push(out)
    proc = pool.run(there, "condor_submit_dag", dag)
    assert re.search(r"submitted to cluster (\d+)", proc.stdout), proc.stdout
    return there, dag


def _dagman_out(pool, there: str, dag: str) -> str:
    proc = pool.run(there, "cat", f"{dag}.dagman.out", check=False)
    return proc.stdout if proc.returncode == 0 else ""


def _wait_dag(pool, there: str, dag: str, timeout: float = 240) -> int:
    """Wait until DAGMan for `dag` exits (its log on the schedd host); its exit status."""
    deadline = time.monotonic() + timeout
    pattern = re.compile(r"EXITING WITH STATUS (\d+)")
    while time.monotonic() < deadline:
        m = pattern.search(_dagman_out(pool, there, dag))
        if m:
            return int(m.group(1))
        time.sleep(1)
    raise AssertionError(f"{dag} did not finish within {timeout}s:\n"
                         f"{_dagman_out(pool, there, dag)[-3000:]}")


def test_corpus_runs_under_condor_submit_dag(pool, monkeypatch, tmp_path):
    work = tmp_path / "corpus"
    work.mkdir()
    for name in RUNNABLE + ACCEPT_ONLY:
        shutil.copy(CORPUS / "dagnabbit" / name, work / name)
    for exe in CORPUS_EXECUTABLES:
        make_executable(work / exe)
    (work / "testdir").mkdir()
    dags = {}
    for name in RUNNABLE + ACCEPT_ONLY:
        out = work / f"{name}.out"
        _compile(work, name, out, monkeypatch, PWD=str(work))
        dags[name] = _submit(pool, out)

    for name in RUNNABLE:
        there, dag = dags[name]
        assert _wait_dag(pool, there, dag) == 0, name
        back = pool.pull(there, tmp_path / "back" / name)
        nodes = [ln.split()[1] for ln in (back / dag).read_text().splitlines()
                 if ln.startswith("JOB ")]
        for node in nodes:  # every node's job ran and wrote its output
            assert list(back.glob(f"{node}.*.out")), (name, node)

    for name in ACCEPT_ONLY:
        there, dag = dags[name]
        text = ""
        for _ in range(240):
            text = _dagman_out(pool, there, dag)
            if "Submitting HTCondor Node stage_1 job" in text or "EXITING" in text:
                break
            time.sleep(0.5)
        assert "Submitting HTCondor Node stage_1 job" in text, (name, text[-2000:])
        assert "EXITING" not in text
        pool.run(there, "condor_rm", "-constraint", f'Iwd == "{there}"')


def test_values_reach_the_job_exactly(pool, monkeypatch, tmp_path):
    work = tmp_path / "fidelity"
    work.mkdir()
    make_executable(work / "argv.sh", PRINT_ARGV)
    lines = []
    for i, value in enumerate(HOSTILE):
        quoted = "'" + value.replace("'", "'\\''") + "'"
        lines.append(f"jobsub_submit -e X={quoted} -e 'Y=fixed {i}' file://argv.sh "
                     f"{quoted} plain{i} {quoted}")
    (work / "fidelity.dagnabbit").write_text("<parallel>\n" + "\n".join(lines) + "\n</parallel>\n")
    out = work / "out"
    _compile(work, "fidelity.dagnabbit", out, monkeypatch)
    there, dag = _submit(pool, out)
    assert _wait_dag(pool, there, dag) == 0
    out = pool.pull(there, tmp_path / "back")
    vars_by_node = dict(decode_vars_line(ln) for ln in (out / dag).read_text().splitlines()
                        if ln.startswith("VARS "))
    for i, value in enumerate(HOSTILE):
        node = f"stage_{i + 1}"
        assert node in vars_by_node
        [output] = out.glob(f"{node}.*.out")
        expected = [f"[{value}]", f"[plain{i}]", f"[{value}]", f"X=[{value}]",
                    f"Y=[fixed {i}]"]
        assert output.read_text().split("\n")[:-1] == "\n".join(expected).split("\n"), value
