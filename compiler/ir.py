"""The intermediate representation: what a workflow is, independent of how it was written.

Both front ends build it, the checks read it, the emitters render it. Plain dataclasses with a
JSON form (`to_json`/`from_json`) that `schemas/ir.schema.json` describes. A job's settings are
kept once per distinct `JobSpec`; nodes refer to their spec by name and carry only what differs
between nodes that share one (arguments and VARS), so 100,000 nodes of one job stay small.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .diagnostics import Span

IR_VERSION = 1


@dataclass(slots=True)
class Script:
    """A DAGMan PRE or POST script, run on the access point."""

    kind: str  # "PRE" | "POST"
    executable: str  # path as written (file:// removed), relative to Workflow.base_dir
    arguments: list[str] = field(default_factory=list)
    span: Span | None = None


@dataclass(slots=True)
class Retry:
    """DAGMan `RETRY node count [UNLESS-EXIT code]`."""

    count: int
    unless_exit: int | None = None


@dataclass(slots=True)
class JobSpec:
    """Everything that makes a submit file; shared by all nodes that only differ in VARS."""

    name: str
    executable: str  # path as written (file:// removed), relative to Workflow.base_dir
    options: dict[str, Any] = field(default_factory=dict)  # option dest -> normalised value
    span: Span | None = None


@dataclass(slots=True)
class Node:
    name: str
    spec: str  # JobSpec.name
    arguments: list[str] = field(default_factory=list)
    vars: dict[str, str] = field(default_factory=dict)
    scripts: list[Script] = field(default_factory=list)
    retry: Retry | None = None
    span: Span | None = None


@dataclass(slots=True)
class Edge:
    """Every parent precedes every child (DAGMan's `PARENT p... CHILD c...`)."""

    parents: list[str]
    children: list[str]
    span: Span | None = None


@dataclass(slots=True)
class DagSettings:
    max_jobs_submitted: int | None = None  # --maxConcurrent


@dataclass(slots=True)
class Workflow:
    name: str  # stem of the files written
    source: str  # the file it was compiled from (or "<command line>")
    base_dir: str  # where relative executable and script paths resolve
    kind: str = "dag"  # "dag" | "job" (a single submit file, no DAG)
    user: str | None = None  # the submitter (GRID_USER, accounting)
    specs: list[JobSpec] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    settings: DagSettings = field(default_factory=DagSettings)

    def spec_by_name(self) -> dict[str, JobSpec]:
        return {s.name: s for s in self.specs}


# --- JSON form -----------------------------------------------------------------------------


def _span_json(span: Span | None) -> dict | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "column": span.column,
            "end_line": span.end_line, "end_column": span.end_column}


def _span_from(data: dict | None) -> Span | None:
    return None if data is None else Span(**data)


def to_json(wf: Workflow) -> dict[str, Any]:
    """A JSON-ready copy: changing it never changes `wf`."""
    return {
        "ir_version": IR_VERSION,
        "name": wf.name,
        "source": wf.source,
        "base_dir": wf.base_dir,
        "kind": wf.kind,
        "user": wf.user,
        "settings": {"max_jobs_submitted": wf.settings.max_jobs_submitted},
        "specs": [{"name": s.name, "executable": s.executable,
                   "options": json.loads(json.dumps(s.options)),
                   "span": _span_json(s.span)} for s in wf.specs],
        "nodes": [{"name": n.name, "spec": n.spec, "arguments": list(n.arguments),
                   "vars": dict(n.vars),
                   "scripts": [{"kind": sc.kind, "executable": sc.executable,
                                "arguments": list(sc.arguments),
                                "span": _span_json(sc.span)}
                               for sc in n.scripts],
                   "retry": None if n.retry is None else
                   {"count": n.retry.count, "unless_exit": n.retry.unless_exit},
                   "span": _span_json(n.span)} for n in wf.nodes],
        "edges": [{"parents": list(e.parents), "children": list(e.children),
                   "span": _span_json(e.span)}
                  for e in wf.edges],
    }


def from_json(data: dict[str, Any]) -> Workflow:
    return Workflow(
        name=data["name"],
        source=data["source"],
        base_dir=data["base_dir"],
        kind=data["kind"],
        user=data["user"],
        settings=DagSettings(**data["settings"]),
        specs=[JobSpec(s["name"], s["executable"], dict(s["options"]), _span_from(s["span"]))
               for s in data["specs"]],
        nodes=[Node(n["name"], n["spec"], list(n["arguments"]), dict(n["vars"]),
                    [Script(sc["kind"], sc["executable"], list(sc["arguments"]),
                            _span_from(sc["span"])) for sc in n["scripts"]],
                    Retry(**n["retry"]) if n["retry"] else None,
                    _span_from(n["span"])) for n in data["nodes"]],
        edges=[Edge(list(e["parents"]), list(e["children"]), _span_from(e["span"]))
               for e in data["edges"]],
    )
