"""The Python API against the real pool: a workflow built in Python is spooled to a schedd
that shares no folder with this machine, runs, and its state, failures and files come back
through the run handle."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest

import jobsub

pytestmark = pytest.mark.pool

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_a_built_workflow_runs_and_comes_back(pool_cwd):
    shutil.copytree(EXAMPLES / "bin", pool_cwd / "bin")
    (pool_cwd / "bin" / "fail.sh").write_text("#!/bin/sh\necho 'no input here' >&2\nexit 3\n")
    (pool_cwd / "bin" / "fail.sh").chmod(0o755)
    wf = jobsub.Workflow("api", base_dir=pool_cwd)
    first = wf.job("bin/hello.sh", "from", "python", name="hello")
    wf.job("bin/fail.sh", name="broken", after=first)
    line = inspect.currentframe().f_lineno - 1  # the line above: the job's own
    run = jobsub.submit(wf.compile(), pool_cwd / "api.jobsub")
    assert run.job_id.count("@") >= 1 and not run.earlier and run.warnings == []
    shutil.rmtree(pool_cwd / "api.jobsub")  # spooled: the folder is not needed any more
    assert run.wait(timeout=300) is False
    status = run.status()
    assert status["state"] == "failed" and status["totals"]["done"] == 1, status
    problems = run.analyze()["problems"]
    [broken] = [p for p in problems if p["name"] == "broken"]
    assert broken["origin"].endswith(f"test_pool_api.py:{line}"), broken
    got = run.fetch(pool_cwd / "out")
    hello = next(got.glob("hello.*.out")).read_text()
    assert hello == "hello, from\nhello, python\n"
    assert "no input here" in next(got.glob("broken.*.err")).read_text()


def test_a_failed_run_is_rescued_from_python(pool_cwd):
    """A workflow file compiled and submitted through the API is recorded like the CLI's,
    so its run can be rescued: the file compiled again, the done node kept."""
    shutil.copytree(EXAMPLES / "bin", pool_cwd / "bin")
    fix = pool_cwd / "bin" / "flaky.sh"
    fix.write_text("#!/bin/sh\nexit 3\n")
    fix.chmod(0o755)
    (pool_cwd / "two.yaml").write_text("jobs:\n  hello: {executable: bin/hello.sh}\n"
                                       "  flaky: {executable: bin/flaky.sh, after: hello}\n")
    run = jobsub.submit(jobsub.compile(pool_cwd / "two.yaml"), pool_cwd / "two.jobsub")
    assert run.wait(timeout=300) is False
    fix.write_text("#!/bin/sh\necho fixed\n")
    planned = run.rescue(dry_run=True)
    assert (planned.done, planned.to_run, planned.failed) == (1, 1, ["flaky"])
    assert planned.run is None
    again = run.rescue().run
    assert again is not None and again.job_id != run.job_id
    assert again.wait(timeout=300) is True
    assert again.status()["totals"]["done"] == 2


def test_a_submission_this_machine_cannot_record_says_so(pool_cwd, monkeypatch):
    shutil.copytree(EXAMPLES / "bin", pool_cwd / "bin")
    (pool_cwd / "state" / "jobsub").mkdir(parents=True)
    (pool_cwd / "state" / "jobsub" / "jobs").write_text("a file where the records go\n")
    monkeypatch.setenv("XDG_STATE_HOME", str(pool_cwd / "state"))
    wf = jobsub.Workflow("unrecorded", base_dir=pool_cwd)
    wf.job("bin/hello.sh", "x", name="hello")
    run = jobsub.submit(wf.compile(), pool_cwd / "u.jobsub")
    [warning] = run.warnings
    assert warning.startswith("could not record the submission"), warning
    run.wait(timeout=300)


def test_a_run_goes_to_and_stays_with_the_global_pool(pool_cwd, monkeypatch):
    import json

    import htcondor2

    shutil.copytree(EXAMPLES / "bin", pool_cwd / "bin")
    monkeypatch.setenv("JOBSUB_POOL_MAP", json.dumps(
        {"here": {"collector": htcondor2.param["COLLECTOR_HOST"]}}))
    monkeypatch.setenv("JOBSUB_GLOBAL_POOL", "here")
    monkeypatch.setenv("JOBSUB_COLLECTOR", "127.0.0.1:9")  # the pool's collector beats it
    wf = jobsub.Workflow("pooled", base_dir=pool_cwd)
    wf.job("bin/hello.sh", "x", name="hello")
    run = jobsub.submit(wf.compile(), pool_cwd / "p.jobsub")
    assert run.wait(timeout=300) is True
