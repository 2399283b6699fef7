"""The bare references of bench/after.py, one per process:

    status-bare SCHEDD CLUSTER        the DAGMan job's ad and its node jobs' (queue, history)
    files-bare SCHEDD CLUSTER DIR     retrieve the DAG's spool into DIR, read its nodes log
    read-bare NODES_LOG               htcondor2.JobEventLog over a nodes log
    load BROWSER URL PROFILE          headless Chromium loads a page and runs its scripts
"""

from __future__ import annotations

import shutil
import subprocess
import sys


def _schedd(name: str):
    import htcondor2

    [ad] = htcondor2.Collector().query(htcondor2.AdType.Schedd, f'Name == "{name}"')
    return htcondor2.Schedd(ad)


def _read(path: str) -> int:
    import htcondor2

    return sum(1 for _ in htcondor2.JobEventLog(path).events(0))


def main() -> None:
    step, *args = sys.argv[1:]
    if step == "status-bare":
        schedd, cluster = _schedd(args[0]), int(args[1])
        schedd.query(f"ClusterId == {cluster}")
        schedd.query(f"DAGManJobId == {cluster}", ["ClusterId", "JobStatus", "DAGNodeName"])
        list(schedd.history(f"DAGManJobId == {cluster}", ["ClusterId", "JobStatus",
                                                          "ExitCode", "DAGNodeName"],
                            match=-1))
    elif step == "files-bare":
        schedd, cluster, dest = _schedd(args[0]), int(args[1]), args[2]
        shutil.rmtree(dest, ignore_errors=True)
        schedd.edit(f"ClusterId == {cluster}", "SUBMIT_Iwd", f'"{dest}"')
        schedd.retrieve(f"ClusterId == {cluster}")
        _read(f"{dest}/big.dag.nodes.log")
    elif step == "read-bare":
        _read(args[0])
    elif step == "load":
        browser, url, profile = args
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={profile}", "--virtual-time-budget=5000",
                        "--dump-dom", url], capture_output=True, check=True, timeout=120)
    else:
        raise SystemExit(f"unknown step {step}")


if __name__ == "__main__":
    main()
