"""`jobsub wait`: block until the named jobs have finished; succeed only if every one of them
completed with exit code 0 (for a DAG: DAGMan's own exit code, 0 when all nodes succeeded).

A spooled job stays in the queue, completed, until its output is fetched: finished means
completed or removed, in the queue or in the history. Waiting never goes silent: it stops,
failing with the reason, as soon as a named job is held (a DAGMan job that cannot start is
held with the reason too), or when every job of a DAG still in the queue has been held for
STUCK_S seconds; a held DAG node is reported when it is first seen.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from jobsub.compiler.base.diagnostics import JobsubError

from . import fanout
from .jobids import JobId, any_of
from .jobstatus import COMPLETED, HELD, IDLE, REMOVED, WORD
from .pool import Schedd

_ATTRS = ["ClusterId", "ProcId", "JobStatus", "ExitCode", "ExitBySignal", "ExitSignal",
          "HoldReason", "HoldReasonCode", "JobUniverse", "DAGManJobId", "DAGNodeName",
          "EnteredCurrentStatus"]
SPOOLING_INPUT = 16
SCHEDULER_UNIVERSE = 7
STUCK_S = 30.0
NOT_STARTED_S = 120.0
#: A job is held for spooling input from its submission until the schedd has its files and
#: releases it (a second or two after they arrived); only after this long is it stuck.
SPOOL_GRACE_S = 300.0


@dataclass
class Ended:
    """How one named job ended."""

    job_id: str
    state: str  # completed | exited (non-zero) | signalled | removed
    exit_code: int | None = None
    signal: int | None = None

    def line(self) -> str:
        return {"completed": f"{self.job_id} completed",
                "removed": f"{self.job_id} was removed",
                "signalled": f"{self.job_id} was killed by signal {self.signal}"}.get(
            self.state, f"{self.job_id} finished with exit code {self.exit_code}")


@dataclass
class Result:
    ok: bool
    lines: list[str]
    finished: list[JobId]  # named jobs that finished with output in the spool (--fetch)
    ended: list[Ended] = field(default_factory=list)
    outcome: str = "finished"  # or blocked (held), timed_out

    def as_json(self) -> dict:
        return {"ok": self.ok, "outcome": self.outcome,
                "jobs": [asdict(e) for e in self.ended],
                "messages": [] if self.outcome == "finished" else self.lines}


def _reason(ad) -> str:
    reason = " ".join(str(ad.get("HoldReason") or "no reason given").split())
    if ad.get("HoldReasonCode") == SPOOLING_INPUT:
        return "its files never arrived at the schedd (held for spooling input)"
    return reason


def _arriving(ad, now: float) -> bool:
    """Held only until the schedd releases it, its files having just arrived."""
    return (ad["JobStatus"] == HELD and ad.get("HoldReasonCode") == SPOOLING_INPUT
            and now - float(ad.get("EnteredCurrentStatus") or 0) < SPOOL_GRACE_S)


def _progress_line(ads) -> str:
    counts: dict[str, int] = {}
    for ad in ads:
        name = WORD.get(ad["JobStatus"], "other")
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "done"


def _history(schedd: Schedd, ids: list[JobId], constraint: str, match: int) -> list:
    """The jobs' history ads, reading the history only back to the oldest cluster asked
    for (the history is newest first; a pool's history can hold millions of jobs)."""
    oldest = min(j.cluster for j in ids)
    return schedd.call("reading the job history", schedd.schedd.history, constraint, _ATTRS,
                       match=match, since=f"ClusterId < {oldest}")


def _snapshot(item: tuple[Schedd, list[JobId]]) -> list:
    """The named jobs and the node jobs of named DAGs, as the queue has them now."""
    schedd, ids = item
    clusters = " || ".join(f"DAGManJobId == {c}" for c in sorted({j.cluster for j in ids}))
    ads = schedd.call("querying the queue", schedd.schedd.query,
                      f"({any_of(ids)}) || {clusters}", _ATTRS)
    return [dict(ad) for ad in ads]


def _named_in(job: JobId, ads: list) -> bool:
    return any(ad["ClusterId"] == job.cluster and (job.proc is None or ad["ProcId"] == job.proc)
               for ad in ads)


def _named(ad, ids: list[JobId]) -> bool:
    return any(ad["ClusterId"] == j.cluster and (j.proc is None or ad["ProcId"] == j.proc)
               for j in ids)


class _Watch:
    """What one wait has seen: held jobs reported, DAGs stuck since when."""

    def __init__(self):
        self.reported: set[tuple[str, int, int]] = set()
        self.stuck_since: dict[tuple[str, int], float] = {}
        self.not_started: set[tuple[str, int]] = set()

    def report_held_nodes(self, schedd: Schedd, ads: list) -> None:
        for ad in ads:
            key = (schedd.name, ad["ClusterId"], ad["ProcId"])
            if ad["JobStatus"] == HELD and key not in self.reported:
                self.reported.add(key)
                print(f"jobsub wait: node {ad.get('DAGNodeName')} ({key[1]}.{key[2]}@"
                      f"{schedd.name}) of DAG {int(ad['DAGManJobId'])}.0@{schedd.name} is "
                      f"held: {_reason(ad)}", file=sys.stderr)

    def stuck(self, schedd: Schedd, dag: int, nodes: list, now: float) -> bool:
        key = (schedd.name, dag)
        if nodes and all(ad["JobStatus"] == HELD for ad in nodes):
            since = self.stuck_since.setdefault(key, now)
            return now - since >= STUCK_S
        self.stuck_since.pop(key, None)
        return False

    def warn_not_started(self, schedd: Schedd, ad, now: float) -> None:
        key = (schedd.name, ad["ClusterId"])
        waited = now - float(ad.get("EnteredCurrentStatus") or now)
        if ad["JobStatus"] == IDLE and waited > NOT_STARTED_S and key not in self.not_started:
            self.not_started.add(key)
            print(f"jobsub wait: DAGMan job {key[1]}.0@{schedd.name} has not started after "
                  f"{int(waited)} s; the schedd starts DAGMan jobs at once unless its "
                  "policy holds them back", file=sys.stderr)


def wait(targets: dict[Schedd, list[JobId]], timeout: float | None = None,
         progress: Callable[[str], None] | None = None, poll: float = 1.0) -> Result:
    targets = {s: ids for s, ids in targets.items() if ids}
    started = time.monotonic()
    watch = _Watch()
    missing = _check_known(targets)
    if missing:
        raise JobsubError("no such job: " + ", ".join(missing))
    delay = poll
    while True:
        snaps = fanout.each(list(targets.items()), _snapshot)
        for result in snaps:
            if isinstance(result, JobsubError):
                raise result
        now = time.time()
        live, blocked = [], []
        for (schedd, ids), ads in zip(targets.items(), snaps, strict=True):
            named = [ad for ad in ads if _named(ad, ids)]
            nodes = [ad for ad in ads if not _named(ad, ids)]
            watch.report_held_nodes(schedd, nodes)
            for ad in named:
                job = f"{ad['ClusterId']}.{ad['ProcId']}@{schedd.name}"
                if _arriving(ad, now):
                    live.append(ad)
                elif ad["JobStatus"] == HELD:
                    blocked.append(f"{job} is held: {_reason(ad)}")
                elif ad["JobStatus"] not in (COMPLETED, REMOVED):
                    live.append(ad)
                    if ad.get("JobUniverse") == SCHEDULER_UNIVERSE:
                        watch.warn_not_started(schedd, ad, now)
                        dag_nodes = [n for n in nodes if n.get("DAGManJobId") == ad["ClusterId"]
                                     and n["JobStatus"] not in (COMPLETED, REMOVED)]
                        if watch.stuck(schedd, ad["ClusterId"], dag_nodes, now):
                            blocked.append(f"{job}: every node job in the queue is held "
                                           f"(for {int(STUCK_S)} s); nothing of the DAG can "
                                           "go on until they are released")
        if progress:
            progress(_progress_line([ad for ads in snaps for ad in ads]))
        if blocked:
            return Result(False, blocked, [], outcome="blocked")
        if not live:
            break
        elapsed = time.monotonic() - started
        if timeout is not None and elapsed >= timeout:
            counts = _progress_line([ad for ads in snaps for ad in ads])
            return Result(False, [f"timed out after {timeout:g} s; still in the queue: "
                                  f"{counts}"], [], outcome="timed_out")
        # Back off while waiting long, but never sleep past the deadline.
        time.sleep(delay if timeout is None else max(0.0, min(delay, timeout - elapsed)))
        delay = min(delay * 1.5, 10.0)
    return _outcome(targets)


def _check_known(targets: dict[Schedd, list[JobId]]) -> list[str]:
    missing = []
    for schedd, ids in targets.items():
        constraint = any_of(ids)
        if schedd.call("querying the queue", schedd.schedd.query, constraint, ["ClusterId"],
                       limit=1):
            continue
        if not _history(schedd, ids, constraint, match=1):
            missing += [f"{j.local()}@{schedd.name}" for j in ids]
    return missing


def _outcome(targets: dict[Schedd, list[JobId]]) -> Result:
    """How each named job ended: from the queue (a finished spooled job waits there for
    its output to be fetched) or the history."""
    ended: list[Ended] = []
    finished: list[JobId] = []
    for schedd, ids in targets.items():
        constraint = any_of(ids)
        ads = [ad for ad in schedd.call("querying the queue", schedd.schedd.query, constraint,
                                        _ATTRS) if ad["JobStatus"] in (COMPLETED, REMOVED)]
        seen = {(ad["ClusterId"], ad["ProcId"]) for ad in ads}
        for attempt in range(50):  # history lands just after a job leaves the queue
            try:
                gone = _history(schedd, ids, constraint, match=-1)
            except JobsubError:
                if attempt >= 10:  # a busy schedd refuses now and then; give up after a while
                    raise
                gone = []
            gone = [ad for ad in gone if (ad["ClusterId"], ad["ProcId"]) not in seen]
            if gone or ads:
                break
            time.sleep(0.2)
        for ad in sorted([*ads, *gone], key=lambda a: (a["ClusterId"], a["ProcId"])):
            job = f"{ad['ClusterId']}.{ad['ProcId']}@{schedd.name}"
            if ad.get("JobStatus") == COMPLETED and ad.get("ExitCode") == 0:
                ended.append(Ended(job, "completed", 0))
            elif ad.get("JobStatus") == REMOVED:
                ended.append(Ended(job, "removed"))
            elif ad.get("ExitBySignal") is True:
                ended.append(Ended(job, "signalled", signal=ad.get("ExitSignal")))
            else:
                ended.append(Ended(job, "exited", ad.get("ExitCode")))
        finished += [j for j in ids if _named_in(j, ads)]
    return Result(all(e.state == "completed" for e in ended), [e.line() for e in ended],
                  finished, ended)
