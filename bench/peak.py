"""Run one command in this process and print its peak RSS on stderr as `PEAK_RSS_KB=N`.

Why not `ru_maxrss` from `wait4`: Linux carries the forking process's high-water mark across
`exec`, so every child of the (30 MB) benchmark runner would report at least 30 MB. The
process's own `VmHWM` starts afresh at `exec` and is read here at exit.

    python bench/peak.py jobsub.cli.main:main compile flow.yaml   # an entry point
    python bench/peak.py bench/references.py floor dagnabbit 1000 OUT   # a script
"""

from __future__ import annotations

import atexit
import importlib
import os
import runpy
import sys


def _report() -> None:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                os.write(2, f"\nPEAK_RSS_KB={line.split()[1]}\n".encode())


def main() -> None:
    target, args = sys.argv[1], sys.argv[2:]
    atexit.register(_report)
    if target.endswith(".py"):
        sys.argv = [target, *args]
        sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
        runpy.run_path(target, run_name="__main__")
        return
    module, _, function = target.partition(":")
    sys.argv = [module, *args]
    sys.exit(getattr(importlib.import_module(module), function)())


if __name__ == "__main__":
    main()
