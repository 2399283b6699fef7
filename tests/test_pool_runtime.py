"""The runtime against a pool shaped like a site: spooled submission to either of two
schedds that cannot see this machine's files, the client's folder deleted right after;
q, hold, release, rm across both; fetchlog and wait --fetch bringing logs back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid

import htcondor2
import pytest

from tests.helpers import make_executable
from tests.pool_support import run_cli, schedd_of, submitted_id

pytestmark = pytest.mark.pool

STEP = "#!/bin/sh\necho \"step $1 on $(hostname)\"\n"
#: Fails the first time, succeeds on the retry: the marker lives on the execute machine.
FLAKY = "#!/bin/sh\nif [ ! -e \"$1\" ]; then : > \"$1\"; exit 3; fi\necho recovered\n"
POST = "#!/bin/sh\necho \"$2 $1\" >> post.log\nexit \"$1\"\n"
SLEEP = "#!/bin/sh\nsleep \"$1\"\n"
ARGV = "#!/bin/sh\nprintf '[%s]\\n' \"$@\"\n"


@pytest.fixture
def work(pool_cwd):
    return pool_cwd


def dag_text(marker: str) -> str:
    return ("<serial>\n"
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


@pytest.mark.parametrize("which", [0, 1])
def test_dag_on_each_schedd_runs_without_the_client_folder(pool, work, capsys, which):
    """Spooled to schedd `which`; the compiled folder and the workflow's own files are
    deleted as soon as the submission returns. The DAG still runs in dependency order,
    retries and runs its POST script, and fetchlog brings back every node's output."""
    schedd = pool.schedds[which]
    for name, text in {"step.sh": STEP, "flaky.sh": FLAKY, "post.sh": POST}.items():
        make_executable(work / name, text)
    (work / "wf.dagnabbit").write_text(dag_text(f"/tmp/jobsub-flaky-{uuid.uuid4().hex}"))
    code, out, err = run_cli(capsys, "submit", "--dag", "--schedd", schedd, "-o", "out",
                             "file://wf.dagnabbit")
    assert code == 0, err
    assert "1 job(s) submitted to cluster" in out
    job_id = submitted_id(out)
    assert job_id.endswith(f"@{schedd}")
    for path in list(work.iterdir()):
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    code, out, err = run_cli(capsys, "wait", job_id, "--timeout", "300")
    assert (code, out) == (0, f"{job_id} completed\n"), err
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--destdir", "logs")
    assert code == 0, err
    logs = work / "logs"
    # Order in the node log: every parent terminated before any of its children was submitted.
    events = list(htcondor2.JobEventLog(str(logs / "wf.dag.nodes.log")).events(0))
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
    assert (logs / "post.log").read_text() == "stage_6 0\n"
    names = {p.name for p in logs.iterdir()}
    # what DAGMan wrote, every node's output, and the submitted files from the record
    assert {"wf.dag", "stage_1.sub", "stage_1.sh", "wf.dag.dagman.out"} <= names
    assert sum(1 for n in names if n.endswith(".out") and n.startswith("stage_")) == 7
    assert "step E on" in next(logs.glob("stage_6.*.out")).read_text()
    # The fetched, finished DAG leaves the queue; fetching again serves the kept copy.
    assert _leaves_queue(job_id)
    code, out, err = run_cli(capsys, "fetchlog", job_id)
    assert code == 0 and "fetched on" in err
    with tarfile.open(work / f"{job_id}.tgz") as tar:
        assert "wf.dag.nodes.log" in tar.getnames()


def _leaves_queue(job_id: str, timeout: float = 120) -> bool:
    """Whether the job leaves the queue within `timeout`. The schedd evaluates
    LeaveJobInQueue every PERIODIC_EXPR_INTERVAL (2 s in the pool) but stretches that to keep
    within PERIODIC_EXPR_TIMESLICE of its time: late in a full run, with a busy queue, it
    took over 30 s once, so the wait is generous (it returns as soon as the job is gone)."""
    import time

    schedd = schedd_of(job_id)
    cluster = job_id.split(".")[0]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not schedd.query(f"ClusterId == {cluster}", ["JobStatus"]):
            return True
        time.sleep(0.5)
    return False


@pytest.mark.parametrize("which", [0, 1])
def test_single_job_argv_fetchlog_without_the_client_folder(pool, work, capsys, which):
    make_executable(work / "argv.sh", ARGV)
    hostile = ["two words", "it's", 'say "hi"', "$HOME", "$ENV(HOME)", "a;b,c=d", "", "✓"]
    # No -o: jobsub compiles into a scratch folder of its own and deletes it once spooled.
    code, out, err = run_cli(capsys, "submit", "--schedd", pool.schedds[which],
                             "file://argv.sh", *hostile)
    assert code == 0, err
    folder = next(ln.split(": ", 1)[1] for ln in out.splitlines()
                  if ln.startswith("Submission files are in"))
    assert not os.path.exists(folder)
    (work / "argv.sh").unlink()
    job_id = submitted_id(out)
    code, out, err = run_cli(capsys, "wait", job_id, "--fetch", "--destdir", "got")
    assert code == 0, out + err
    [output] = (work / "got" / job_id).glob("simple.*.out")
    assert output.read_text().splitlines() == [f"[{a}]" for a in hostile]
    assert sorted(p.name for p in (work / "got" / job_id).iterdir()) == sorted(
        [output.name, output.name.replace(".out", ".err"), "simple.log", "simple.sh",
         "simple.sub", "jobsub.json", "files"])
    # the executable too (from this machine's record: the folder and argv.sh are gone)
    assert (work / "got" / job_id / "files" / "argv.sh").read_text() == ARGV


def test_q_hold_release_rm_across_both_schedds(pool, work, capsys):
    make_executable(work / "sleep.sh", SLEEP)
    ids = []
    for schedd in pool.schedds:
        code, out, err = run_cli(capsys, "submit", "--schedd", schedd, "-o", f"sl-{len(ids)}",
                                 "file://sleep.sh", "300")
        assert code == 0, err
        ids.append(submitted_id(out))

    def states() -> dict[str, str]:
        code, out, err = run_cli(capsys, "q", "--json")
        assert code == 0, err
        return {r["jobsubjobid"]: r["status"] for r in json.loads(out)
                if r["jobsubjobid"] in ids}

    assert set(states()) == set(ids)  # one q, both schedds
    assert set(states().values()) <= {"I", "R", "H"}
    code, out, err = run_cli(capsys, "hold", *ids)
    assert code == 0, err
    assert sorted(out.splitlines()) == sorted(f"Job {i.split('@')[0]} held" for i in ids)
    assert set(states().values()) == {"H"}
    code, out, err = run_cli(capsys, "q", ids[1])
    assert "[held: by jobsub hold (by user jobsub)]" in out  # the hold reason, in the table
    code, out, err = run_cli(capsys, "release", ids[1])
    assert (code, out) == (0, f"Job {ids[1].split('@')[0]} released\n")
    assert states()[ids[0]] == "H" and states()[ids[1]] in ("I", "R")
    # A job id naming a schedd that does not exist: one line naming those that do.
    cluster = ids[0].split("@")[0]
    code, out, err = run_cli(capsys, "rm", f"{cluster}@nosuch@nowhere")
    assert code == 1 and out == ""
    assert "no schedd named 'nosuch@nowhere'" in err
    assert all(name in err for name in pool.schedds)
    # The right cluster number on the wrong schedd is not that job.
    other = ids[1].split("@", 1)[1]
    if not schedd_of(ids[1]).query(f"ClusterId == {cluster.split('.')[0]}", ["ClusterId"]):
        code, out, err = run_cli(capsys, "rm", f"{cluster}@{other}")
        assert code == 1 and f"is not in the queue of schedd {other}" in err
    # Without ids: every schedd of the site, at once.
    mine = f'substr(SUBMIT_Iwd, 0, {len(str(work))}) == "{work}"'
    code, out, err = run_cli(capsys, "rm", "--constraint", mine)
    assert code == 0, err
    assert sorted(out.splitlines()) == sorted(f"Job {i.split('@')[0]} marked for removal"
                                              for i in ids)
    assert states() == {}
    code, out, err = run_cli(capsys, "q", "--history", "--json", *ids)
    assert sorted(r["status"] for r in json.loads(out)) == ["X", "X"]
    code, out, err = run_cli(capsys, "wait", *ids)
    assert code == 1 and out.count("was removed") == 2


def test_a_bare_cluster_number_is_found_or_must_be_qualified(pool, work, capsys):
    make_executable(work / "sleep.sh", SLEEP)
    code, out, err = run_cli(capsys, "submit", "--schedd", pool.schedds[1], "-o", "one",
                             "file://sleep.sh", "300")
    job_id = submitted_id(out)
    cluster = job_id.split(".")[0]
    other = schedd_of(f"x@{pool.schedds[0]}")
    same = other.query(f"ClusterId == {cluster}", ["ClusterId"])
    code, out, err = run_cli(capsys, "hold", cluster)
    if same:  # the other schedd has a cluster of that number too
        assert code == 1 and "is on several schedds" in err and job_id.split(".")[0] in err
    else:
        assert (code, out) == (0, f"Job {cluster}.0 held\n")
    code, out, err = run_cli(capsys, "rm", job_id)
    assert code == 0, err


def test_a_schedd_in_downtime_is_never_chosen(pool, work, capsys, monkeypatch):
    make_executable(work / "a.sh")
    pool.downtime(2, True)
    try:
        chosen = set()
        for n in range(8):
            (work / "a.sh").write_text(f"#!/bin/sh\necho {n}\n")  # a distinct workflow
            code, out, err = run_cli(capsys, "submit", "-o", f"o{n}", "file://a.sh")
            assert code == 0, err
            chosen.add(submitted_id(out).split("@", 1)[1])
        assert chosen == {pool.schedds[0]}
        pool.downtime(1, True)
        code, out, err = run_cli(capsys, "submit", "-o", "none", "file://a.sh", "x")
        assert code == 1 and "every schedd of the site is in downtime" in err
        # --schedd still reaches one in downtime on purpose (an admin's test submission).
        code, out, err = run_cli(capsys, "submit", "--schedd", pool.schedds[1], "-o", "forced",
                                 "file://a.sh", "y")
        assert code == 0 and submitted_id(out).endswith(f"@{pool.schedds[1]}"), err
    finally:
        pool.downtime(1, False)
        pool.downtime(2, False)
    # Back in service, both are candidates again. The draw is weighted by each schedd's duty
    # cycle, which a busy schedd makes uneven (16 draws all went to one once), so the draw
    # is made to take schedd 2: the submission must reach it by the chooser's own path.
    offered = []

    def schedd_2(population, weights):
        offered.append({str(ad["Name"]) for ad in population})
        return [population[-1] if str(population[-1]["Name"]) == pool.schedds[1]
                else population[0]]

    monkeypatch.setattr("jobsub.runtime.pool.random.choices", schedd_2)
    (work / "a.sh").write_text("#!/bin/sh\necho again\n")
    code, out, err = run_cli(capsys, "submit", "-o", "again", "file://a.sh")
    assert code == 0, err
    assert offered == [set(pool.schedds)]
    assert submitted_id(out).endswith(f"@{pool.schedds[1]}")


def _one_live_job(work, prefix: str) -> list:
    """The ads on any schedd of the jobs spooled from folders `work/prefix*`, not removed."""
    from tests.pool_support import all_schedds

    constraint = (f'substr(ifThenElse(isUndefined(SUBMIT_Iwd), "", SUBMIT_Iwd), 0, '
                  f'{len(str(work / prefix))}) == "{work / prefix}" && JobStatus != 3')
    return [ad for s in all_schedds() for ad in s.query(constraint, ["ClusterId", "JobStatus",
                                                                     "HoldReasonCode"])]


def test_a_lost_reply_does_not_submit_twice(pool, work, capsys, monkeypatch):
    """The spool step's reply is lost after the files arrived: the submission stands."""
    make_executable(work / "sleep.sh", SLEEP)
    real = htcondor2.Schedd.spool

    def spool_then_fail(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise htcondor2.HTCondorException("connection reset after the files were sent")

    monkeypatch.setattr(htcondor2.Schedd, "spool", spool_then_fail)
    code, out, err = run_cli(capsys, "submit", "-o", "once", "file://sleep.sh", "2")
    assert code == 0 and "submitted to cluster" in out, err
    monkeypatch.setattr(htcondor2.Schedd, "spool", real)
    assert len(_one_live_job(work, "once")) == 1
    code, out, err = run_cli(capsys, "wait", submitted_id(out))
    assert code == 0, out + err


def test_an_interrupted_spool_leaves_nothing_held_and_is_never_doubled(pool, work, capsys,
                                                                      monkeypatch):
    """The job is queued, its files never arrive (the client stops there: the cleanup
    cannot reach the schedd either). The next attempt removes the held job and submits
    once; a lost submit reply is found again by its key, never doubled."""
    make_executable(work / "sleep.sh", SLEEP)
    real_spool, real_act = htcondor2.Schedd.spool, htcondor2.Schedd.act

    def interrupted(self, *args, **kwargs):
        raise htcondor2.HTCondorException("connection closed while sending files")

    def unreachable(self, *args, **kwargs):
        raise htcondor2.HTCondorException("schedd not answering")

    monkeypatch.setattr(htcondor2.Schedd, "spool", interrupted)
    monkeypatch.setattr(htcondor2.Schedd, "act", unreachable)
    code, out, err = run_cli(capsys, "submit", "-o", "intr", "file://sleep.sh", "1")
    assert code == 1
    assert "sending the job's files on schedd" in err and "left held without its files" in err
    assert len(err.strip().splitlines()) == 2  # the line and its hint
    [held] = _one_live_job(work, "intr")
    assert (held["JobStatus"], held["HoldReasonCode"]) == (5, 16)
    monkeypatch.setattr(htcondor2.Schedd, "spool", real_spool)
    monkeypatch.setattr(htcondor2.Schedd, "act", real_act)
    code, out, err = run_cli(capsys, "submit", "-o", "intr", "file://sleep.sh", "1")
    assert code == 0 and "1 job(s) submitted" in out, err
    [live] = _one_live_job(work, "intr")
    assert live["ClusterId"] != held["ClusterId"]
    code, out, err = run_cli(capsys, "wait", submitted_id(out))
    assert code == 0, out + err


def test_a_schedd_that_disappears_mid_submission(pool, work, capsys, monkeypatch):
    """Schedd 2 stops between queueing the job and receiving its files: one line, exit 1;
    when it is back, submitting again removes the held job and runs the workflow once. A
    finished submission of the same workflow is not mistaken for the interrupted one."""
    make_executable(work / "a.sh")
    code, out, err = run_cli(capsys, "submit", "--schedd", pool.schedds[1], "-o", "before",
                             "file://a.sh")
    assert code == 0, err
    before = submitted_id(out)
    assert run_cli(capsys, "wait", before)[0] == 0
    real = htcondor2.Schedd.spool

    def stop_then_spool(self, *args, **kwargs):
        pool.power(2, False)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(htcondor2.Schedd, "spool", stop_then_spool)
    try:
        code, out, err = run_cli(capsys, "submit", "--schedd", pool.schedds[1], "-o", "gone",
                                 "file://a.sh")
        assert code == 1 and "Traceback" not in err
        assert err.startswith(f"jobsub: error: sending the job's files on schedd "
                              f"{pool.schedds[1]}: "), err
        code, out, err = run_cli(capsys, "submit", "-o", "gone", "file://a.sh")
        assert code == 1 and f"an earlier attempt to submit this workflow to schedd " \
                             f"{pool.schedds[1]} did not finish" in err
    finally:
        monkeypatch.setattr(htcondor2.Schedd, "spool", real)
        pool.power(2, True)
    code, out, err = run_cli(capsys, "submit", "-o", "gone", "file://a.sh")
    assert code == 0 and submitted_id(out).endswith(f"@{pool.schedds[1]}"), err
    assert submitted_id(out) != before and "earlier attempt" not in out
    assert len(_one_live_job(work, "gone")) == 1
    code, out, err = run_cli(capsys, "wait", submitted_id(out))
    assert code == 0, out + err


def test_wait_stops_on_a_held_job_and_a_dagman_that_cannot_start(pool, work, capsys,
                                                                tmp_path):
    make_executable(work / "sleep.sh", SLEEP)
    code, out, err = run_cli(capsys, "submit", "-o", "h", "file://sleep.sh", "300")
    job_id = submitted_id(out)
    run_cli(capsys, "hold", job_id, "--reason", "the test holds it")
    code, out, err = run_cli(capsys, "wait", job_id, "--timeout", "60")
    assert code == 1 and out == f"{job_id} is held: the test holds it (by user jobsub)\n"
    run_cli(capsys, "rm", job_id)
    site = tmp_path / "site.yaml"
    site.write_text("dagman: /usr/bin/no_such_dagman\n")
    (work / "d.dagnabbit").write_text("jobsub_submit file://sleep.sh 1\n")
    code, out, err = run_cli(capsys, "submit", "--site-config", str(site), "--dag", "-o", "d",
                             "file://d.dagnabbit")
    assert code == 0, err
    dag_id = submitted_id(out)
    code, out, err = run_cli(capsys, "wait", dag_id, "--timeout", "60")
    assert code == 1
    assert out.startswith(f"{dag_id} is held: ") and "/usr/bin/no_such_dagman" in out
    run_cli(capsys, "rm", dag_id)


def test_errors_are_one_line(pool, work, capsys, tmp_path):
    code, _out, err = run_cli(capsys, "hold", "999999.0")
    assert code == 1
    assert err.startswith("jobsub: error: job 999999.0 is on none of the site's schedds: ")
    code, _out, err = run_cli(capsys, "fetchlog", f"999999@{pool.schedds[0]}")
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


def test_fetchlog_of_a_running_dag_gives_what_exists_so_far(pool, work, capsys):
    """Fetched while it runs, a DAG stays in the queue (fetching again later brings the
    rest); fetched once finished, it leaves."""
    import time

    make_executable(work / "step.sh", STEP)
    make_executable(work / "sleep.sh", SLEEP)
    (work / "r.dagnabbit").write_text("<serial>\njobsub_submit file://step.sh first\n"
                                      "jobsub_submit file://sleep.sh 15\n</serial>\n")
    code, out, err = run_cli(capsys, "submit", "--dag", "-o", "out", "file://r.dagnabbit")
    job_id = submitted_id(out)
    deadline = time.monotonic() + 120
    while True:  # until the second node runs
        code, out, err = run_cli(capsys, "q", "--dag", job_id, "--json")
        if any(r["node"] == "stage_2" and r["status"] == "R" for r in json.loads(out)):
            break
        assert time.monotonic() < deadline, out
        time.sleep(1)
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--destdir", "early")
    assert code == 0, err
    early = {p.name for p in (work / "early").iterdir()}
    assert any(n.startswith("stage_1.") and n.endswith(".out") for n in early)
    assert not any(n.startswith("stage_2.") and n.endswith(".out") for n in early)
    assert "r.dag.dagman.out" in early
    assert not _leaves_queue(job_id, timeout=5)  # still running: still there
    code, out, err = run_cli(capsys, "wait", job_id, "--fetch", "--destdir", "late")
    assert code == 0, out + err
    late = {p.name for p in (work / "late" / job_id).iterdir()}
    assert any(n.startswith("stage_2.") and n.endswith(".out") for n in late)
    assert _leaves_queue(job_id)


def test_the_site_file_selects_the_schedds_serving_a_group(pool, work, capsys, tmp_path):
    """jobsub_lite's constraint (the fermilab profile's): schedds that advertise the group
    in SupportedVOList; the test pool's serve 'fermilab' and 'jobsub'."""
    site = tmp_path / "site.yaml"
    site.write_text("schedd_constraint: 'IsJobsubLite =?= true && "
                    "stringListIMember(\"{group}\", SupportedVOList)'\n")
    make_executable(work / "a.sh")
    code, out, err = run_cli(capsys, "submit", "--site-config", str(site), "-G", "jobsub",
                             "-o", "g1", "file://a.sh")
    assert code == 0, err
    job_id = submitted_id(out)
    assert job_id.split("@", 1)[1] in pool.schedds
    code, out, err = run_cli(capsys, "submit", "--site-config", str(site), "-G", "otherexp",
                             "-o", "g2", "file://a.sh")
    assert code == 1 and "lists no schedd of this site" in err
    assert 'stringListIMember("otherexp", SupportedVOList)' in err  # the hint shows it
    code, out, err = run_cli(capsys, "q", "--site-config", str(site))
    assert code == 1 and "depend on your group" in err
    code, out, err = run_cli(capsys, "q", "--site-config", str(site), "-G", "jobsub", job_id)
    assert code == 0 and job_id in out


def test_rm_of_a_finished_job_lets_its_unfetched_output_go(pool, work, capsys):
    make_executable(work / "a.sh")
    code, out, err = run_cli(capsys, "submit", "-o", "f", "file://a.sh")
    job_id = submitted_id(out)
    code, out, err = run_cli(capsys, "wait", job_id)
    assert code == 0, out + err
    code, out, err = run_cli(capsys, "q", "--json", job_id)
    assert [r["status"] for r in json.loads(out)] == ["C"]  # waiting to be fetched
    mine = f'substr(SUBMIT_Iwd, 0, {len(str(work))}) == "{work}"'
    code, out, err = run_cli(capsys, "rm", "--constraint", mine)  # not by name: kept
    assert code == 1 and "no job matches on any schedd" in err
    code, out, err = run_cli(capsys, "q", "--json", job_id)
    assert [r["status"] for r in json.loads(out)] == ["C"]
    code, out, err = run_cli(capsys, "rm", job_id)
    assert (code, out) == (0, f"Job {job_id.split('@')[0]} removed (it had ended; what it "
                              "left unfetched is discarded)\n")
    assert _leaves_queue(job_id)


def test_job_info_scripts_run_after_the_submission(pool, work, capsys, monkeypatch):
    make_executable(work / "a.sh")
    make_executable(work / "info.sh", f"#!/bin/sh\nprintf '%s|%s\\n' \"$1\" \"$2\" >> "
                                      f"{work}/info.log\n")
    make_executable(work / "fails.sh", "#!/bin/sh\nexit 4\n")
    monkeypatch.setenv("JOBSUB_EXTRA_JOB_INFO", f"{work}/info.sh")
    code, out, err = run_cli(capsys, "submit", "--job-info", f"{work}/fails.sh", "-o", "o",
                             "file://a.sh", "first arg")
    assert code == 0, err
    job_id = submitted_id(out)
    assert (work / "info.log").read_text() == \
        f"{job_id}|jobsub_submit --job-info {work}/fails.sh -o o file://a.sh 'first arg'\n"
    assert f"warning: --job-info {work}/fails.sh exited with 4" in err
    assert run_cli(capsys, "rm", job_id)[0] == 0


def test_global_pool_asks_that_pools_collector(pool, work, capsys, monkeypatch):
    collector = htcondor2.param["COLLECTOR_HOST"]
    monkeypatch.setenv("JOBSUB_POOL_MAP", json.dumps(
        {"here": {"collector": collector}, "gone": {"collector": "127.0.0.1:9"}}))
    code, out, err = run_cli(capsys, "q", "--global-pool", "here")
    assert code == 0 and "total;" in out, err
    code, out, err = run_cli(capsys, "q", "--global-pool", "gone")
    assert code == 1 and "127.0.0.1:9" in err, err


def test_q_takes_condor_qs_filters_and_output_forms(pool, work, capsys):
    make_executable(work / "sleep.sh", SLEEP)
    code, out, err = run_cli(capsys, "submit", "-G", "fermilab", "--schedd", pool.schedds[0],
                             "-o", "held", "file://sleep.sh", "300")
    held = submitted_id(out)
    code, out, err = run_cli(capsys, "submit", "-G", "otherexp", "--memory", "64TB",
                             "--schedd", pool.schedds[1], "-o", "idle", "file://sleep.sh", "1")
    assert code == 0, err
    idle = submitted_id(out)
    assert run_cli(capsys, "hold", held)[0] == 0

    def listed(*argv: str) -> set[str]:
        code, out, err = run_cli(capsys, "q", "--json", *argv)
        assert code == 0, err
        return {r["jobsubjobid"] for r in json.loads(out)} & {held, idle}

    try:
        assert listed("-hold") == {held} and listed("--idle") == {idle}
        assert listed("-hold", "-idle") == {held, idle}
        # -G: every user's jobs of the group; -name: one schedd
        assert listed("-G", "fermilab") == {held} and listed("-G", "otherexp") == {idle}
        assert listed("-G", "otherexp", "-me") == {idle}
        assert listed("-name", pool.schedds[1]) == {idle}
        cluster = held.split(".")[0]
        code, out, err = run_cli(capsys, "q", held, "-af", "ClusterId", "Owner", "JobStatus",
                                 "Jobsub_Group")
        assert (code, out) == (0, f"{cluster} jobsub 5 fermilab\n"), err
        code, out, err = run_cli(capsys, "q", idle, "-format", "%d.", "ClusterId",
                                 "-format", "%d\\n", "ProcId")
        assert (code, out) == (0, f"{idle.split('@')[0]}\n"), err
        code, out, err = run_cli(capsys, "q", held, "-long")
        assert code == 0 and f"ClusterId = {cluster}\n" in out and 'Owner = "jobsub"' in out
        code, out, err = run_cli(capsys, "q", held, idle, "-totals")
        assert out == "2 total; 0 completed, 0 removed, 1 idle, 0 running, 1 held, " \
                      "0 suspended\n", err
        code, out, err = run_cli(capsys, "q", held, idle, "-better-analyze")
        assert code == 0, err
        assert f"{held}: held: by jobsub hold" in out
        assert f"{idle}: " in out and "RequestMemory" in out, out
        # condor_hold's -subcode and -reason; condor_rm's user name with -constraint
        code, out, err = run_cli(capsys, "hold", idle, "-subcode", "7", "-reason", "a test")
        assert code == 0, err
        code, out, err = run_cli(capsys, "q", idle, "-af", "HoldReasonSubCode", "HoldReason")
        assert out == "7 a test (by user jobsub)\n", err  # the schedd adds who held it
        both = f"ClusterId == {cluster} || ClusterId == {idle.split('.')[0]}"
        code, out, err = run_cli(capsys, "rm", "jobsub", "-constraint", both)
        assert code == 0 and out.count("marked for removal") == 2, err
        code, out, err = run_cli(capsys, "rm", "nosuchuser", "-constraint", both)
        assert code == 1 and "no job matches" in err
    finally:
        run_cli(capsys, "rm", held, idle)


def test_history_with_dates_limit_and_forms(pool, work, capsys):
    import time

    make_executable(work / "a.sh")
    code, out, err = run_cli(capsys, "submit", "-o", "h", "file://a.sh", "history")
    job_id = submitted_id(out)
    assert run_cli(capsys, "wait", job_id, "--timeout", "120")[0] == 0
    assert run_cli(capsys, "fetchlog", job_id, "--destdir", "got")[0] == 0  # it leaves the queue
    for _ in range(50):  # history lands just after the job leaves the queue
        code, out, err = run_cli(capsys, "history", job_id, "--json")
        if json.loads(out):
            break
        time.sleep(0.2)
    [row] = json.loads(out)
    assert (row["jobsubjobid"], row["status"]) == (job_id, "C")
    today = time.strftime("%Y-%m-%d")
    code, out, err = run_cli(capsys, "history", job_id, "--qdate-ge", today, "--qdate-le", today,
                             "-af", "ClusterId", "ExitCode")
    assert (code, out) == (0, f"{job_id.split('.')[0]} 0\n"), err
    code, out, err = run_cli(capsys, "history", job_id, "--qdate-le", "2001-01-01")
    assert code == 0 and out.splitlines()[-1].startswith("0 total;"), err
    code, out, err = run_cli(capsys, "history", "-limit", "1", "--json",
                             "--schedd", job_id.split("@", 1)[1])
    assert code == 0 and len(json.loads(out)) == 1, err
    with pytest.raises(SystemExit) as usage:  # argparse: exit status 2
        run_cli(capsys, "history", "--qdate-ge", "yesterday")
    assert usage.value.code == 2 and "is not a date" in capsys.readouterr().err


def test_condor_wrappers_ask_every_schedd_of_the_site(pool, work, capfd, monkeypatch):
    from jobsub.cli.main import main

    fake = "#!/bin/sh\necho \"$(basename \"$0\") $* credd=${_condor_CREDD_HOST:-}\"\n"
    for tool in ("condor_q", "condor_rm", "condor_submit"):
        make_executable(work / "condor" / tool, fake)
    monkeypatch.setenv("JOBSUB_CONDOR_BIN", str(work / "condor"))
    capfd.readouterr()

    def run(*argv: str) -> list[str]:  # the tools write to the file descriptors
        assert main(list(argv)) == 0
        return capfd.readouterr().out.splitlines()

    assert sorted(run("condor", "q", "-af", "Owner")) == sorted(
        f"condor_q -name {s} -af Owner credd=vm" for s in pool.schedds)
    assert run("condor", "rm", f"12.0@{pool.schedds[1]}", "-forcex") == [
        f"condor_rm -name {pool.schedds[1]} -forcex 12.0 credd=vm"]
    [line] = run("condor", "submit", "job.sub")
    assert line.split()[:2] == ["condor_submit", "-remote"] and line.split()[2] in pool.schedds


def test_100000_copies_materialize_as_they_run(pool, work, capsys):
    """The schedd holds at most MATERIALIZED_IDLE of them idle, not 100,000 ads; q answers."""
    import time

    from jobsub.compiler.base.limits import MATERIALIZED_IDLE

    make_executable(work / "sleep.sh", SLEEP)
    code, out, err = run_cli(capsys, "submit", "-N", "100000", "-o", "many",
                             "file://sleep.sh", "600")
    assert code == 0, err
    dag = submitted_id(out)
    schedd = schedd_of(dag)
    try:
        ads = []
        for _ in range(120):  # DAGMan starts, then submits the node's factory cluster
            ads = schedd.query(f"DAGManJobId == {dag.split('.')[0]}",
                               ["ClusterId", "ProcId", "JobStatus", "JobMaterializeMaxIdle"])
            if len(ads) >= MATERIALIZED_IDLE:
                break
            time.sleep(1)
        assert ads and all(ad.get("JobMaterializeMaxIdle") == MATERIALIZED_IDLE for ad in ads)
        time.sleep(5)  # it keeps materializing only as jobs leave
        queued = schedd.query(f"DAGManJobId == {dag.split('.')[0]}", ["ProcId"])
        assert MATERIALIZED_IDLE <= len(queued) <= MATERIALIZED_IDLE + 10
        started = time.monotonic()
        code, out, err = run_cli(capsys, "q", "--dag", dag, "-totals")
        took = time.monotonic() - started
        assert code == 0 and "total;" in out, err
        print(f"\njobsub q --dag with the cluster materializing: {took:.2f} s, "
              f"{len(queued)} job ads of 100,000 in the queue")
    finally:
        assert run_cli(capsys, "rm", dag)[0] == 0
