"""`jobsub analyze`: what failed and why, at the line of the workflow that made it.

Every failed, held or never-to-run node, with its cause (exit code or signal, hold reason
and code with a hint, PRE/POST script status), the retries it used, the last lines of its
stderr, and where it was written (`analysis.dagnabbit:12: stage_7 (simulate.sh) failed 3
times: exit 2`); then the failures grouped by cause, so a thousand read as a few lines; then
the exact command to run next.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .causes import Cause
from .dagstate import DagState, NodeState
from .nodemap import NodeMap
from .status import Status

#: Nodes listed one by one per cause; the rest are counted (all with --all).
SHOWN_PER_CAUSE = 5


@dataclass
class CauseGroup:
    cause: Cause
    group: str
    executable: str | None
    nodes: list[NodeState]

    def as_json(self) -> dict:
        return {"cause": self.cause.as_json(), "group": self.group,
                "executable": self.executable, "count": len(self.nodes),
                "nodes": [n.shown for n in self.nodes]}


@dataclass
class Analysis:
    status: Status
    problems: list[NodeState]  # failed, held, retrying, futile: worst first
    causes: list[CauseGroup]
    next_steps: list[str]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"status": self.status.as_json(),
                "problems": [n.as_json() for n in self.problems],
                "causes": [c.as_json() for c in self.causes], "next": self.next_steps,
                "notes": self.notes, "exit_status": self.status.exit_status()}


_ORDER = {"failed": 0, "held": 1, "retrying": 2, "futile": 3}


def analyze(status: Status, dag: DagState, nodemap: NodeMap | None,
            rescue_command: str, release_command: str | None = None) -> Analysis:
    problems = sorted((n for n in dag.nodes if n.state in _ORDER),
                      key=lambda n: (_ORDER[n.state], n.origin or "", n.shown))
    groups: dict[tuple, CauseGroup] = {}
    for node in problems:
        cause = node.cause
        if cause is None:
            continue
        key = (node.group, *cause.key())
        if key not in groups:
            groups[key] = CauseGroup(cause, node.group, _executable(nodemap, node), [])
        groups[key].nodes.append(node)
    ordered = sorted(groups.values(), key=lambda g: (_ORDER.get(g.nodes[0].state, 9),
                                                      -len(g.nodes)))
    return Analysis(status, problems, ordered,
                    _next_steps(status, problems, ordered, rescue_command, release_command),
                    list(dag.notes))


def _executable(nodemap: NodeMap | None, node: NodeState) -> str | None:
    if nodemap is None:
        return None
    found = nodemap.by_dag_file(node.dag)
    group = found.groups.get(node.group) if found else None
    return group.executable if group else None


def _next_steps(status: Status, problems: list[NodeState], groups: list[CauseGroup],
                rescue: str, release: str | None) -> list[str]:
    held = [n for n in problems if n.state == "held"]
    failed = [n for n in problems if n.state == "failed"]
    done = status.totals.get("done", 0)
    rerun = status.total - done
    steps: list[str] = []
    fixes = [g for g in groups if g.cause.kind in ("held", "exit", "signal", "pre", "post")
             and g.cause.hint]
    memory = [g for g in fixes if g.cause.memory_asked is not None and "memory" in
              (g.cause.hint or "")]
    for g in memory:
        where = g.nodes[0].origin
        steps.append(f"raise the memory of job {g.group}" + (f" at {where}" if where else "")
                     + f": {g.cause.hint}")
    if status.state == "succeeded":
        return [f"nothing failed; the output: jobsub fetchlog {status.subject}"]
    if status.state in ("failed", "removed"):
        if failed or problems or rerun:
            steps.append(f"{rescue}   (keeps the {done} done node(s), runs the other "
                         f"{rerun} again)")
        return steps
    if held and release:
        steps.append(f"once the cause is fixed: {release}   (releases the held job(s) "
                     f"of {len(held)} node(s))")
        steps.append(f"or give up on them and rerun later: jobsub rm {status.subject}, then "
                     f"{rescue}")
    elif failed:
        steps.append(f"the DAG goes on with what does not depend on the failed nodes; when it "
                     f"ends: {rescue}")
    else:
        steps.append(f"nothing to do yet: jobsub status {status.subject} --watch")
    return steps


# --- text -------------------------------------------------------------------------------

def format_analysis(a: Analysis, everything: bool = False) -> str:
    s = a.status
    t = s.totals
    counts = ", ".join(f"{t[k]} {k}" for k in t if t[k])
    head = f"{s.subject}: {s.kind.upper()} {s.state}"
    if s.exit_code is not None and s.state in ("succeeded", "failed"):
        head += f" (exit {s.exit_code})"
    lines = [f"{head}: {s.total} node(s): {counts}" if s.kind == "dag" else
             f"{head}: {counts}"]
    if s.failed_by_dagman:
        lines.append(f"  DAGMan counts {s.failed_by_dagman} failed")
    if not a.problems:
        lines.append("no node failed or is held")
    shown_per_cause: dict[int, int] = {}
    for group in a.causes:
        for node in group.nodes:
            n = shown_per_cause.get(id(group), 0)
            if not everything and n >= SHOWN_PER_CAUSE:
                continue
            shown_per_cause[id(group)] = n + 1
            lines += _node_lines(node, group.executable)
    hidden = sum(len(g.nodes) - min(len(g.nodes), SHOWN_PER_CAUSE) for g in a.causes)
    if hidden and not everything:
        lines.append(f"... {hidden} more node(s) with the same causes (--all lists them)")
    if a.causes:
        lines.append("")
        lines.append("by cause:")
        for group in a.causes:
            job = f"job {group.group}" + (f" ({group.executable})" if group.executable else "")
            summary = group.cause.summary
            if group.cause.kind == "futile":
                summary = f"never ran: {summary}"
            lines.append(f"  {len(group.nodes)} node(s) of {job}: {summary}")
    for note in [*a.notes, *s.notes]:
        lines.append(f"note: {note}")
    if a.next_steps:
        lines.append("")
        lines += [f"next: {step}" for step in a.next_steps]
    return "\n".join(lines)


def _node_lines(node: NodeState, executable: str | None) -> list[str]:
    cause = node.cause
    what = {"failed": "failed", "held": "is held", "retrying": "failed, will be retried",
            "futile": "never ran"}[node.state]
    if node.state == "failed" and node.attempts > 1:
        what = f"failed {node.attempts} times"
    label = node.shown + (f" ({executable})" if executable else "")
    where = f"{node.origin}: " if node.origin else ""
    summary = cause.summary if cause else "unknown"
    if node.state == "held":
        summary = summary.removeprefix("held: ")
    lines = [f"{where}{label} {what}: {summary}"]
    details = []
    if node.retries:
        used = max(0, node.attempts - 1)
        details.append(f"retries: {used} of {node.retries} used")
    if node.jobs:
        details.append(f"job {node.jobs[-1]}" + (f" on {node.host}" if node.host else ""))
    if details:
        lines.append("    " + "; ".join(details))
    if node.stderr:
        lines.append(f"    stderr ({node.err_file}, last {len(node.stderr)} lines):")
        lines += [f"      {line}" for line in node.stderr]
    if cause and cause.hint and node.state != "futile":
        lines.append(f"    hint: {cause.hint}")
    return lines
