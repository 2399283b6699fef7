"""Every node of a DAG, as its files tell it: state, attempts, what failed and why, the last
lines of its stderr, and the workflow line that made it.

DAGMan's JOBSTATE_LOG gives each node's path (PRE, job, POST, retries, submit failures); the
nodes log gives each job's exit code, signal, hold and memory; the rescue DAG the run started
from gives the nodes an earlier run finished; jobsub.json gives groups and source lines.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from jobsub.compiler.base.conventions import stdio_name

from . import causes, dagman_logs
from .causes import Cause
from .dagman_logs import JobRecord, NodeEvent
from .jobstatus import COMPLETED, HELD, REMOVED, RUNNING
from .nodemap import DagMap, NodeMap

#: Node states, in the order a status shows them.
STATES = ("done", "running", "idle", "held", "pre", "post", "retrying", "failed", "futile",
          "waiting")
#: States that need a person or a rescue.
TROUBLE = ("held", "failed", "futile")


@dataclass
class NodeState:
    name: str  # as DAGMan names it in its DAG file
    dag: str | None  # that DAG file (the top one or a sub-DAG's)
    shown: str  # for people: sub-DAG nodes as SUB/node
    group: str
    state: str
    origin: str = ""  # FILE:LINE of the workflow that made it
    attempts: int = 0  # jobs submitted for it
    retries: int = 0  # DAGMan retries it was given
    jobs: list[str] = field(default_factory=list)  # cluster.proc, one per attempt
    cause: Cause | None = None
    host: str | None = None
    stderr: list[str] = field(default_factory=list)
    err_file: str | None = None
    out_file: str | None = None
    started: int | None = None
    ended: int | None = None

    def as_json(self) -> dict:
        return {"name": self.shown, "dag": self.dag, "group": self.group, "state": self.state,
                "origin": self.origin, "attempts": self.attempts, "retries": self.retries,
                "jobs": self.jobs, "host": self.host,
                "cause": self.cause.as_json() if self.cause else None,
                "stderr_tail": self.stderr, "stderr_file": self.err_file,
                "stdout_file": self.out_file, "started": self.started, "ended": self.ended}


@dataclass
class Timeline:
    """Per job group, each change of one of its jobs: (time, the state it left or None,
    the state it entered). The report draws how many were running, idle, held when."""

    steps: dict[str, list[tuple[int, str | None, str]]] = field(default_factory=dict)


@dataclass
class DagState:
    nodes: list[NodeState]
    finished: bool  # DAGMan has exited (its last run)
    exit_code: int | None
    recovery: bool
    notes: list[str] = field(default_factory=list)  # what could not be read
    timeline: Timeline = field(default_factory=Timeline)
    started: int | None = None
    ended: int | None = None


def read(folder: str, nodemap: NodeMap | None, dag_file: str | None = None,
         job_ads: dict[str, dict] | None = None, done_before: set[str] | None = None,
         tail_lines: int = 20) -> DagState:
    """The state of every node of the DAG in `folder` (and its sub-DAGs). `job_ads`:
    queue or history ads of node jobs by cluster.proc, for what logs do not hold (the
    memory a held job used). `done_before`: nodes an earlier run finished (the rescue DAG
    this run started from)."""
    dags = nodemap.dags if nodemap else []
    if not dags:
        dags = [_bare_map(folder, dag_file)]
    top = None
    states: list[NodeState] = []
    notes: list[str] = []
    timeline = Timeline()
    for dag in dags:
        log = dagman_logs.read_jobstate(os.path.join(folder, dag.jobstate_log)) \
            if dag.jobstate_log else None
        if dag is dags[0]:
            top = log
        if log is None:
            notes.append(f"{dag.jobstate_log or dag.dag}: not found; nodes are shown as "
                         "the nodes log tells them")
        jobs = dagman_logs.read_nodes_log(os.path.join(folder, dag.nodes_log)) \
            if dag.nodes_log else {}
        out = dagman_logs.read_dagman_out(os.path.join(folder, dag.dagman_out)) \
            if dag.dagman_out else dagman_logs.DagmanOut()
        finished = log is not None and log.finished is not None
        prefix = "" if dag is dags[0] else dag.dag.removesuffix(".dag") + "/"
        by_node: dict[str, list[JobRecord]] = {}
        for record in jobs.values():
            if record.node:
                by_node.setdefault(record.node, []).append(record)
            group = dag.group(record.node) if record.node else None
            was = None
            for when, state in record.changes:
                timeline.steps.setdefault(group or "?", []).append((when, was, state))
                was = state
        names = list(dag.nodes) or sorted({*(log.nodes if log else {}), *by_node})
        for name in names:
            node = NodeState(name, dag.dag, prefix + name, dag.group(name) or "?", "waiting",
                             nodemap.shown(nodemap.origin(dag, name)) if nodemap else "",
                             retries=dag.retries(name))
            failure = _from_events(node, (log.nodes.get(name, []) if log else []),
                                   by_node.get(name, []), finished)
            if node.state == "waiting" and done_before and prefix + name in done_before:
                node.state = "done"
            if node.state == "waiting" and finished and (log.finished or 0) != 0:
                node.state, node.cause = "futile", causes.FUTILE
            _details(node, failure, by_node.get(name, []), dag, folder, job_ads or {}, out,
                     tail_lines)
            states.append(node)
    return DagState(states, top is not None and top.finished is not None,
                    top.finished if top else None, bool(top and top.recovery), notes,
                    timeline, top.started[-1] if top and top.started else None,
                    top.finished_at if top else None)


def _bare_map(folder: str, dag_file: str | None) -> DagMap:
    """For a DAG jobsub did not compile (no jobsub.json): DAGMan's default file names."""
    dag = dag_file or next((n for n in sorted(os.listdir(folder)) if n.endswith(".dag")), "")
    return DagMap(dag.removesuffix(".dag"), dag, None, f"{dag}.jobstate.log",
                  f"{dag}.nodes.log", f"{dag}.dagman.out", [], [], None, {}, {}, {})


@dataclass(frozen=True)
class _Failure:
    kind: str | None  # job, pre, post, submit, removed
    exit_code: int | None


def _from_events(node: NodeState, events: list[NodeEvent], jobs: list[JobRecord],
                 finished: bool) -> _Failure:
    """Set the node's state (after its last event) and attempts; what failed, if it did."""
    state, failure, exit_code = "waiting", None, None
    for e in events:
        kind = e.event
        if kind == "SUBMIT":
            state, failure = "idle", None
            node.attempts += 1
            if e.job:
                node.jobs.append(e.job)
        elif kind == "EXECUTE":
            state = "running"
        elif kind in ("JOB_EVICTED", "JOB_RELEASED"):
            state = "idle"
        elif kind == "JOB_HELD":
            state = "held"
        elif kind == "JOB_SUCCESS":
            state, exit_code = "done", e.value
        elif kind == "JOB_FAILURE":
            state, failure, exit_code = "failed", "job", e.value
        elif kind == "JOB_ABORTED":
            state, failure = "failed", "removed"
        elif kind == "PRE_SCRIPT_STARTED":
            state, failure = "pre", None
        elif kind == "PRE_SCRIPT_SUCCESS":
            state = "waiting"
        elif kind == "PRE_SCRIPT_FAILURE":
            state, failure = "failed", "pre"
        elif kind == "POST_SCRIPT_STARTED":
            state = "post"
        elif kind == "POST_SCRIPT_SUCCESS":
            state, failure = "done", None
        elif kind == "POST_SCRIPT_FAILURE":
            state, failure = "failed", "post"
        elif kind == "SUBMIT_FAILURE":
            state, failure = "failed", "submit"
    if not events and jobs:  # no jobstate log: the jobs say it
        last = jobs[-1]
        node.attempts = len(jobs)
        node.jobs = [j.job for j in jobs]
        state = "held" if last.held else "failed" if last.aborted or (
            last.ended and (last.exit_code or last.signal)) else "done" if last.ended else \
            "running" if last.started else "idle"
        failure = "job" if state == "failed" else None
        exit_code = last.exit_code
    if state == "failed" and not finished and node.attempts <= node.retries and \
            failure in ("job", "post", "pre", "removed"):
        state = "retrying"
    if finished and state in ("idle", "running", "held", "pre", "post"):
        # DAGMan exited (removed, or aborted) with the node under way: it did not complete
        state, failure = "failed", "held" if state == "held" else "removed"
    node.state = state
    return _Failure(failure, exit_code)


def _details(node: NodeState, what: _Failure, jobs: list[JobRecord], dag: DagMap,
             folder: str, job_ads: dict[str, dict], out: dagman_logs.DagmanOut,
             tail_lines: int) -> None:
    """Cause, host, times and stderr of the node's last job."""
    last = next((j for j in reversed(jobs) if not node.jobs or j.job in node.jobs), None) \
        if jobs else None
    if last is not None:
        node.host = last.host
        node.started = last.started
        node.ended = last.ended
        cluster, _, proc = last.job.partition(".")
        base = dag.stdio(node.name) or node.name
        node.err_file = stdio_name(base, "err", cluster, proc)
        node.out_file = stdio_name(base, "out", cluster, proc)
    failure = what.kind
    if node.state not in ("failed", "held", "retrying"):
        return
    ad = job_ads.get(last.job, {}) if last else {}
    asked = (last.memory_asked if last else None) or _int(ad.get("RequestMemory")) or \
        (dag.groups[node.group].memory if node.group in dag.groups else None)
    used = (last.memory_used if last else None) or _memory_usage(ad)
    if (node.state == "held" or failure == "held") and last is not None:
        node.cause = causes.held(last.hold_code, last.hold_subcode, last.hold_reason, asked,
                                 used)
    elif failure == "pre":
        node.cause = causes.script("PRE", out.pre_status.get(node.name))
    elif failure == "post":
        status = f"exit {last.post_status}" if last and last.post_status is not None else \
            f"signal {last.post_signal}" if last and last.post_signal else None
        node.cause = causes.script("POST", status)
    elif failure == "submit":
        node.cause = causes.submit_failed(out.submit_failures.get(node.name))
    elif failure == "removed" and last is None:
        node.cause = causes.removed("the DAG ended while it was under way")
    elif failure == "removed" or (last is not None and last.aborted):
        if last is not None and last.hold_code is not None:
            node.cause = causes.held(last.hold_code, last.hold_subcode, last.hold_reason,
                                     asked, used)
        else:
            node.cause = causes.removed(last.abort_reason if last else None)
    elif last is not None and last.signal:
        node.cause = causes.signalled(last.signal, asked, used)
    elif last is not None and last.exit_code is not None:
        node.cause = causes.exited(last.exit_code, asked, used)
    elif what.exit_code is not None:
        node.cause = causes.exited(what.exit_code, asked, used)
    else:
        node.cause = causes.UNKNOWN
    if node.err_file and node.state in ("failed", "retrying", "held"):
        node.stderr = dagman_logs.tail(os.path.join(folder, node.err_file), tail_lines)


def _int(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _memory_usage(ad: dict) -> int | None:
    """MemoryUsage of a job ad, as the schedd evaluates it, or from ResidentSetSize (KB)."""
    used = _int(ad.get("MemoryUsage"))
    if used is None and _int(ad.get("ResidentSetSize")):
        used = -(-int(ad["ResidentSetSize"]) // 1024)
    return used


def from_procs(subject, folder: str, nodemap: NodeMap | None, tail_lines: int = 20
               ) -> DagState:
    """A single job's procs as nodes (one per proc), from their ads; the end of each failed
    proc's stderr from its files."""
    top = nodemap.top if nodemap else None
    name = next(iter(top.groups), "job") if top else "job"
    group = top.groups.get(name) if top else None
    stem = group.stdio if group and group.stdio else name
    origin = nodemap.shown(group.origin) if nodemap and group else ""
    nodes = []
    for ad in subject.procs or [subject.ad]:
        job = f"{ad['ClusterId']}.{ad['ProcId']}"
        node = NodeState(job, None, job, name, "idle", origin, attempts=1, jobs=[job])
        status = ad.get("JobStatus")
        node.err_file = stdio_name(stem, "err", ad["ClusterId"], ad["ProcId"])
        node.out_file = stdio_name(stem, "out", ad["ClusterId"], ad["ProcId"])
        asked, used = _int(ad.get("RequestMemory")), _memory_usage(ad)
        if status == RUNNING:
            node.state = "running"
        elif status == HELD:
            node.state = "held"
            node.cause = causes.held(ad.get("HoldReasonCode"), ad.get("HoldReasonSubCode"),
                                     ad.get("HoldReason"), asked, used)
        elif status == REMOVED:
            node.state, node.cause = "failed", causes.removed(ad.get("RemoveReason"))
        elif status == COMPLETED:
            if ad.get("ExitBySignal") is True:
                node.state = "failed"
                node.cause = causes.signalled(int(ad.get("ExitSignal") or 0), asked, used)
            elif ad.get("ExitCode") not in (0, None):
                node.state = "failed"
                node.cause = causes.exited(int(ad["ExitCode"]), asked, used)
            else:
                node.state = "done"
        if node.state in ("failed", "held"):
            node.stderr = dagman_logs.tail(os.path.join(folder, node.err_file), tail_lines)
        nodes.append(node)
    timeline = Timeline()
    log = os.path.join(folder, f"{name}.log")  # the job's own log (emit.submit.job_log)
    for record in dagman_logs.read_nodes_log(log).values():
        was = None
        for when, state in record.changes:
            timeline.steps.setdefault(name, []).append((when, was, state))
            was = state
    return DagState(nodes, all(n.state in ("done", "failed") for n in nodes), None, False,
                    timeline=timeline)
