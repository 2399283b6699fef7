"""Manifests run in the real pool: every DAGMan feature of the features manifest, and the
diamond example."""

from __future__ import annotations

import shutil
from pathlib import Path

import htcondor2
import pytest

from tests.pool_support import submit_and_wait

pytestmark = pytest.mark.pool

DATA = Path(__file__).parent / "data" / "manifests" / "features"
EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def folder(pool_cwd):
    return pool_cwd


def _submit_and_wait(capsys, *argv) -> str:
    return submit_and_wait(capsys, "submit", "--dag", "-o", "out", *argv)


def test_every_feature_runs(folder, capsys, monkeypatch):
    shutil.copytree(DATA, folder / "features")
    monkeypatch.chdir(folder / "features")
    monkeypatch.setenv("FEATURES_MARKER", str(folder / "flaky.marker"))
    _submit_and_wait(capsys, "--condor-version", "23.9.6", "file://features.yaml")
    out = folder / "features" / "out"

    def outputs(node: str) -> list[Path]:
        return sorted(out.glob(f"{node}.*.out"))

    assert "step setup" in outputs("setup")[0].read_text()
    assert len([p for n in range(4) for p in outputs(f"sweep_{n}")]) == 4
    assert len(outputs("queued")) == 3  # one node, three queued processes
    assert outputs("skipped") == [] and outputs("already") == []  # NOOP, DONE
    assert "step report" in outputs("report")[0].read_text()  # the FINAL node ran
    assert "inner-two" in next((out / "sub" / "inner").glob("two.*.out")).read_text()
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


def test_diamond_example_runs(folder, capsys, monkeypatch):
    shutil.copytree(EXAMPLES, folder / "ex")
    monkeypatch.chdir(folder / "ex")
    _submit_and_wait(capsys, "file://diamond.yaml")
    assert "finished with 0" in (folder / "ex" / "out" / "diamond.dag.dagman.out").read_text() \
        or list((folder / "ex" / "out").glob("join.*.out"))
