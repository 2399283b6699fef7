"""The API workloads: the benchmark's graphs built with jobsub.Workflow and compiled in one
process, as a program making a big DAG would (bench/run.py times it under peak.py).

    python bench/api_build.py api-explicit 100000 OUT    # the dagnabbit workload's graph
    python bench/api_build.py api-sweep 100000 OUT       # the yaml-sweep workload's
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jobsub
from bench.workloads import blocks, sweep_shape

DEFAULTS = {"group": "fermilab", "memory": "1GB", "expected_lifetime": "2h",
            "resource_provides": {"usage_model": "OPPORTUNISTIC,DEDICATED"}}


def explicit(n: int) -> jobsub.Workflow:
    """Every job its own, in serial and parallel blocks of five, as the dagnabbit file."""
    wf = jobsub.Workflow(f"api_explicit_{n}", base_dir=".")
    wf.defaults(**DEFAULTS)
    groups = []
    for kind, numbers in blocks(n):
        jobs = [wf.job("job.sh", "--item", f"j{j}x", name=f"j{j}") for j in numbers]
        groups.append(wf.parallel(*jobs) if kind == "parallel" else wf.serial(*jobs))
    wf.serial(*groups)
    return wf


def sweep(n: int) -> jobsub.Workflow:
    runs, seeds = sweep_shape(n)
    wf = jobsub.Workflow(f"api_sweep_{n}", base_dir=".")
    wf.defaults(**{k: v for k, v in DEFAULTS.items() if k != "resource_provides"})
    setup = wf.job("job.sh", "setup", name="setup")
    sim = wf.job("job.sh", "--run", "$(run)", "--seed", "$(seed)", name="sim",
                 matrix={"run": range(runs), "seed": range(seeds)}, after=setup)
    wf.job("job.sh", "merge", name="merge", after=sim)
    return wf


def main() -> int:
    kind, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    wf = {"api-explicit": explicit, "api-sweep": sweep}[kind](n)
    wf.compile().write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
