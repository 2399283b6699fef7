"""The sweep of sweep.yaml, built in Python: run `python examples/sweep.py` (it writes
sweep.jobsub/ in the current folder) or import it and call build()."""

import sys

import jobsub


def build() -> jobsub.Workflow:
    wf = jobsub.Workflow("sweep")
    wf.defaults(group="myexp", memory="512MB", disk="1GB")
    simulation = wf.category("simulation", maxjobs=50)
    wf.job("bin/simulate.sh", "--energy", "$(energy)", "--seed", "$(seed)", name="simulate",
           category=simulation,
           matrix={"energy": [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], "seed": range(100)})
    wf.job("bin/merge.sh", "--output", "summary.txt", name="collect", final=True)
    wf.dag(maxidle=200)
    return wf


if __name__ == "__main__":
    done = build().compile()
    print(done.report(), file=sys.stderr)
    if not done.ok:
        sys.exit(1)
    print(f"wrote {done.write('sweep.jobsub')}")
