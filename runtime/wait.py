"""`jobsub wait`: block until the named jobs have left the queue; succeed only if every one
of them completed with exit code 0 (for a DAG: DAGMan's own exit code, 0 when all nodes
succeeded). When every job still in the queue is held, nothing can progress without a
person: wait stops and fails, naming the hold reasons."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from jobsub.compiler.diagnostics import JobsubError

from .connection import Pool
from .jobids import JobId, any_of

_ATTRS = ["ClusterId", "ProcId", "JobStatus", "ExitCode", "HoldReason", "ExitBySignal"]


@dataclass
class Result:
    ok: bool
    lines: list[str]


def _progress_line(ads) -> str:
    counts: dict[str, int] = {}
    for ad in ads:
        name = {1: "idle", 2: "running", 5: "held", 7: "suspended"}.get(ad["JobStatus"], "other")
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "done"


def _history(pool: Pool, ids: list[JobId], constraint: str, match: int) -> list:
    """The jobs' history ads, reading the history only back to the oldest cluster asked
    for (the history is newest first; a pool's history can hold millions of jobs)."""
    oldest = min(j.cluster for j in ids)
    return pool.call("reading the job history", pool.schedd.history, constraint, _ATTRS,
                     match=match, since=f"ClusterId < {oldest}")


def wait(pool: Pool, ids: list[JobId], timeout: float | None = None,
         progress: Callable[[str], None] | None = None, poll: float = 1.0) -> Result:
    constraint = any_of(ids)
    started = time.monotonic()
    seen_held: set[tuple[int, int]] = set()
    known = pool.call("querying the queue", pool.schedd.query, constraint, _ATTRS)
    if not known:
        history = _history(pool, ids, constraint, match=1)
        if not history:
            raise JobsubError(f"no such job on schedd {pool.name}: "
                              + ", ".join(j.local() for j in ids))
    delay = poll
    while True:
        ads = pool.call("querying the queue", pool.schedd.query, constraint, _ATTRS)
        if not ads:
            break
        for ad in ads:
            key = (ad["ClusterId"], ad["ProcId"])
            if ad["JobStatus"] == 5 and key not in seen_held:
                seen_held.add(key)
                print(f"jobsub wait: job {key[0]}.{key[1]} is held: "
                      f"{ad.get('HoldReason', '')}", file=sys.stderr)
        if progress:
            progress(_progress_line(ads))
        if all(ad["JobStatus"] == 5 for ad in ads):
            return Result(False, [f"{ad['ClusterId']}.{ad['ProcId']}@{pool.name} is held: "
                                  f"{ad.get('HoldReason', '')}" for ad in ads])
        elapsed = time.monotonic() - started
        if timeout is not None and elapsed >= timeout:
            return Result(False, [f"timed out after {timeout:g} s; still in the queue: "
                                  + _progress_line(ads)])
        # Back off while waiting long, but never sleep past the deadline.
        time.sleep(delay if timeout is None else max(0.0, min(delay, timeout - elapsed)))
        delay = min(delay * 1.5, 10.0)
    finals = []
    for attempt in range(50):  # history lands just after a job leaves the queue
        try:
            finals = _history(pool, ids, constraint, match=-1)
        except JobsubError:
            if attempt >= 10:  # a busy schedd refuses now and then; give up after a while
                raise
            finals = []
        if finals:
            break
        time.sleep(0.2)
    lines, ok = [], True
    for ad in sorted(finals, key=lambda a: (a["ClusterId"], a["ProcId"])):
        job = f"{ad['ClusterId']}.{ad['ProcId']}@{pool.name}"
        if ad.get("JobStatus") == 4 and ad.get("ExitCode") == 0:
            lines.append(f"{job} completed")
        elif ad.get("JobStatus") == 3:
            ok = False
            lines.append(f"{job} was removed")
        else:
            ok = False
            lines.append(f"{job} finished with exit code {ad.get('ExitCode')}")
    return Result(ok, lines)
