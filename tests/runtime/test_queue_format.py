"""jobsub q's table: jobsub_q's columns, DAG nodes under their DAGMan job, the totals line.
(Rows come from real job ads in the pool tests; here from ads written out by hand.)"""

from __future__ import annotations

import time

import classad2

from jobsub.runtime.queue import format_table, grouped, to_row

NOW = time.mktime((2026, 3, 30, 11, 38, 0, 0, 0, -1))


def ad(**attrs):
    base = {"Owner": "user1", "QDate": int(NOW), "JobPrio": 0, "ImageSize": 2048,
            "Cmd": "/x/simple.sh"}
    return classad2.ClassAd({**base, **attrs})


def test_columns_and_totals():
    rows = grouped([
        to_row(ad(ClusterId=12, ProcId=0, JobStatus=2, JobsubCmd="job.sh",
                  RemoteWallClockTime=60.0, JobCurrentStartDate=int(NOW) - 3600), "s", NOW),
        to_row(ad(ClusterId=10, ProcId=0, JobStatus=2, JobUniverse=7,
                  Cmd="/usr/bin/condor_dagman", Arguments="-f -l ."), "s", NOW),
        to_row(ad(ClusterId=11, ProcId=0, JobStatus=5, DAGManJobId=10, DAGNodeName="stage_1",
                  JobsubCmd="a.sh"), "s", NOW),
        to_row(ad(ClusterId=13, ProcId=0, JobStatus=1, DAGManJobId=10, DAGNodeName="stage_2",
                  JobsubCmd="b.sh"), "s", NOW),
    ])
    lines = format_table(rows).splitlines()
    # jobsub_q's header and -format columns: %-40s, %-10s\t, %-11s, %T, ' %s ', ' %3d ', %6.1f
    assert lines[0] == ("JOBSUBJOBID                             OWNER       \tSUBMITTED     "
                        "RUNTIME   ST PRIO   SIZE  COMMAND")
    assert lines[1] == ("10.0@s                                  user1     \t03/30 11:38 "
                        "0+00:00:00  R    0    2.0 condor_dagman -f -l .")
    assert lines[2].split()[-2:] == ["|-stage_1", "a.sh"] and lines[2].split()[5] == "H"
    assert lines[3].split()[-2:] == ["|-stage_2", "b.sh"]
    assert lines[4].split()[4:6] == ["0+01:01:00", "R"]
    assert lines[5] == ("4 total; 0 completed, 0 removed, 1 idle, 2 running, 1 held, "
                        "0 suspended")


def test_size_is_right_aligned_and_priority_three_wide():
    [row] = grouped([to_row(ad(ClusterId=1, ProcId=0, JobStatus=1, JobPrio=-5,
                               ImageSize=1264435, JobsubCmd="big.sh"), "s", NOW)])
    line = format_table([row]).splitlines()[1]
    assert line.endswith("  I   -5 1234.8 big.sh")
    assert format_table([row], totals_only=True) == (
        "1 total; 0 completed, 0 removed, 1 idle, 0 running, 0 held, 0 suspended")
