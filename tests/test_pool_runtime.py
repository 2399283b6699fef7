"""The runtime against the real pool: submit, q, hold, release, rm, fetchlog, wait."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile

import htcondor2
import pytest

from jobsub.cli.main import main
from tests.helpers import make_executable
from tests.pool_support import jobs_run_in, submitted_id

pytestmark = pytest.mark.pool

STEP = "#!/bin/sh\necho \"step $1 on $(hostname)\"\n"
FLAKY = "#!/bin/sh\n# fails the first time, succeeds on the retry\n" \
        "if [ ! -e \"$1\" ]; then : > \"$1\"; exit 3; fi\necho recovered\n"
POST = "#!/bin/sh\necho \"$2 $1\" >> post.log\nexit \"$1\"\n"
SLEEP = "#!/bin/sh\nsleep \"$1\"\n"
ARGV = "#!/bin/sh\nprintf '[%s]\\n' \"$@\"\n"


@pytest.fixture
def work(pool_cwd):
    return pool_cwd


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_dag_runs_in_dependency_order_with_retry_and_post(work, capsys):
    for name, text in {"step.sh": STEP, "flaky.sh": FLAKY, "post.sh": POST}.items():
        make_executable(work / name, text)
    marker = work / "flaky.marker"
    (work / "wf.dagnabbit").write_text(
        "<serial>\n"
        "jobsub_submit file://step.sh A\n"
        "<parallel>\n"
        "  jobsub_submit file://step.sh B\n"
        f"  jobsub_submit file://flaky.sh {marker}\n"
        "  retry 2\n"
        "  <serial>\n"
        "    jobsub_submit file://step.sh D1\n"
        "    jobsub_submit file://step.sh D2\n"
        "  </serial>\n"
        "</parallel>\n"
        "jobsub_submit file://step.sh E\n"
        "postscript file://post.sh $RETURN $JOB\n"
        "</serial>\n")
    code, out, err = run_cli(capsys, "submit", "--dag", "-o", "out", "file://wf.dagnabbit")
    assert code == 0, err
    assert "1 job(s) submitted to cluster" in out
    job_id = submitted_id(out)

    code, out, err = run_cli(capsys, "wait", job_id, "--timeout", "300")
    assert code == 0, out + err
    assert f"{job_id} completed" in out

    # Order in the node log: every parent terminated before any of its children was submitted.
    events = list(htcondor2.JobEventLog(str(work / "out" / "wf.dag.nodes.log")).events(0))
    node_of, order = {}, []
    for ev in events:
        if ev.type == htcondor2.JobEventType.SUBMIT:
            node_of[ev.cluster] = ev.get("LogNotes", "").replace("DAG Node: ", "")
        order.append((ev.type, node_of.get(ev.cluster), ev.get("ReturnValue")))
    edges = {("stage_1", c) for c in ("stage_2", "stage_3", "stage_4")} | {
        ("stage_4", "stage_5"), ("stage_2", "stage_6"), ("stage_3", "stage_6"),
        ("stage_5", "stage_6")}
    for parent, child in edges:
        last_end = max(i for i, (t, n, _) in enumerate(order)
                       if n == parent and t == htcondor2.JobEventType.JOB_TERMINATED)
        first_submit = min(i for i, (t, n, _) in enumerate(order)
                           if n == child and t == htcondor2.JobEventType.SUBMIT)
        assert last_end < first_submit, (parent, child)
    flaky = [rv for t, n, rv in order
             if n == "stage_3" and t == htcondor2.JobEventType.JOB_TERMINATED]
    assert flaky == [3, 0]  # failed once, retried, succeeded
    assert (work / "out" / "post.log").read_text() == "stage_6 0\n"

    # fetchlog of the DAG: the DAG, its submit files and every node's output.
    code, out, err = run_cli(capsys, "fetchlog", "--jobid", job_id)
    assert code == 0, err
    with tarfile.open(work / f"{job_id}.tgz") as tar:
        names = set(tar.getnames())
    assert {"wf.dag", "stage_1.sub", "stage_1.sh", "wf.dag.dagman.out"} <= names
    assert sum(1 for n in names if n.endswith(".out") and n.startswith("stage_")) == 7


def test_hold_release_rm_seen_through_q(work, capsys):
    make_executable(work / "sleep.sh", SLEEP)
    code, out, err = run_cli(capsys, "submit", "-o", "sl", "file://sleep.sh", "300")
    assert code == 0, err
    job_id = submitted_id(out)
    cluster = job_id.split(".")[0]

    def state() -> str:
        code, out, err = run_cli(capsys, "q", "--json", cluster)
        assert code == 0, err
        rows = json.loads(out)
        return rows[0]["status"] if rows else "-"

    assert state() in ("I", "R")
    code, out, _ = run_cli(capsys, "hold", job_id)
    assert (code, out) == (0, f"Job {cluster}.0 held\n")
    assert state() == "H"
    code, out, err = run_cli(capsys, "hold", cluster)
    assert code == 1 and "cannot be held (it is held)" in err
    code, out, _ = run_cli(capsys, "release", f"{cluster}.0")
    assert (code, out) == (0, f"Job {cluster}.0 released\n")
    assert state() in ("I", "R")
    code, out, _ = run_cli(capsys, "q", cluster)
    lines = out.splitlines()
    assert lines[0].split() == ["JOBSUBJOBID", "OWNER", "SUBMITTED", "RUNTIME", "ST", "PRIO",
                                "SIZE", "COMMAND"]
    assert lines[1].startswith(job_id) and lines[1].split()[-1] == "sleep.sh"
    assert lines[-1].startswith("1 total; 0 completed, 0 removed,")
    code, out, _ = run_cli(capsys, "rm", job_id)
    assert (code, out) == (0, f"Job {cluster}.0 marked for removal\n")
    assert state() == "-"
    code, out, _ = run_cli(capsys, "q", "--history", "--json", cluster)
    assert [r["status"] for r in json.loads(out)] == ["X"]
    code, out, err = run_cli(capsys, "wait", job_id)
    assert code == 1 and "was removed" in out


def test_single_job_argv_and_fetchlog(work, capsys, tmp_path):
    make_executable(work / "argv.sh", ARGV)
    hostile = ["two words", "it's", 'say "hi"', "$HOME", "$ENV(HOME)", "a;b,c=d", "", "✓"]
    code, out, err = run_cli(capsys, "submit", "-o", "one", "file://argv.sh", *hostile)
    assert code == 0, err
    job_id = submitted_id(out)
    code, out, err = run_cli(capsys, "wait", job_id)
    assert code == 0, out + err
    [output] = (work / "one").glob("simple.*.out")
    assert output.read_text().splitlines() == [f"[{a}]" for a in hostile]
    dest = tmp_path / "logs"
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--destdir", str(dest))
    assert code == 0, err
    assert sorted(p.name for p in dest.iterdir()) == sorted(
        [output.name, output.name.replace(".out", ".err"), "simple.log", "simple.sh",
         "simple.sub"])


def test_a_lost_reply_does_not_submit_twice(work, capsys, monkeypatch):
    make_executable(work / "sleep.sh", SLEEP)
    real = htcondor2.Schedd.submit

    def commit_then_fail(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise htcondor2.HTCondorException("connection reset after commit")

    monkeypatch.setattr(htcondor2.Schedd, "submit", commit_then_fail)
    code, out, err = run_cli(capsys, "submit", "-o", "once", "file://sleep.sh", "2")
    assert code == 1
    assert "submitting on schedd" in err and "connection reset after commit" in err
    monkeypatch.setattr(htcondor2.Schedd, "submit", real)
    code, out, err = run_cli(capsys, "submit", "-o", "once", "file://sleep.sh", "2")
    assert code == 0, err
    assert "was not submitted again" in out
    job_id = submitted_id(out)
    ads = jobs_run_in(work / "once", ["ClusterId"])
    assert {ad["ClusterId"] for ad in ads} == {int(job_id.split(".")[0])}
    # A deliberate second submission of the same workflow is still possible.
    code, out, err = run_cli(capsys, "submit", "-o", "once", "file://sleep.sh", "2")
    assert code == 0 and "submitted to cluster" in out


def test_errors_are_one_line(work, capsys, tmp_path):
    code, _out, err = run_cli(capsys, "hold", "999999.0")
    assert code == 1
    assert err.startswith("jobsub hold: job 999999.0 is not in the queue of schedd ")
    code, _out, err = run_cli(capsys, "fetchlog", "999999")
    assert code == 1 and "is not known to schedd" in err
    code, _out, err = run_cli(capsys, "q", "--collector", "127.0.0.1:1")
    assert code == 1
    assert err.startswith("jobsub: error: cannot find the schedd through 127.0.0.1:1")
    assert "Traceback" not in err
    # Not authorised: no token at all (a fresh process, so the configuration is read anew).
    empty = tmp_path / "no-tokens"
    empty.mkdir()
    env = {**os.environ, "_CONDOR_SEC_TOKEN_DIRECTORY": str(empty)}
    proc = subprocess.run([sys.executable, "-m", "jobsub.cli", "q"], env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") <= 3 and "Traceback" not in proc.stderr
    assert "cannot find the schedd" in proc.stderr
