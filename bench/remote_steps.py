"""One measured step of bench/remote.py, run in a fresh process (under bench/peak.py).

    remote_steps.py spool-jobsub FOLDER TOP     jobsub's runtime spools a compiled folder
    remote_steps.py spool-bare FOLDER TOP       the bare bindings spool the same DAGMan job
                                                (BENCH_UNTIL_RELEASED=1: and wait until the
                                                schedd has released it, as jobsub does)
    remote_steps.py fetch-bare SCHEDD CLUSTER DEST   bare edit of SUBMIT_Iwd + retrieve
    remote_steps.py q-bare                      bare queries of every schedd, one by one

Each prints `ID cluster@schedd` for what it submitted (the runner removes it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import htcondor2

from jobsub.runtime import dagman
from jobsub.runtime.pool import Pool, PoolSettings
from jobsub.runtime.queue import PROJECTION
from jobsub.runtime.submission import Folder, SpoolPolicy, submit_folder, top_level_inputs


def _schedd_ads() -> list:
    return list(htcondor2.Collector().query(htcondor2.AdType.Schedd, "true",
                                            ["Name", "MyAddress", "CondorVersion", "Machine",
                                             "AddressV1"]))


def spool_jobsub(folder: str, top: str) -> None:
    pool = Pool(PoolSettings(schedd=os.environ.get("BENCH_SCHEDD")))
    done = submit_folder(pool, Folder(Path(folder), top, True, os.environ["USER"]),
                         SpoolPolicy())
    print(f"ID {done.cluster}@{done.schedd}")


def spool_bare(folder: str, top: str) -> None:
    """What any client must do at least: one submit, one spool of the same DAGMan job."""
    name = os.environ.get("BENCH_SCHEDD")
    ad = next(a for a in _schedd_ads() if a["Name"] == name)
    schedd = htcondor2.Schedd(ad)
    os.chdir(folder)
    description = htcondor2.Submit(dagman.description(
        top, top_level_inputs(Path(".")), "/usr/bin/condor_dagman", ad["CondorVersion"], {}))
    result = schedd.submit(description, spool=True)
    schedd.spool(result)
    if os.environ.get("BENCH_UNTIL_RELEASED"):  # as jobsub does: until the schedd has it
        while schedd.query(f"ClusterId == {result.cluster()} && JobStatus == 5 && "
                           "HoldReasonCode == 16", ["ClusterId"]):
            time.sleep(0.2)
    print(f"ID {result.cluster()}@{name}")


def fetch_bare(name: str, cluster: str, dest: str) -> None:
    ad = next(a for a in _schedd_ads() if a["Name"] == name)
    schedd = htcondor2.Schedd(ad)
    constraint = f"ClusterId == {int(cluster)}"
    schedd.edit(constraint, "SUBMIT_Iwd", f'"{dest}"')
    schedd.edit(constraint, "SUBMIT_UserLog", f'"{dest}/log"')
    schedd.retrieve(constraint)


def q_bare() -> None:
    user = os.environ["USER"]
    rows = 0
    for ad in _schedd_ads():
        rows += len(htcondor2.Schedd(ad).query(f'Owner == "{user}"', PROJECTION))
    print(f"ROWS {rows}")


STEPS = {"spool-jobsub": spool_jobsub, "spool-bare": spool_bare, "fetch-bare": fetch_bare,
         "q-bare": q_bare}

if __name__ == "__main__":
    STEPS[sys.argv[1]](*sys.argv[2:])
