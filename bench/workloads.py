"""The workflows the benchmark compiles, written to a folder: the same graph shape in each
format, so times compare.

- dagnabbit: jobsub_lite's benchmark shape (tests in its repository): blocks of five job
  lines, alternately <serial> and <parallel>, every line distinct (`--item jNx`).
- yaml-explicit: the same graph as a manifest listing every job by name with `after:`.
- yaml-sweep: one job swept over a two-key matrix (N nodes), between a setup job and a
  merge job: what production manifests look like.
"""

from __future__ import annotations

import math
from pathlib import Path

OPTIONS = ("-G fermilab --memory 1GB --expected-lifetime 2h "
           "--resource-provides=usage_model=OPPORTUNISTIC,DEDICATED")
BLOCK = 5
JOB_SH = "#!/bin/sh\necho \"$@\"\n"


def blocks(n: int) -> list[tuple[str, list[int]]]:
    """[(kind, [job numbers])]: jobs 1..n in blocks of five, serial first."""
    out = []
    for start in range(1, n + 1, BLOCK):
        kind = "serial" if (start // BLOCK) % 2 == 0 else "parallel"
        out.append((kind, list(range(start, min(start + BLOCK, n + 1)))))
    return out


def edges(n: int) -> list[tuple[list[int], list[int]]]:
    """The dependencies of the block graph as (parents, children) groups."""
    out: list[tuple[list[int], list[int]]] = []
    last: list[int] = []
    for kind, jobs in blocks(n):
        if kind == "serial":
            for j in jobs:
                if last:
                    out.append((last, [j]))
                last = [j]
        else:
            if last:
                out.append((last, jobs))
            last = jobs
    return out


def write_dagnabbit(folder: Path, n: int) -> Path:
    path = folder / f"distinct_{n}.dagnabbit"
    with open(path, "w") as fh:
        for kind, jobs in blocks(n):
            fh.write(f"<{kind}>\n")
            fh.writelines(f"jobsub_submit {OPTIONS} file://job.sh --item j{j}x\n"
                          for j in jobs)
            fh.write(f"</{kind}>\n")
    return path


def write_yaml_explicit(folder: Path, n: int) -> Path:
    path = folder / f"explicit_{n}.yaml"
    parents: dict[int, list[int]] = {}
    for ps, cs in edges(n):
        for c in cs:
            parents[c] = ps
    with open(path, "w") as fh:
        fh.write(f"name: explicit_{n}\n"
                 "defaults:\n  group: fermilab\n  memory: 1GB\n  expected_lifetime: 2h\n"
                 "  resource_provides: {usage_model: 'OPPORTUNISTIC,DEDICATED'}\n"
                 "jobs:\n")
        for j in range(1, n + 1):
            after = parents.get(j)
            dep = f", after: [{', '.join(f'j{p}' for p in after)}]" if after else ""
            fh.write(f"  j{j}: {{executable: job.sh, arguments: [--item, j{j}x]{dep}}}\n")
    return path


def sweep_shape(n: int) -> tuple[int, int]:
    """(runs, seeds) with runs * seeds = n for powers of ten: 100k = 100 x 1,000."""
    runs = 10 ** (int(math.log10(n)) // 2)
    return runs, n // runs


def write_yaml_sweep(folder: Path, n: int) -> Path:
    runs, seeds = sweep_shape(n)
    path = folder / f"sweep_{n}.yaml"
    path.write_text(
        f"name: sweep_{n}\n"
        "defaults:\n  group: fermilab\n  memory: 1GB\n  expected_lifetime: 2h\n"
        "jobs:\n"
        "  setup: {executable: job.sh, arguments: [setup]}\n"
        "  sim:\n"
        "    executable: job.sh\n"
        "    arguments: [--run, $(run), --seed, $(seed)]\n"
        f"    matrix: {{run: {list(range(runs))}, seed: {list(range(seeds))}}}\n"
        "    after: setup\n"
        "  merge: {executable: job.sh, arguments: [merge], after: sim}\n")
    return path


WRITERS = {"dagnabbit": write_dagnabbit, "yaml-explicit": write_yaml_explicit,
           "yaml-sweep": write_yaml_sweep}


def prepare(folder: Path, kind: str, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    job = folder / "job.sh"
    if not job.exists():
        job.write_text(JOB_SH)
        job.chmod(0o755)
    return WRITERS[kind](folder, n)
