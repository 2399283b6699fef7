"""Load: a 10,000-node DAG of no-op jobs, spooled to a schedd of the test pool. While
DAGMan fills the queue, `jobsub q` (plain, asking both schedds; --dag; --json) must keep
answering within seconds, `jobsub wait` must return at its timeout, and `jobsub rm` must
take the whole DAG away. The timings are printed (run with -s) and, with
JOBSUB_LOAD_REPORT=FILE, written as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.helpers import make_executable
from tests.pool_support import submitted_id

pytestmark = pytest.mark.pool

NODES = 10_000
#: Jobs of the DAG that must be in the queue before the measurements count.
LOADED = 5_000
#: "Responsive": generous bounds for a loaded 2-core machine (typical: under a second).
QUERY_LIMIT_S = 10.0


def jobsub(*argv: str) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "jobsub.cli", *argv], capture_output=True,
                          text=True, timeout=120)
    return time.perf_counter() - start, proc


def totals(q_output: str) -> int:
    return int(q_output.strip().splitlines()[-1].split()[0])


def test_a_10000_node_dag_stays_manageable(pool_cwd):
    make_executable(pool_cwd / "noop.sh", "#!/bin/sh\nexit 0\n")
    side = list(range(100))
    manifest = {"name": "load",
                "dag": {"maxidle": 2 * NODES,
                        "config": {"DAGMAN_MAX_SUBMITS_PER_INTERVAL": 1000}},
                "jobs": {"noop": {"executable": "noop.sh", "arguments": ["$(a)", "$(b)"],
                                  "matrix": {"a": side, "b": side}}}}
    (pool_cwd / "load.yaml").write_text(json.dumps(manifest))
    # Finished jobs of earlier sessions wait in the queue for their fetch: not this DAG's.
    before = totals(jobsub("q")[1].stdout)
    took, proc = jobsub("submit", "--dag", "-o", "out", "file://load.yaml")
    assert proc.returncode == 0, proc.stderr
    timings: dict = {"compile_and_submit_s": round(took, 2), "samples": []}
    dag_id = submitted_id(proc.stdout)
    try:
        assert (pool_cwd / "out" / "load.dag").read_text().count("\nJOB ") == NODES
        deadline = time.monotonic() + 240
        in_queue = 0
        while in_queue < LOADED:
            assert time.monotonic() < deadline, f"DAGMan queued only {in_queue} jobs"
            time.sleep(2)
            took, proc = jobsub("q")
            assert proc.returncode == 0, proc.stderr
            in_queue = totals(proc.stdout) - before
            timings["samples"].append({"jobs": in_queue, "q_s": round(took, 2)})
            assert took < QUERY_LIMIT_S, timings
        took, proc = jobsub("q", "--dag", dag_id)
        assert proc.returncode == 0, proc.stderr
        nodes_listed = proc.stdout.count("|-noop_")
        assert nodes_listed >= LOADED - 10 and took < QUERY_LIMIT_S
        timings["q_dag_s"], timings["q_dag_nodes"] = round(took, 2), nodes_listed
        took, proc = jobsub("q", "--json")
        assert proc.returncode == 0 and len(json.loads(proc.stdout)) >= LOADED
        assert took < QUERY_LIMIT_S
        timings["q_json_s"] = round(took, 2)
        took, proc = jobsub("wait", dag_id, "--timeout", "3")
        assert proc.returncode == 1 and "timed out after 3 s" in proc.stdout + proc.stderr
        assert took < 3 + QUERY_LIMIT_S
        timings["wait_timeout_3_s"] = round(took, 2)
    finally:
        took, proc = jobsub("rm", dag_id)
        timings["rm_s"] = round(took, 2)
    assert proc.returncode == 0, proc.stderr
    start = time.monotonic()
    while True:  # DAGMan takes its nodes with it
        _, proc = jobsub("q", "--dag", dag_id)
        if "|-noop_" not in proc.stdout:
            break
        assert time.monotonic() - start < 120, proc.stdout[-300:]
        time.sleep(1)
    timings["drained_after_rm_s"] = round(time.monotonic() - start, 2)
    print(json.dumps(timings))
    if os.environ.get("JOBSUB_LOAD_REPORT"):
        with open(os.environ["JOBSUB_LOAD_REPORT"], "w") as fh:
            json.dump(timings, fh, indent=2)
