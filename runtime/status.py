"""`jobsub status`: how far along a DAG (or a job) is — nodes done, running, idle, held,
failed, waiting, per job group (the nodes sharing one submit file) and in total, and the
state of DAGMan itself.

While the DAG runs, status comes from the schedd alone, cheaply enough to redraw every few
seconds: the DAGMan job's ad and its node jobs' ads (queue, then history). A node whose job
succeeded but whose POST script failed looks done there; the DAGMan job's own count of
failed nodes says so, and `analyze` (which reads DAGMan's logs) tells them apart. Once the
DAG has finished, status reads its logs (dagstate.py), which are exact.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .dagstate import STATES, DagState, NodeState
from .jobstatus import COMPLETED, HELD, IDLE, REMOVED, RUNNING
from .nodemap import NodeMap
from .subject import Subject

#: `jobsub status` exit statuses, for scripts.
EXIT_SUCCEEDED, EXIT_FAILED, EXIT_RUNNING, EXIT_HELD = 0, 1, 3, 4
#: The DAGMan job's DAG_* attributes are rewritten every DAGMAN_AD_UPDATE_INTERVAL
#: (default 120 s); older than this, status says so.
STALE_S = 600
_NODE_ATTRS = ["ClusterId", "ProcId", "JobStatus", "ExitCode", "ExitBySignal", "ExitSignal",
               "DAGNodeName", "HoldReason", "HoldReasonCode", "HoldReasonSubCode",
               "MemoryUsage", "ResidentSetSize", "RequestMemory", "EnteredCurrentStatus",
               "JobUniverse"]
#: DAG_Status values (DAGMan's DagStatus).
DAG_STATUS = {0: "ok", 1: "error", 2: "node failed", 3: "aborted", 4: "removed",
              5: "cycle", 6: "halted"}


@dataclass
class GroupProgress:
    group: str
    executable: str | None
    origin: str
    total: int
    counts: dict[str, int]

    def as_json(self) -> dict:
        return {"group": self.group, "executable": self.executable, "origin": self.origin,
                "total": self.total, **{s: self.counts.get(s, 0) for s in STATES}}


@dataclass
class Status:
    subject: str
    kind: str  # "dag" | "job"
    state: str  # running, idle, held, recovering, halted, succeeded, failed, removed
    exit_code: int | None
    since: int | None
    groups: list[GroupProgress]
    source: str  # "logs" (DAGMan's files) or "queue" (the schedd's ads)
    notes: list[str] = field(default_factory=list)
    failed_by_dagman: int | None = None  # DAGMan's own count, when it says more

    @property
    def totals(self) -> dict[str, int]:
        out = {s: 0 for s in STATES}
        for g in self.groups:
            for s, n in g.counts.items():
                out[s] = out.get(s, 0) + n
        return out

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    def exit_status(self) -> int:
        if self.state == "succeeded":
            return EXIT_SUCCEEDED
        if self.state in ("failed", "removed"):
            return EXIT_FAILED
        if self.state == "held" or self.totals.get("held"):
            return EXIT_HELD
        return EXIT_RUNNING

    def as_json(self) -> dict:
        return {"id": self.subject, "kind": self.kind, "state": self.state,
                "exit_code": self.exit_code, "since": self.since, "source": self.source,
                "total": self.total, "totals": self.totals,
                "failed_by_dagman": self.failed_by_dagman,
                "groups": [g.as_json() for g in self.groups], "notes": self.notes,
                "exit_status": self.exit_status()}


def dag_state(ad: dict, finished_code: int | None = None) -> tuple[str, int | None]:
    """What DAGMan is doing, from its job's ad: (state, exit code once finished)."""
    status = ad.get("JobStatus")
    if status == COMPLETED:
        code = ad.get("ExitCode")
        if ad.get("ExitBySignal") is True:
            return "failed", None
        return ("succeeded" if code == 0 else "failed"), code
    if status == REMOVED:
        return "removed", None
    if status == HELD:
        return "held", None
    if status == IDLE:
        return "idle", None
    if ad.get("DAG_InRecovery"):
        return "recovering", None
    if ad.get("DAG_Status") == 6:
        return "halted", None
    return "running", None


def from_nodes(subject: Subject, nodes: list[NodeState], nodemap: NodeMap | None,
               state: str, exit_code: int | None, source: str,
               notes: list[str] | None = None) -> Status:
    """Counts per job group of nodes whose states are known."""
    groups: dict[str, GroupProgress] = {}
    for node in nodes:
        g = groups.get(node.group)
        if g is None:
            g = groups[node.group] = _group(node.group, node.dag, nodemap)
        g.total += 1
        g.counts[node.state] = g.counts.get(node.state, 0) + 1
    since = subject.ad.get("EnteredCurrentStatus") if subject.ad else None
    return Status(subject.label, "dag", state, exit_code, since, list(groups.values()),
                  source, notes or [])


def _group(name: str, dag: str | None, nodemap: NodeMap | None) -> GroupProgress:
    if nodemap is not None:
        found = nodemap.by_dag_file(dag)
        info = found.groups.get(name) if found else None
        if info is not None:
            prefix = "" if found is nodemap.top else f"{found.name}/"
            return GroupProgress(prefix + name, info.executable, nodemap.shown(info.origin),
                                 0, {})
    return GroupProgress(name, None, "", 0, {})


def from_logs(subject: Subject, dag: DagState, nodemap: NodeMap | None) -> Status:
    """A DAG's progress from its files (dagstate.py): exact, PRE and POST scripts included."""
    if subject.ad:
        state, code = dag_state(subject.ad)
        if state == "removed" and not dag.finished:
            state = "removing"  # DAGMan still writes its rescue DAG and removes its jobs
    elif dag.finished:
        state, code = ("succeeded" if dag.exit_code == 0 else "failed"), dag.exit_code
    else:
        state, code = "running", None
    return from_nodes(subject, dag.nodes, nodemap, state, code, "logs", dag.notes)


def from_queue(subject: Subject, nodemap: NodeMap | None, done_before: set[str] = frozenset(),
               now: float | None = None) -> Status:
    """A DAG's progress from the schedd: its DAGMan job's ad and its node jobs' ads.
    `done_before`: nodes the rescue DAG it started from counts as done."""
    assert subject.schedd is not None and subject.job is not None
    schedd, cluster = subject.schedd, subject.job.cluster
    constraint = f"DAGManJobId == {cluster}"
    queued = schedd.call("querying the queue", schedd.schedd.query, constraint, _NODE_ATTRS)
    qdate = int(subject.ad.get("QDate") or 0)
    gone = schedd.call("reading the job history", schedd.schedd.history, constraint,
                       _NODE_ATTRS, match=-1, since=history_bound(cluster, qdate))
    state, code = dag_state(subject.ad)
    latest: dict[str, tuple[int, str, dict]] = {}
    attempts: dict[str, int] = {}
    for ad, where in [*((a, "history") for a in gone), *((a, "queue") for a in queued)]:
        name = ad.get("DAGNodeName")
        if not isinstance(name, str):
            continue
        attempts[name] = attempts.get(name, 0) + 1
        if name not in latest or ad["ClusterId"] >= latest[name][0]:
            latest[name] = (ad["ClusterId"], where, dict(ad))
    running = state in ("running", "recovering", "halted", "idle", "held")
    top = nodemap.top if nodemap else None
    names = list(top.nodes) if top else sorted(latest)
    nodes = []
    for name in names:
        group = (top.group(name) if top else None) or "?"
        node = NodeState(name, top.dag if top else None, name, group, "waiting")
        node.attempts = attempts.get(name, 0)
        node.retries = top.retries(name) if top else 0
        found = latest.get(name)
        if found is not None:
            node.state = _node_state(found[2], running, node.attempts, node.retries)
        elif state == "succeeded" or name in done_before:
            node.state = "done"
        elif not running:
            node.state = "futile"
        nodes.append(node)
    status = from_nodes(subject, nodes, nodemap, state, code, "queue")
    done = subject.ad.get("DAG_NodesDone")
    if isinstance(done, int) and done > status.totals.get("done", 0):
        status.notes.append(f"DAGMan counts {done} node(s) done: nodes that run no job (NOOP) "
                            "show as waiting here until it ends")
    failed = subject.ad.get("DAG_NodesFailed")
    if isinstance(failed, int) and failed > status.totals.get("failed", 0):
        status.failed_by_dagman = failed
        status.notes.append(f"DAGMan counts {failed} failed node(s): failures of PRE or POST "
                            "scripts show only in its logs (jobsub analyze reads them)")
    updated = subject.ad.get("DAG_AdUpdateTime")
    now = time.time() if now is None else now
    if running and isinstance(updated, int) and now - updated > STALE_S:
        status.notes.append(f"DAGMan last updated its job's ad {int(now - updated)} s ago")
    return status


def _node_state(ad: dict, dag_running: bool, attempts: int, retries: int) -> str:
    status = ad.get("JobStatus")
    if status == IDLE:
        return "idle"
    if status == RUNNING:
        return "running"
    if status == HELD:
        return "held"
    if status == COMPLETED and ad.get("ExitCode") == 0 and ad.get("ExitBySignal") is not True:
        return "done"
    if dag_running and attempts <= retries:
        return "retrying"
    return "failed"


def history_bound(cluster: int, qdate: int, margin: int = 60) -> str:
    """Where a newest-first history scan for the jobs of a submission (cluster `cluster`,
    queued at `qdate`) may stop: at a job queued before it that left the queue when it
    finished (not spooled), before the submission was made. Every job after that one in
    the history left the queue later; one of ours cannot be further back."""
    return (f"ClusterId < {cluster} && isUndefined(StageOutFinish) && "
            f"EnteredCurrentStatus < {qdate - margin}")


def from_procs(subject: Subject, nodemap: NodeMap | None) -> Status:
    """A single job's procs, as the queue or the history has them."""
    groups: dict[str, int] = {}
    for ad in subject.procs or [subject.ad]:
        s = _node_state(ad, False, 0, 0)
        groups[s] = groups.get(s, 0) + 1
    top = nodemap.top if nodemap else None
    name = next(iter(top.groups), "job") if top else "job"
    group = _group(name, top.dag if top else None, nodemap)
    group.total = sum(groups.values())
    group.counts = groups
    states = set(groups)
    if states <= {"done"}:
        state = "succeeded"
    elif states & {"idle", "running", "held"}:
        state = "held" if states == {"held"} else "running"
    else:
        state = "failed"
    since = subject.ad.get("EnteredCurrentStatus")
    return Status(subject.label, "job", state, subject.ad.get("ExitCode"), since, [group],
                  "queue")


# --- text -------------------------------------------------------------------------------

SHOWN = ("done", "running", "idle", "held", "failed", "waiting")
_OTHER = ("pre", "post", "retrying", "futile")


def format_status(status: Status, width: int = 100) -> str:
    """The status as a table: a header, one row per job group, a total."""
    since = time.strftime("%m/%d %H:%M", time.localtime(status.since)) if status.since else ""
    head = f"{status.subject}: {status.kind.upper()} {status.state}"
    if status.exit_code is not None and status.state in ("succeeded", "failed"):
        head += f" (exit {status.exit_code})"
    if since:
        head += f" since {since}"
    lines = [head]
    name_w = max([5, *(len(g.group) for g in status.groups)])
    name_w = min(name_w, 32)
    cols = [*SHOWN, *(s for s in _OTHER if status.totals.get(s))]
    lines.append(f"{'GROUP':<{name_w}}  {'TOTAL':>7}  " + "  ".join(f"{c.upper():>7}"
                                                                     for c in cols) + "  DONE%")
    rows = [*status.groups]
    for g in rows:
        lines.append(_row(g.group, g.total, g.counts, cols, name_w) +
                     (f"  {g.origin}" if g.origin else ""))
    if len(rows) > 1:
        lines.append(_row("total", status.total, status.totals, cols, name_w))
    for note in status.notes:
        lines.append(f"note: {note}")
    return "\n".join(line[:width * 2] for line in lines)


def _row(name: str, total: int, counts: dict[str, int], cols, name_w: int) -> str:
    done = counts.get("done", 0)
    pct = f"{100.0 * done / total:5.1f}" if total else "  -  "
    shown = name if len(name) <= name_w else name[:name_w - 1] + "…"
    return f"{shown:<{name_w}}  {total:>7}  " + "  ".join(f"{counts.get(c, 0):>7}"
                                                         for c in cols) + f"  {pct}"


def one_line(status: Status) -> str:
    """For a pipe: one line, written when it changes."""
    t = status.totals
    parts = [f"{t.get(s, 0)} {s}" for s in STATES if t.get(s)]
    return f"{status.subject} {status.state}: " + ", ".join(parts)
