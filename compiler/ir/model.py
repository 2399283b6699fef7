"""The intermediate representation: what a workflow is, independent of how it was written.

Both front ends build it, the checks read it, the emitters render it. Plain dataclasses with a
JSON form (`to_json`/`from_json`) that `schemas/ir.schema.json` describes. A job's settings are
kept once per distinct `JobSpec`; nodes refer to their spec by name and carry only what differs
between nodes that share one (arguments and VARS), so 100,000 nodes of one job stay small.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.base.conventions import jobsub_node_vars
from jobsub.compiler.base.diagnostics import Span
from jobsub.compiler.base.limits import LATE_MATERIALIZE_PROCS, NODE_OUTPUT_FOLDERS_FROM

IR_VERSION = 2


@dataclass(slots=True)
class Defer:
    """`SCRIPT DEFER status time`: a script exiting with `status` is retried after `time` s."""

    status: int
    time: int


@dataclass(slots=True)
class ScriptDebug:
    """`SCRIPT DEBUG file STDOUT|STDERR|ALL`: capture the script's output."""

    file: str
    stream: str  # "STDOUT" | "STDERR" | "ALL"


@dataclass(slots=True)
class Script:
    """A DAGMan PRE, POST or HOLD script, run on the access point."""

    kind: str  # "PRE" | "POST" | "HOLD"
    executable: str  # path as written (file:// removed), relative to Workflow.base_dir
    arguments: list[str] = field(default_factory=list)
    span: Span | None = None
    defer: Defer | None = None
    debug: ScriptDebug | None = None


@dataclass(slots=True)
class Retry:
    """DAGMan `RETRY node count [UNLESS-EXIT code]`."""

    count: int
    unless_exit: int | None = None


@dataclass(slots=True)
class AbortOn:
    """DAGMan `ABORT-DAG-ON node status [RETURN value]`."""

    status: int
    return_value: int | None = None


@dataclass(slots=True)
class QueueFrom:
    """`queue NAMES from (ROWS)`: one submit file, one process per row."""

    names: list[str]
    rows: list[list[str]]


@dataclass(slots=True)
class OAuth:
    """The job's token as HTCondor's credd hands it out: service, handle and scopes (never the
    token itself)."""

    service: str
    handle: str
    scopes: list[str]


@dataclass(slots=True)
class JobSpec:
    """Everything that makes a submit file; shared by all nodes that only differ in VARS."""

    name: str
    executable: str  # path as written (file:// removed), relative to Workflow.base_dir
    options: dict[str, Any] = field(default_factory=dict)  # option dest -> normalised value
    span: Span | None = None
    queue: QueueFrom | None = None
    oauth: OAuth | None = None


#: Submit commands that make a cluster materialize late (a factory).
LATE_COMMANDS = ("max_idle", "max_materialize")


def materializes_late(spec: JobSpec) -> bool:
    """Whether the spec's cluster materializes as it runs: LATE_MATERIALIZE_PROCS jobs or
    more, or a -l line of the user's asking for it. Such a cluster cannot be spooled by
    itself (its jobs would keep this machine's folder): it runs as a DAG node, submitted by
    DAGMan on the schedd's host."""
    procs = int(spec.options.get("count", 1)) * (len(spec.queue.rows) if spec.queue else 1)
    return procs >= LATE_MATERIALIZE_PROCS or asks_late(spec)


def asks_late(spec: JobSpec) -> bool:
    """Whether a -l line of the user's sets max_idle or max_materialize."""
    return any(line.split("=", 1)[0].strip().lower() in LATE_COMMANDS
               for line in spec.options.get("lines") or [])


class _NoVars(Mapping):
    """The empty VARS every node without its own shares (immutable, so it can be shared)."""

    __slots__ = ()

    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __hash__(self):
        return 0

    def __repr__(self):
        return "{}"


NO_VARS: Mapping[str, str] = _NoVars()


@dataclass(slots=True)
class Node:
    name: str
    spec: str | None  # JobSpec.name; None for a SUBDAG node
    #: Never changed in place once the node is made (a sweep's nodes share one list, and the
    #: DAG emitter keeps what it made of the last list it saw, by the list's identity).
    arguments: list[str] = field(default_factory=list)
    # The user's own VARS, and the node's scripts. Empty by default as one shared immutable
    # value, not a new dict and list per node (a million-node DAG would carry 120 MB of them).
    vars: Mapping[str, str] = NO_VARS
    scripts: tuple[Script, ...] = ()
    #: jobsub_lite's number of the node: DAGMan gets JOBSUBJOBSECTION, CM1, CM2 and nodename
    #: from it (conventions.jobsub_node_vars) ahead of `vars`. Kept as a number, not as four
    #: VARS per node, because a million-node DAG would hold four million strings for them.
    section: int | None = None
    retry: Retry | None = None
    span: Span | None = None
    pre_skip: int | None = None
    priority: int | None = None
    category: str | None = None
    abort_on: AbortOn | None = None
    final: bool = False
    noop: bool = False
    done: bool = False
    subdag: str | None = None  # the sub-DAG file: a compiled one's name, or the user's .dag


def node_vars(node: Node) -> dict[str, str]:
    """Every VARS the node passes to DAGMan: jobsub's (from its section), then its own."""
    if node.section is None:
        return dict(node.vars)
    every = jobsub_node_vars(node.section)
    if node.vars:
        every.update(node.vars)
    return every


def outputs_in_folders(wf: Workflow) -> bool:
    """Whether the DAG's nodes write their stdout and stderr into subfolders (of
    NODE_OUTPUT_FOLDER_NODES nodes each, by their section)."""
    return wf.kind == "dag" and len(wf.nodes) >= NODE_OUTPUT_FOLDERS_FROM and \
        all(n.section is not None for n in wf.nodes)


@dataclass(slots=True)
class Edge:
    """Every parent precedes every child (DAGMan's `PARENT p... CHILD c...`)."""

    parents: list[str]
    children: list[str]
    span: Span | None = None
    weak: bool = False  # WEAK: the child may run even if a parent failed


@dataclass(slots=True)
class Dot:
    file: str
    update: bool = True
    overwrite: bool = True


@dataclass(slots=True)
class NodeStatusFile:
    file: str
    interval: int | None = None  # minimum seconds between updates
    always_update: bool = False


@dataclass(slots=True)
class DagSettings:
    max_jobs_submitted: int | None = None  # maxjobs, --maxConcurrent
    max_idle: int | None = None
    max_pre: int | None = None
    max_post: int | None = None
    dot: Dot | None = None
    node_status_file: NodeStatusFile | None = None
    jobstate_log: str | None = None
    config: dict[str, str] = field(default_factory=dict)  # DAGMan configuration knobs
    set_job_attr: dict[str, str] = field(default_factory=dict)  # on the DAGMan job's ad
    categories: dict[str, int] = field(default_factory=dict)  # category -> MAXJOBS


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
    subdags: list[Workflow] = field(default_factory=list)  # compiled beside it as NAME.*

    def spec_by_name(self) -> dict[str, JobSpec]:
        return {s.name: s for s in self.specs}


# --- JSON form: generic over the dataclasses above -------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, Span):
        return {"file": value.file, "line": value.line, "column": value.column,
                "end_line": value.end_line, "end_column": value.end_column}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(wf: Workflow) -> dict[str, Any]:
    """A JSON-ready copy: changing it never changes `wf`."""
    return {"ir_version": IR_VERSION, **_plain(wf)}


_HINTS: dict[type, dict[str, Any]] = {}


def _build(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner, data)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_build(inner, v) for v in data]
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return tuple(_build(inner, v) for v in data)
    if origin in (dict, Mapping):
        _, inner = typing.get_args(tp)
        return {k: _build(inner, v) for k, v in data.items()}
    if tp is Span:
        return Span(**data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _HINTS.get(tp)
        if hints is None:
            hints = _HINTS[tp] = typing.get_type_hints(tp)
        return tp(**{f.name: _build(hints[f.name], data[f.name])
                     for f in dataclasses.fields(tp) if f.name in data})
    return data


def from_json(data: dict[str, Any]) -> Workflow:
    return _build(Workflow, {k: v for k, v in data.items() if k != "ir_version"})
