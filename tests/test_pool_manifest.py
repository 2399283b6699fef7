"""Manifests run on a schedd that cannot see this machine: every DAGMan feature of the
features manifest (a sub-DAG included), and the diamond example; what they wrote comes back
with jobsub fetchlog."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

import htcondor2
import pytest

from tests.pool_support import submit_wait_fetch

pytestmark = pytest.mark.pool

DATA = Path(__file__).parent / "data" / "manifests" / "features"
EXAMPLES = Path(__file__).parent.parent / "examples"


def test_every_feature_runs(pool_cwd, capsys, monkeypatch):
    shutil.copytree(DATA, pool_cwd / "features")
    monkeypatch.chdir(pool_cwd / "features")
    # The flaky node's marker lives on the execute machine, from one try to the next.
    monkeypatch.setenv("FEATURES_MARKER", f"/tmp/jobsub-features-{uuid.uuid4().hex}")
    _job, out = submit_wait_fetch(capsys, pool_cwd / "logs", "submit", "--dag", "-o", "out",
                                  "--condor-version", "23.9.6", "file://features.yaml")

    def outputs(node: str) -> list[Path]:
        return sorted(out.glob(f"{node}.*.out"))

    assert "step setup" in outputs("setup")[0].read_text()
    assert len([p for n in range(4) for p in outputs(f"sweep_{n}")]) == 4
    assert len(outputs("queued")) == 3  # one node, three queued processes
    assert outputs("skipped") == [] and outputs("already") == []  # NOOP, DONE
    assert "step report" in outputs("report")[0].read_text()  # the FINAL node ran
    # the sub-DAG ran beside its parent, and its files came back with the DAG's
    assert "inner-two" in next(out.glob("inner.two.*.out")).read_text()
    assert "EXITING WITH STATUS 0" in (out / "inner.dag.dagman.out").read_text()
    events = list(htcondor2.JobEventLog(str(out / "features.dag.nodes.log")).events(0))
    flaky_runs = [e for e in events if e.type == htcondor2.JobEventType.JOB_TERMINATED
                  and e.get("ReturnValue") in (0, 1)]
    assert len(flaky_runs) >= 2  # the flaky node failed once and was retried
    assert (out / "postscript.log").read_text().startswith("post 1 flaky")
    assert (out / "setup.pre.debug").exists()  # SCRIPT DEBUG
    for produced in ("features.dot", "features.status", "features.jobstate.log"):
        assert (out / produced).stat().st_size > 0, produced
    dagman_out = (out / "features.dag.dagman.out").read_text()
    assert "MAXJOBS" not in dagman_out or "throttled" in dagman_out
    # DAGMan warns of each VARS a node's submit file does not read, once a node: jobsub's
    # files name them all, so only the sub-DAG node's (its VARS go to the sub-DAGMan job
    # condor_submit_dag writes) are left
    unused = re.findall(r"the line '(\w+) = [^']*' was unused", dagman_out)
    assert unused.count("nodename") == 1 and not {"seed", "energy"} & set(unused), unused


def test_diamond_example_runs(pool_cwd, capsys, monkeypatch):
    shutil.copytree(EXAMPLES, pool_cwd / "ex")
    monkeypatch.chdir(pool_cwd / "ex")
    _job, out = submit_wait_fetch(capsys, pool_cwd / "logs", "submit", "--dag",
                                  "file://diamond.yaml")
    assert "EXITING WITH STATUS 0" in (out / "diamond.dag.dagman.out").read_text()
    assert len(list(out.glob("join.*.out"))) == 1
