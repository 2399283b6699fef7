"""The benchmark: `jobsub compile` on generated workflows, and reference DAG writers on the
same graphs, each in a fresh process, wall time and peak RSS measured; medians and ratios
printed as a table and saved as JSON.

    python bench/run.py                       # 1k, 10k, 100k, 1M; 3 runs each
    python bench/run.py --sizes 1k,10k --repeat 1 --out /tmp/bench.json

Workloads (bench/workloads.py): a dagnabbit file with every job line distinct (jobsub_lite's
benchmark shape), the same graph as a YAML manifest listing every job, and a YAML sweep;
and the Python API (bench/api_build.py) building the dagnabbit graph job by job
(api-explicit) and the sweep (api-sweep), then compiling and writing, in one process: their
rows also give the ratio to compiling the dagnabbit file of the same size.
References (bench/references.py): a plain f-string writer (the floor), htcondor2.dags (on
the same graph, and on the same nodes as a chain of layers of 100), and ezdag if it is
installed. `jobsub check` of a 10-line file is timed cold as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
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

FORMATS = ("dagnabbit", "yaml-explicit", "yaml-sweep", "api-explicit", "api-sweep")
#: The file workload each API workload builds the graph of (for the references).
API_GRAPH = {"api-explicit": "dagnabbit", "api-sweep": "yaml-sweep"}
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000, "1M": 1_000_000}
#: Workloads too large for this machine's memory or patience; say so rather than run them.
SKIP = {("yaml-explicit", 1_000_000): "an explicit 1M-job YAML file is 85 MB of YAML; "
                                      "not a shape anyone writes by hand"}
#: Slow references are not run past this many nodes (minutes per run, nothing learned).
#: Both libraries are quadratic in the number of layers, and the block graph of the
#: dagnabbit and explicit-YAML workloads has a layer per serial job (6,000 in 10k nodes):
#: htcondor2.dags rebuilds its whole child map for every `node.children` (239 s at 10k),
#: ezdag derives edges from per-node file lists (over 300 s at 10k). The sweep has three
#: layers, their good case.
BLOCK_GRAPH_LIMIT = 1_000
#: htcondor2.dags-layers writes the block graphs' nodes as a chain of layers of 100 (1,000
#: layers at 100k: seconds; 10,000 at 1M: too long); the sweep is layered already.
REFERENCE_LIMIT = {"htcondor2.dags": 1_000_000, "ezdag": 100_000,
                   "htcondor2.dags-layers": 100_000, ("htcondor2.dags-layers", "yaml-sweep"): 0,
                   **{(ref, kind): BLOCK_GRAPH_LIMIT for ref in ("htcondor2.dags", "ezdag")
                      for kind in ("dagnabbit", "yaml-explicit")}}


def measure(argv: list[str], cwd: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit status) of one fresh process, run under peak.py."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(HERE / "peak.py"), *argv], cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    err = proc.stderr.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{err[-2000:]}")
    peak_kb = int(err.rsplit("PEAK_RSS_KB=", 1)[1].split()[0])
    return wall, peak_kb / 1024, proc.returncode


JOBSUB = "jobsub.cli.main:main"


def available_references() -> list[str]:
    names = ["floor", "htcondor2.dags", "htcondor2.dags-layers"]
    try:
        import ezdag  # noqa: F401
    except ImportError:
        pass
    else:
        names.append("ezdag")
    return names


def run_case(kind: str, n: int, work: Path, repeat: int, references: list[str]) -> dict:
    out = work / "out"
    if kind in API_GRAPH:
        source = None
        prepare(work, "yaml-sweep", 1).unlink()  # only job.sh
        result: dict = {"format": kind, "nodes": n, "input_bytes": 0}
        command = [str(HERE / "api_build.py"), kind, str(n), str(out)]
    else:
        source = prepare(work, kind, n)
        result = {"format": kind, "nodes": n, "input_bytes": source.stat().st_size}
        command = [JOBSUB, "compile", source.name, "-o", str(out)]
    runs = [measure(command, work) for _ in range(repeat)]
    result["jobsub"] = _summary(runs)
    result["jobsub"]["files_written"] = sum(1 for p in out.rglob("*") if p.is_file())
    result["jobsub"]["submit_files"] = sum(1 for _ in out.rglob("*.sub"))
    if out.exists():
        shutil.rmtree(out)
    graph = API_GRAPH.get(kind, kind)
    for ref in references:
        if n > REFERENCE_LIMIT.get((ref, graph), REFERENCE_LIMIT.get(ref, n)):
            continue
        ref_out = work / f"ref-{ref}"
        runs = [measure([str(HERE / "references.py"), ref, graph, str(n), str(ref_out)], work)
                for _ in range(repeat)]
        result[ref] = _summary(runs)
        shutil.rmtree(ref_out)
    for ref in references:
        if ref in result:
            result[f"ratio_to_{ref}"] = round(result["jobsub"]["wall_s"] / result[ref]["wall_s"],
                                              2)
    if source is not None:
        source.unlink()
    return result


def check_cold(work: Path, repeat: int) -> dict:
    source = prepare(work, "dagnabbit", 10)
    runs = [measure([JOBSUB, "check", source.name], work)
            for _ in range(max(repeat, 5))]
    return {"format": "jobsub check, 10-line dagnabbit file", "nodes": 10,
            "jobsub": _summary(runs)}


def _summary(runs: list[tuple[float, float, int]]) -> dict:
    return {"wall_s": round(statistics.median(r[0] for r in runs), 3),
            "wall_runs_s": [round(r[0], 3) for r in runs],
            "peak_rss_mb": round(statistics.median(r[1] for r in runs), 1)}


def table(results: list[dict], references: list[str]) -> str:
    """Markdown: jobsub's time and memory, each reference's, and jobsub's time over theirs."""
    head = ["workload", "nodes", "jobsub s", "MB",
            *[f"{r} {unit}" for r in references for unit in ("s", "MB")],
            *[f"÷ {r}" for r in references], "÷ dagnabbit compile"]
    rows = [head, ["---"] * len(head)]
    for r in results:
        rows.append([r["format"], f"{r['nodes']:,}", f"{r['jobsub']['wall_s']:.2f}",
                     f"{r['jobsub']['peak_rss_mb']:.0f}",
                     *[cell for x in references for cell in
                       ((f"{r[x]['wall_s']:.2f}", f"{r[x]['peak_rss_mb']:.0f}") if x in r
                        else ("", ""))],
                     *[f"{r[f'ratio_to_{x}']:.1f}" if f"ratio_to_{x}" in r else ""
                       for x in references],
                     f"{r['ratio_to_dagnabbit_compile']:.2f}"
                     if "ratio_to_dagnabbit_compile" in r else ""])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,10k,100k,1M",
                    help="comma-separated: " + ", ".join(SIZES) + " or node counts")
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--out", default=str(HERE / "results" / "latest.json"))
    args = ap.parse_args()
    sizes = [SIZES[s] if s in SIZES else int(s) for s in args.sizes.split(",")]
    formats = args.formats.split(",")
    references = available_references()
    results = []
    with tempfile.TemporaryDirectory(prefix="jobsub-bench-") as tmp:
        work = Path(tmp)
        results.append(check_cold(work, args.repeat))
        for kind in formats:
            for n in sizes:
                if (kind, n) in SKIP:
                    print(f"skipped {kind} {n:,}: {SKIP[(kind, n)]}", file=sys.stderr)
                    continue
                print(f"{kind} {n:,} ...", file=sys.stderr, flush=True)
                results.append(run_case(kind, n, work, args.repeat, references))
    for r in results:  # the API against compiling the dagnabbit file of the same size
        file_case = next((f for f in results if f["format"] == "dagnabbit"
                          and f["nodes"] == r["nodes"]), None)
        if r["format"] in API_GRAPH and file_case is not None:
            r["ratio_to_dagnabbit_compile"] = round(
                r["jobsub"]["wall_s"] / file_case["jobsub"]["wall_s"], 2)
    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"),
              "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                          "python": platform.python_version()},
              "repeat": args.repeat, "references": references, "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(table(results, references))
    print(f"\nwritten to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
