"""After submission, in the pool: a DAG whose nodes fail in different ways (an exit code
after a retry, a memory hold, an input that cannot be fetched, a POST script, a node that
cannot run) — `jobsub analyze` names each node, its cause and its line; `status` counts them;
`rescue` of an edited workflow is refused, of a fixed one reruns only what failed and the
DAG completes; a memory retry succeeds on its second try; `check --pool` names the clause
no slot satisfies; a single job's failure is analyzed too."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.pool_support import run_cli, schedd_of, submitted_id

pytestmark = pytest.mark.pool

AFTER = Path(__file__).parent / "data" / "after"


@pytest.fixture
def work(pool_cwd):
    shutil.copytree(AFTER, pool_cwd, dirs_exist_ok=True)
    return pool_cwd


def _json(capsys, *argv) -> tuple[int, dict]:
    code, out, err = run_cli(capsys, *argv, "--json")
    assert out.strip(), err
    return code, json.loads(out)


def _until(capsys, job_id: str, done, timeout: float = 240) -> dict:
    """`jobsub status --json` until `done(status)` is true."""
    deadline = time.monotonic() + timeout
    while True:
        _, status = _json(capsys, "status", job_id)
        if done(status) or time.monotonic() > deadline:
            return status
        time.sleep(2)


def _submit(capsys, *argv) -> str:
    code, out, err = run_cli(capsys, "submit", "--dag", *argv)
    assert code == 0, err
    return submitted_id(out)


def test_analyze_rescue_and_a_refused_edit(pool, work, capsys):
    job = _submit(capsys, "file://failures.yaml")
    # Running: two nodes held, two failed, one waiting on a failed parent.
    status = _until(capsys, job, lambda s: s["totals"]["held"] == 2
                    and s["totals"]["failed"] >= 2)
    assert status["state"] == "running" and status["exit_status"] == 4, status
    code, report = _json(capsys, "analyze", job)
    assert code == 4
    nodes = {p["name"]: p for p in report["problems"]}
    assert nodes["hog"]["state"] == "held" and nodes["hog"]["origin"] == "failures.yaml:15"
    assert "memory exceeded" in nodes["hog"]["cause"]["summary"]
    assert nodes["hog"]["cause"]["memory_used"] >= 300  # from the job's ad
    assert nodes["needs_input"]["cause"]["code"] == 13
    assert nodes["checked"]["cause"]["kind"] == "post"
    assert nodes["checked"]["origin"] == "failures.yaml:21"
    assert nodes["exits"]["state"] == "failed" and nodes["exits"]["attempts"] == 2
    assert nodes["exits"]["stderr_tail"] == ["about to fail with 2", "line two of stderr"]
    assert any(step.startswith("once the cause is fixed: jobsub release ")
               for step in report["next"])
    code, text, _ = run_cli(capsys, "analyze", job)
    assert "failures.yaml:11: exits (fail.sh) failed 2 times: exit 2" in text

    # Removed: the spool (and its rescue DAG) stays for the rescue.
    assert run_cli(capsys, "rm", job)[0] == 0
    status = _until(capsys, job, lambda s: s["state"] == "removed")
    assert status["totals"] == {**status["totals"], "done": 1, "failed": 4, "futile": 1}
    code, text, _ = run_cli(capsys, "analyze", job)
    assert code == 1 and f"next: jobsub rescue {job}" in text

    # An edit that changes what a done node computes is refused, naming it.
    original = (work / "failures.yaml").read_text()
    (work / "failures.yaml").write_text(original.replace(
        "  good:\n    executable: bin/ok.sh\n",
        "  good:\n    executable: bin/ok.sh\n    arguments: [changed]\n"))
    code, out, err = run_cli(capsys, "rescue", job)
    assert code == 1 and "good (failures.yaml:9) was changed" in err, err

    # Fixed (more memory, another exit code, no missing input, a POST that passes): the
    # rescue runs what did not finish, and only that.
    (work / "failures.yaml").write_text(
        original.replace("    arguments: [300]\n", "    arguments: [300]\n    memory: 512MB\n")
        .replace("    arguments: [2]\n", "    arguments: [0]\n")
        .replace("    lines: ['transfer_input_files = files/ok.sh, "
                 "file:///nonexistent/missing.dat']\n", ""))
    (work / "bin" / "post.sh").write_text("#!/bin/sh\nexit 0\n")
    code, out, err = run_cli(capsys, "rescue", job, "--dry-run")
    assert code == 0 and "failures.dag.rescue001 keeps 1 done node(s); 5 will run" in out
    code, plan = _json(capsys, "rescue", job, "--dry-run")
    assert (code, plan["done"], plan["to_run"], plan["job_id"]) == (0, 1, 5, None)
    code, out, err = run_cli(capsys, "submit", "--resume", job)
    assert code == 0, err
    again = submitted_id(out)
    status = _until(capsys, again, lambda s: s["state"] not in ("running", "idle"))
    assert status["state"] == "succeeded" and status["totals"]["done"] == 6, status
    code, out, _ = run_cli(capsys, "fetchlog", again, "--destdir", "logs")
    assert code == 0
    events = (work / "logs" / "failures.dag.jobstate.log").read_text()
    assert " good SUBMIT " not in events and " hog SUBMIT " in events  # good was done
    # Fetched, it has left the queue: status and analyze read what was kept here.
    code, status = _json(capsys, "status", again)
    assert (code, status["state"], status["totals"]["done"]) == (0, "succeeded", 6)
    code, text, _ = run_cli(capsys, "analyze", again)
    assert code == 0 and "no node failed or is held" in text


def test_memory_retry_succeeds_on_the_second_try(pool, work, capsys):
    (work / "memory.yaml").write_text(
        "name: memory\njobs:\n  hog:\n    executable: bin/hog.sh\n    arguments: [300]\n"
        "    memory: 100MB\n    disk: 10MB\n"
        "    retry: {count: 2, memory: {factor: 2, max: 1GB}}\n")
    job = _submit(capsys, "file://memory.yaml")
    status = _until(capsys, job, lambda s: s["state"] not in ("running", "idle"))
    assert status["state"] == "succeeded", status
    schedd = schedd_of(job)
    cluster = int(job.split(".")[0])
    [node] = schedd.history(f"DAGManJobId == {cluster}", ["NumHolds", "NumJobStarts",
                                                          "HoldReasonCode", "RequestMemory"])
    assert (node["NumHolds"], node["NumJobStarts"]) == (1, 2)  # held once, ran twice


def test_check_pool_names_the_clause_no_slot_satisfies(pool, work, capsys):
    code, out, err = run_cli(capsys, "check", "failures.yaml", "--pool", "--onsite")
    assert code == 1
    assert "failures.yaml:9:3: error: job good: no slot of the pool can run it: " in err
    assert "HAS_usage_model" in err and "HAS_usage_model = undefined" in err
    code, out, err = run_cli(capsys, "check", "failures.yaml", "--pool", "-c",
                             "TARGET.Memory >= 100000")
    assert code == 1 and "TARGET.Memory >= 100000 is not true on any of the 1 slot(s) " \
        "(slot1@vm: Memory = 8192)" in err, err
    code, out, err = run_cli(capsys, "check", "failures.yaml", "--pool")
    assert code == 0, err
    # submit warns (and submits: slots come and go)
    code, out, err = run_cli(capsys, "submit", "-q", "--dag", "--onsite",
                             "file://failures.yaml")
    assert code == 0 and "warning: job good: no slot of the pool can run it" in err
    job = out.strip()  # quiet: the job id alone
    assert re.fullmatch(r"\d+\.0@\S+", job), out
    assert run_cli(capsys, "rm", job)[0] == 0


def test_a_single_jobs_failure(pool, work, capsys):
    code, out, err = run_cli(capsys, "submit", "--json", "file://bin/fail.sh", "3")
    assert code == 0, err
    submitted = json.loads(out)
    job = submitted["job_id"]
    assert job == f"{submitted['cluster']}.0@{submitted['schedd']}" and submitted["procs"] == 1
    code, out, err = run_cli(capsys, "wait", "--json", job, "--timeout", "120")
    assert code == 1
    assert json.loads(out) == {"ok": False, "outcome": "finished", "messages": [], "jobs": [
        {"job_id": job, "state": "exited", "exit_code": 3, "signal": None}]}
    code, report = _json(capsys, "analyze", job)
    assert code == 1
    [problem] = report["problems"]
    assert problem["cause"]["summary"] == "exit 3"
    assert problem["stderr_tail"] == ["about to fail with 3", "line two of stderr"]
    code, status = _json(capsys, "status", job)
    assert (code, status["kind"], status["state"]) == (1, "job", "failed")
    code, out, err = run_cli(capsys, "report", job, "-o", "job.html")
    assert code == 1 and "failed or held" in out, err
    page = (work / "job.html").read_text()
    assert "exit 3" in page and page.count("<svg") == 2


def test_a_big_dags_outputs_are_in_folders_and_found_there(pool, pool_cwd, capsys):
    """A DAG of 2,000 nodes or more writes its nodes' stdout and stderr into out/NNN/
    (1,000 nodes each; here 1,998 NOOP nodes pad it out): on the schedd, where no folder of
    the client exists; `analyze` reads a failed node's stderr there, and fetchlog brings
    the folders back."""
    work = pool_cwd
    (work / "ok.sh").write_text("#!/bin/sh\necho \"fine $1\"\n")
    (work / "bad.sh").write_text("#!/bin/sh\necho \"broke in $1\" >&2\nexit 3\n")
    for name in ("ok.sh", "bad.sh"):
        (work / name).chmod(0o755)
    (work / "big.yaml").write_text(
        "jobs:\n"
        "  first: {executable: ok.sh, arguments: [first]}\n"
        "  pad: {executable: ok.sh, noop: true, after: first,\n"
        f"        matrix: {{i: [{', '.join(map(str, range(1998)))}]}}}}\n"
        "  last: {executable: bad.sh, arguments: [last], after: pad}\n")
    job = _submit(capsys, "-o", "compiled", "file://big.yaml")
    assert (work / "compiled" / "out" / "002" / ".keep").exists()
    shutil.rmtree(work / "compiled")
    status = _until(capsys, job, lambda s: s["state"] in ("failed", "completed"), 300)
    assert status["state"] == "failed", status
    _, report = _json(capsys, "analyze", job)
    (last,) = [p for p in report["problems"] if p["name"] == "last"]
    assert last["stderr_tail"] == ["broke in last"], last
    assert run_cli(capsys, "fetchlog", job, "--destdir", "got")[0] == 0
    got = work / "got"
    assert "fine first" in next((got / "out" / "000").glob("first.*.out")).read_text()
    assert next((got / "out" / "002").glob("last.*.err")).read_text() == "broke in last\n"
    assert not list(got.rglob(".keep"))
    assert not list(got.glob("first.*.out")) and not list(got.glob("last.*.err"))
