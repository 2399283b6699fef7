"""Compiled workflows run unchanged under the real `condor_submit_dag` of a real pool, and
every argument and environment value reaches the job exactly as written."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from jobsub.cli.main import main
from tests.condor_syntax import decode_vars_line
from tests.helpers import CORPUS, CORPUS_EXECUTABLES, CORPUS_SITE, make_executable
from tests.pool_support import make_writable_tree

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
    make_writable_tree(out)


def _submit(pool, out: Path) -> tuple[Path, str]:
    """Submit the folder's DAG as a user would; (DAG file, DAGMan cluster id)."""
    dag = next(out.glob("*.dag"))
    proc = pool.run(out, "condor_submit_dag", dag.name)
    m = re.search(r"submitted to cluster (\d+)", proc.stdout)
    assert m, proc.stdout
    return dag, m.group(1)


def test_corpus_runs_under_condor_submit_dag(pool, monkeypatch):
    work = pool.job_dir("corpus")
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
        dag, _ = dags[name]
        assert pool.wait_dag(dag) == 0, name
        nodes = [ln.split()[1] for ln in dag.read_text().splitlines() if ln.startswith("JOB ")]
        for node in nodes:  # every node's job ran and wrote its output
            assert list(dag.parent.glob(f"{node}.*.out")), (name, node)

    for name in ACCEPT_ONLY:
        dag, cluster = dags[name]
        dagman_out = dag.with_name(dag.name + ".dagman.out")
        text = ""
        for _ in range(240):
            text = dagman_out.read_text(errors="replace") if dagman_out.exists() else ""
            if "Submitting HTCondor Node stage_1 job" in text or "EXITING" in text:
                break
            time.sleep(0.5)
        assert "Submitting HTCondor Node stage_1 job" in text, (name, text[-2000:])
        assert "EXITING" not in text
        pool.run(dag.parent, "condor_rm", cluster)


def test_values_reach_the_job_exactly(pool, monkeypatch):
    work = pool.job_dir("fidelity")
    make_executable(work / "argv.sh", PRINT_ARGV)
    lines = []
    for i, value in enumerate(HOSTILE):
        quoted = "'" + value.replace("'", "'\\''") + "'"
        lines.append(f"jobsub_submit -e X={quoted} -e 'Y=fixed {i}' file://argv.sh "
                     f"{quoted} plain{i} {quoted}")
    (work / "fidelity.dagnabbit").write_text("<parallel>\n" + "\n".join(lines) + "\n</parallel>\n")
    out = work / "out"
    _compile(work, "fidelity.dagnabbit", out, monkeypatch)
    dag, _ = _submit(pool, out)
    assert pool.wait_dag(dag) == 0
    vars_by_node = dict(decode_vars_line(ln) for ln in dag.read_text().splitlines()
                        if ln.startswith("VARS "))
    for i, value in enumerate(HOSTILE):
        node = f"stage_{i + 1}"
        assert node in vars_by_node
        [output] = out.glob(f"{node}.*.out")
        expected = [f"[{value}]", f"[plain{i}]", f"[{value}]", f"X=[{value}]",
                    f"Y=[fixed {i}]"]
        assert output.read_text().split("\n")[:-1] == "\n".join(expected).split("\n"), value
