"""What a spooled submission adds to the job, and the DAGMan job jobsub writes: parsed by
HTCondor's own submit and ClassAd code."""

from __future__ import annotations

import time

import classad2
import htcondor2

from jobsub.runtime import dagman
from jobsub.runtime.submission import SpoolPolicy, leave_in_queue, spool_settings


def test_a_finished_job_waits_until_fetched_or_for_its_days():
    expr = classad2.ExprTree(leave_in_queue(10))

    def stays(**ad) -> bool:
        return bool(expr.eval(classad2.ClassAd({"JobStatus": 4, **ad})))

    now = int(time.time())
    assert stays(EnteredCurrentStatus=now - 60)  # finished, never fetched
    assert stays(JobStatus=3, JobUniverse=7, EnteredCurrentStatus=now - 60)  # removed DAG
    assert not stays(JobStatus=3, JobUniverse=5, EnteredCurrentStatus=now - 60)  # a job
    assert not stays(EnteredCurrentStatus=now - 60, StageOutFinish=now - 1)  # fetched since
    assert stays(EnteredCurrentStatus=now - 60, StageOutFinish=now - 3600)  # fetched while it ran
    assert not stays(EnteredCurrentStatus=now - 11 * 86400)  # waited longer than 10 days
    # read for a report, then fetched by that retrieval's own StageOutFinish: still waits
    assert stays(EnteredCurrentStatus=now - 60, StageOutFinish=now - 1, JobsubPeeked=True)
    assert not stays(EnteredCurrentStatus=now - 60, StageOutFinish=now - 1, JobsubPeeked=True,
                     JobsubFetched=True)  # then fetched by jobsub fetchlog


def test_spool_settings_keep_the_users_own():
    sub = htcondor2.Submit("executable = a\nperiodic_remove = NumJobStarts > 3\n"
                           "+LeaveJobInQueue = False\nqueue\n")
    spool_settings(sub, "k3y", SpoolPolicy())
    assert sub["MY.JobsubSubmitId"] == '"k3y"'
    assert "leave_in_queue" not in sub  # the user's +LeaveJobInQueue stands
    assert sub["periodic_remove"].startswith("(NumJobStarts > 3) || (JobStatus == 5 && "
                                             "HoldReasonCode == 16")
    plain = htcondor2.Submit("executable = a\nqueue\n")
    spool_settings(plain, "k", SpoolPolicy(keep_unfetched_days=2))
    assert "< 172800" in plain["leave_in_queue"]


def test_the_dagman_job_runs_the_schedds_dagman_with_nothing_of_the_client():
    keys = dagman.description("w.dag", ["files", "s.sub", "w.config", "w.dag"],
                              "/usr/bin/condor_dagman", "$CondorVersion: 23.9.6 x $",
                              {"JobsubCmd": '"w.dag"'},
                              "DAGMAN_MAX_JOBS_IDLE = 5\nDAGMAN_X = a b\n")
    sub = htcondor2.Submit(keys)
    assert sub["universe"] == "scheduler" and sub["getenv"] == "false"
    assert sub["transfer_executable"] == "false"
    assert sub["transfer_input_files"] == "files, s.sub, w.config, w.dag"
    env = sub.expand("environment")
    assert "_CONDOR_DAGMAN_MAX_JOBS_IDLE=5" in env and "'_CONDOR_DAGMAN_X=a b'" in env
    args = sub.expand("arguments")
    assert "-Dag w.dag" in args and "-Dagman /usr/bin/condor_dagman" in args
    assert "'$CondorVersion: 23.9.6 x $'" in args.replace("''", "'")
    assert "CONDOR_CONFIG" not in str(sub) and "PATH" not in str(sub)
