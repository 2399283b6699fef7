"""After-submission measurements against the test pool: `jobsub status`, `analyze` and
`report` of a 10,000-node DAG, while it runs and once it has finished, each in a fresh
process, side by side with the least any client must do for the same answer:

- status while running: the DAGMan job's ad and every node job's ad, queue and history
  (bare: the same two queries with the bindings, nothing made of them);
- analyze while running: the DAG's files brought from the spool and read (bare: the same
  retrieval, then htcondor2.JobEventLog over the nodes log);
- status and analyze once finished: the first look retrieves and keeps the files, later
  ones read the kept copy (bare: reading the nodes log);
- report: the page's size, and the time headless Chromium takes to load it and run its
  script (bare: the same browser loading an empty page).

The DAG: 600 real jobs (half exit 3), 9,396 NOOP nodes (the test pool's four slots would
take hours over 10,000 real jobs; NOOP nodes leave events in DAGMan's logs but no job ads)
and 4 jobs that sleep 90 s, so the DAG is measured running with nearly all its nodes done;
no edges; DAGMan may submit 1,000 nodes a second.

    sudo tests/pool/pool.sh up && eval "$(tests/pool/pool.sh env)"
    USER=jobsub python bench/after.py [--repeat 3]

Medians; the JSON report goes to bench/results/after.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.remote import folder_bytes, median_of, pool_missing, remove, run  # noqa: E402

STEPS = str(HERE / "after_steps.py")
JOBSUB = "jobsub.cli.main:main"
NOOPS, REAL, SLOW = 9_396, 600, 4


def workflow(work: Path) -> Path:
    (work / "job.sh").write_text("#!/bin/sh\necho \"job $1\"\necho \"failing $1\" >&2\n"
                                 "[ $(($1 % 2)) -eq 0 ] || exit 3\n")
    (work / "job.sh").chmod(0o755)
    manifest = {"name": "big", "dag": {"config": {"DAGMAN_MAX_SUBMITS_PER_INTERVAL": 1000}},
                "jobs": {
                    "noops": {"executable": "job.sh", "arguments": ["$(i)"], "noop": True,
                              "memory": "64MB", "disk": "1MB",
                              "matrix": {"i": list(range(NOOPS))}},
                    "real": {"executable": "job.sh", "arguments": ["$(i)"],
                             "memory": "65MB", "disk": "1MB",
                             "matrix": {"i": list(range(REAL))}},
                    "slow": {"executable": "slow.sh", "memory": "66MB", "disk": "1MB",
                             "priority": -100,  # submitted last
                             "matrix": {"i": list(range(SLOW))}}}}
    (work / "slow.sh").write_text("#!/bin/sh\nsleep 90\n")
    (work / "slow.sh").chmod(0o755)
    path = work / "big.yaml"
    path.write_text(json.dumps(manifest))
    return path


def jobsub(work: Path, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobsub.cli", *argv], cwd=work,
                          capture_output=True, text=True)


def state(work: Path, job: str) -> dict:
    return json.loads(jobsub(work, "status", job, "--json").stdout)


def timed(samples: list, argv: list[str], work: Path) -> str:
    """One fresh process under peak.py; jobsub's exit statuses 1, 3 and 4 say how the DAG
    is doing, not that the command failed."""
    wall, peak, out = run(argv, work, ok=(0, 1, 3, 4))
    samples.append((wall, peak))
    return out


def _ratio(ours: list, theirs: list) -> float:
    return round(statistics.median(s for s, _ in ours) /
                 statistics.median(s for s, _ in theirs), 2)


def chromium() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)),
                None)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", default=str(HERE / "results" / "after.json"))
    args = p.parse_args()
    if pool_missing("bench/after.py"):
        return 2
    report: dict = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                    "nodes": NOOPS + REAL + SLOW}
    with tempfile.TemporaryDirectory(prefix="jobsub-bench-after.") as tmp:
        work = Path(tmp)
        os.environ.update({"XDG_STATE_HOME": str(work / "state"),
                           "XDG_CACHE_HOME": str(work / "cache")})
        path = workflow(work)
        done = jobsub(work, "submit", "--dag", f"file://{path.name}")
        if done.returncode != 0:
            raise RuntimeError(done.stderr)
        job = next(ln.split()[3] for ln in done.stdout.splitlines()
                   if ln.startswith("Use job id"))
        cluster, schedd = job.split(".", 1)[0], job.split("@", 1)[1]
        try:
            report.update(measure(work, job, cluster, schedd, args.repeat))
        finally:
            remove(schedd, int(cluster))
    print(json.dumps(report, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def measure(work: Path, job: str, cluster: str, schedd: str, repeat: int) -> dict:
    out: dict = {}
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        totals = state(work, job)["totals"]
        if totals.get("done", 0) + totals.get("failed", 0) >= REAL:
            break
        time.sleep(2)
    ours, bare, analyzed, bare_files = [], [], [], []
    for _ in range(repeat):
        timed(ours, [JOBSUB, "status", job, "--json"], work)
        timed(bare, [STEPS, "status-bare", schedd, cluster], work)
        timed(analyzed, [JOBSUB, "analyze", job, "--json"], work)
        timed(bare_files, [STEPS, "files-bare", schedd, cluster, str(work / "peek")], work)
    seen = state(work, job)
    out["running"] = {
        "done_when_measured": seen["totals"].get("done"),
        "status": median_of(ours), "status_bare": median_of(bare),
        "status_ratio": _ratio(ours, bare), "analyze": median_of(analyzed),
        "analyze_bare": median_of(bare_files), "analyze_ratio": _ratio(analyzed, bare_files)}
    print(json.dumps(out), flush=True)
    deadline = time.monotonic() + 1800
    while state(work, job)["state"] in ("running", "idle") and time.monotonic() < deadline:
        time.sleep(5)
    first: list = []
    timed(first, [JOBSUB, "status", job, "--json"], work)
    ours, analyzed, bare = [], [], []
    files = next((work / "state" / "jobsub" / "jobs").glob(f"*/{cluster}/files"))
    for _ in range(repeat):
        timed(ours, [JOBSUB, "status", job, "--json"], work)
        timed(analyzed, [JOBSUB, "analyze", job, "--json"], work)
        timed(bare, [STEPS, "read-bare", str(files / "big.dag.nodes.log")], work)
    final = state(work, job)
    out["finished"] = {
        "state": final["state"], "totals": final["totals"],
        "files_bytes": folder_bytes(files), "first_look": median_of(first),
        "status": median_of(ours), "analyze": median_of(analyzed),
        "read_nodes_log_bare": median_of(bare), "analyze_ratio": _ratio(analyzed, bare)}
    made, loads, blank = [], [], []
    page = work / "report.html"
    for _ in range(repeat):
        timed(made, [JOBSUB, "report", job, "-o", str(page)], work)
    browser = chromium()
    if browser:
        (work / "blank.html").write_text("<!DOCTYPE html><title>x</title>")
        for _ in range(repeat):
            timed(loads, [STEPS, "load", browser, page.as_uri(), str(work / "p")], work)
            timed(blank, [STEPS, "load", browser, (work / "blank.html").as_uri(),
                          str(work / "p")], work)
    out["report"] = {"bytes": page.stat().st_size, "make": median_of(made),
                     "load": median_of(loads) if loads else None,
                     "load_blank_page": median_of(blank) if blank else None,
                     "load_ratio": _ratio(loads, blank) if loads else None}
    return out


if __name__ == "__main__":
    sys.exit(main())
