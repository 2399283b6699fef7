"""Remote-schedd measurements against the test pool, each step in a fresh process, jobsub
side by side with the bare htcondor2 bindings doing the least any client must:

- spool: a compiled N-node DAG (jobsub_lite's block shape, every line distinct; compiling
  is not timed) spooled by jobsub's runtime (journal, key, schedd choice, waiting until the
  schedd has released it) and by a bare submit + spool of the same DAGMan job; the size of
  what crosses the wire;
- fetch: `jobsub fetchlog` of a finished 1,000-node DAG (retrieve, outputs put in place,
  submitted files from the record, archive) and a bare edit + retrieve;
- q: `jobsub q` (and `--json`) across two schedds holding 10,000 jobs, and bare queries of
  each schedd one after the other.

    sudo tests/pool/pool.sh up && eval "$(tests/pool/pool.sh env)"
    USER=jobsub python bench/remote.py [--sizes 10k,100k] [--repeat 3]

Medians; the JSON report goes to bench/results/remote.json. Timings vary with the machine:
compare the ratios of one run.
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

from bench.workloads import prepare  # noqa: E402

SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
STEPS = str(HERE / "remote_steps.py")
JOBSUB = "jobsub.cli.main:main"


def run(argv: list[str], cwd: Path, env: dict | None = None,
        ok: tuple[int, ...] = (0,)) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one fresh process under peak.py; exit
    statuses other than `ok` are a failure."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / "peak.py"), *argv], cwd=cwd,
                          capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - start
    if proc.returncode not in ok or "PEAK_RSS_KB=" not in proc.stderr:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-1000:]}\n{proc.stderr[-2000:]}")
    peak = int(proc.stderr.rsplit("PEAK_RSS_KB=", 1)[1].split()[0]) / 1024
    return wall, peak, proc.stdout


def pool_missing(program: str) -> bool:
    """True (after saying so) when no test pool is configured for this process."""
    if os.environ.get("CONDOR_CONFIG"):
        return False
    print(f"{program}: no pool: run `sudo tests/pool/pool.sh up && eval "
          "\"$(tests/pool/pool.sh env)\"` first", file=sys.stderr)
    return True


def schedds():
    import htcondor2

    return {ad["Name"]: htcondor2.Schedd(ad) for ad in htcondor2.Collector().query(
        htcondor2.AdType.Schedd, "true", ["Name", "MyAddress", "CondorVersion", "Machine"])}


def remove(schedd_name: str, cluster: int) -> None:
    import htcondor2

    schedd = schedds()[schedd_name]
    schedd.act(htcondor2.JobAction.Remove, f"ClusterId == {cluster}", ("benchmark", None))


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def median_of(samples: list[tuple[float, float]]) -> dict:
    return {"s": round(statistics.median(s for s, _ in samples), 3),
            "mb": round(statistics.median(m for _, m in samples), 1)}


def spool(work: Path, n: int, repeat: int, schedd: str) -> dict:
    source = prepare(work, "dagnabbit", n)
    out = work / f"dag{n}"
    subprocess.run([sys.executable, "-m", "jobsub.cli", "compile", str(source), "-o",
                    str(out)], check=True, capture_output=True)
    top = next(out.glob("*.dag")).name
    ours, bare, released = [], [], []
    for _ in range(repeat):
        for label, samples, extra in (("spool-jobsub", ours, {}), ("spool-bare", bare, {}),
                                      ("spool-bare", released, {"BENCH_UNTIL_RELEASED": "1"})):
            wall, peak, stdout = run([STEPS, label, str(out), top], work,
                                     {"BENCH_SCHEDD": schedd, **extra})
            samples.append((wall, peak))
            job = stdout.split("ID ", 1)[1].split()[0]
            cluster, name = job.split("@", 1)
            remove(name, int(cluster))
    return {"nodes": n, "wire_bytes": folder_bytes(out),
            "files": sum(1 for p in out.rglob("*") if p.is_file()),
            "jobsub": median_of(ours), "bare": median_of(bare),
            "bare_until_released": median_of(released),
            "ratio_bare": _ratio(ours, bare), "ratio_until_released": _ratio(ours, released)}


def _ratio(ours: list, theirs: list) -> float:
    return round(statistics.median(s for s, _ in ours) / statistics.median(s for s, _ in theirs),
                 2)


def fetch(work: Path, repeat: int) -> dict:
    import htcondor2

    (work / "noop.sh").write_text("#!/bin/sh\necho \"$@\"\n")
    (work / "noop.sh").chmod(0o755)
    (work / "f.yaml").write_text(json.dumps({"name": "f", "jobs": {"noop": {
        "executable": "noop.sh", "arguments": ["$(a)", "$(b)"], "memory": "64MB",
        "disk": "1MB", "matrix": {"a": list(range(25)), "b": list(range(40))}}}}))
    proc = subprocess.run([sys.executable, "-m", "jobsub.cli", "submit", "--dag", "-o",
                           "fo", "file://f.yaml"], cwd=work, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    job = next(ln.split()[3] for ln in proc.stdout.splitlines() if ln.startswith("Use job id"))
    waited = subprocess.run([sys.executable, "-m", "jobsub.cli", "wait", job], cwd=work,
                            capture_output=True, text=True)
    if waited.returncode != 0:
        raise RuntimeError(waited.stdout + waited.stderr)
    cluster, name = job.split(".", 1)[0], job.split("@", 1)[1]
    schedd = schedds()[name]
    schedd.edit(f"ClusterId == {cluster}", "LeaveJobInQueue", "true")  # fetch it again
    ours, bare = [], []
    try:
        for i in range(repeat):
            ours.append(run([JOBSUB, "fetchlog", job, "--destdir", f"j{i}"], work)[:2])
            dest = work / f"b{i}"
            dest.mkdir()
            bare.append(run([STEPS, "fetch-bare", name, cluster, str(dest)], work)[:2])
    finally:
        schedd.edit(f"ClusterId == {cluster}", "LeaveJobInQueue", "false")
    fetched = work / "j0"
    return {"nodes": 1000, "files": sum(1 for _ in fetched.iterdir()),
            "bytes": folder_bytes(fetched), "jobsub": median_of(ours), "bare": median_of(bare),
            "ratio": _ratio(ours, bare),
            "left_queue": _gone(schedd, cluster, htcondor2)}


def _gone(schedd, cluster: str, htcondor2) -> bool:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not schedd.query(f"ClusterId == {cluster}", ["JobStatus"]):
            return True
        time.sleep(1)
    return False


def q(work: Path, repeat: int, per_schedd: int) -> dict:
    import htcondor2

    clusters = []
    for name, schedd in schedds().items():
        result = schedd.submit(htcondor2.Submit({"executable": "/bin/true", "hold": "true",
                                                 "request_memory": "1"}), count=per_schedd)
        clusters.append((name, result.cluster()))
    plain, as_json, bare = [], [], []
    try:
        for _ in range(repeat):
            plain.append(run([JOBSUB, "q"], work)[:2])
            as_json.append(run([JOBSUB, "q", "--json"], work)[:2])
            bare.append(run([STEPS, "q-bare"], work)[:2])
    finally:
        for name, cluster in clusters:
            remove(name, cluster)
    return {"jobs": per_schedd * len(clusters), "schedds": len(clusters),
            "jobsub": median_of(plain), "jobsub_json": median_of(as_json),
            "bare": median_of(bare), "ratio": _ratio(plain, bare),
            "ratio_json": _ratio(as_json, bare)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10k,100k", help="DAG sizes to spool")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--parts", default="spool,fetch,q")
    p.add_argument("--out", default=str(HERE / "results" / "remote.json"))
    args = p.parse_args()
    if pool_missing("bench/remote.py"):
        return 2
    parts = args.parts.split(",")
    report: dict = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
                    "spool": [], "fetch": None, "q": None}
    names = sorted(schedds())
    with tempfile.TemporaryDirectory(prefix="jobsub-bench-remote.") as tmp:
        work = Path(tmp)
        env_state = {"XDG_STATE_HOME": str(work / "state"), "XDG_CACHE_HOME": str(work / "c")}
        os.environ.update(env_state)
        if "spool" in parts:
            for size in args.sizes.split(","):
                case = work / f"spool{size}"
                case.mkdir()
                report["spool"].append(spool(case, SIZES[size], args.repeat, names[-1]))
                print(json.dumps(report["spool"][-1]), flush=True)
        if "fetch" in parts:
            case = work / "fetch"
            case.mkdir()
            report["fetch"] = fetch(case, args.repeat)
            print(json.dumps(report["fetch"]), flush=True)
        if "q" in parts:
            case = work / "q"
            case.mkdir()
            report["q"] = q(case, args.repeat, 5_000)
            print(json.dumps(report["q"]), flush=True)
        shutil.rmtree(work / "state", ignore_errors=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"report: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
