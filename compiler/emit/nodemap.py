"""`jobsub.json`: what the runtime needs to tell a node's story after it ran, and that no
HTCondor file keeps — the line of the workflow file that made each node, the job (submit
file) it runs, what it asked for, and a fingerprint of what it computes, so that a rescue of
an edited workflow can tell whether a node name still means the same work.

Columnar (one list per field), so a 100,000-node DAG is a few MB read with one json.loads.
The runtime reads it (runtime/nodemap.py); it is never sent to the schedd.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jobsub.compiler.base.conventions import jobsub_vars_writer, node_vars_writer
from jobsub.compiler.ir.model import JobSpec, Node, Workflow, node_vars
from jobsub.compiler.options.table import BY_DEST

MAP_FILE = "jobsub.json"
MAP_VERSION = 1
#: Node-level edges are kept for DAGs up to this size (drawn node by node); bigger ones are
#: drawn by job group, whose edges are always kept.
NODE_EDGES_LIMIT = 1000


@dataclass(frozen=True)
class DagFiles:
    """The files of one (sub-)workflow in the folder, as plan() named them."""

    wf: Workflow
    dag: str | None  # NAME.dag; None for a single job
    parent: str | None  # the node of the enclosing DAG that runs it (a sub-DAG)
    submit: dict[str, str]  # spec name -> submit file
    stdio_stem: dict[str, str]  # spec name -> what its .out/.err names start with
    jobstate_log: str | None


_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def _digest(*parts: Any) -> str:
    return _hash(_ENCODE(parts))


def _hash(text: str) -> str:
    """The digest of a JSON text. (A copy of an empty hasher: a fifth cheaper than making
    one, for each of a million nodes.)"""
    h = _BLAKE2B.copy()
    h.update(text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


_BLAKE2B = hashlib.blake2b(digest_size=8)


def spec_identity(spec: JobSpec) -> str:
    """What a job spec computes: its executable, its inputs and every option that shapes the
    job's work; not how much it asks for or where it may run (a rescue with more memory is
    the same work)."""
    options = {k: v for k, v in spec.options.items()
               if k not in BY_DEST or BY_DEST[k].identity}
    queue = None if spec.queue is None else [spec.queue.names, spec.queue.rows]
    return _digest(os.path.normpath(spec.executable), options, queue)


#: Characters JSON does not write as they are between quotes (with ensure_ascii off).
_JSON_ESCAPED = re.compile(r'["\\\x00-\x1f]')


#: jobsub's VARS as JSON's sort_keys writes them.
_jobsub_json = jobsub_vars_writer('"{name}":"{value}"', ",", sort=True)


@lru_cache(maxsize=256)
def _vars_json(own: tuple[str, ...]) -> Callable[[int, list[str]], str] | None:
    """jobsub's VARS and a node's own (named `own`) as JSON's sort_keys writes them; None
    if the names cannot be written so."""
    try:
        return node_vars_writer('"{name}":"{value}"', ",", own, sort=True)
    except ValueError:
        return None


def _args_json(arguments: list[str]) -> str | None:
    """The arguments as the JSON encoder writes a list's inside; None if one of them has a
    character JSON escapes."""
    if _JSON_ESCAPED.search("".join(arguments)):
        return None
    return '"' + '","'.join(arguments) + '"' if arguments else ""


def _fingerprints(nodes: list[Node], identity: dict[str, str]) -> list[str]:
    """node_fingerprint of each node; the arguments' JSON is made once for the nodes of a
    sweep, which share their argument list, and so is, for a sweep's usual node (own VARS
    of text JSON writes as it is), the digest of its JSON up to its VARS: each node then
    hashes only its VARS and the end (what node_fingerprint would hash, in two parts)."""
    out = []
    append = out.append
    last: tuple[Any, str | None] = (None, None)
    #: (spec, argument list, VARS names, noop) -> (hasher fed the JSON before the VARS, the
    #: VARS writer, the JSON after them); None where node_fingerprint decides
    form: tuple = (None, None, None, None, None)
    for node in nodes:
        arguments = node.arguments
        if arguments is not last[0]:
            last = (arguments, _args_json(arguments))
        own = node.vars
        if own and node.section is not None and node.subdag is None:
            names = tuple(own)
            if form[1] is not arguments or form[0] != node.spec or form[2] != names or \
                    form[3] is not node.noop:
                form = (node.spec, arguments, names, node.noop,
                        _swept_form(identity.get(node.spec), last[1], names, node.noop))
            made = form[4]
            if made is not None:
                values = list(own.values())
                if not _JSON_ESCAPED.search("".join(values)):
                    h = made[0].copy()
                    h.update((made[1](node.section, values) + made[2]).encode(
                        "utf-8", "surrogatepass"))
                    append(h.hexdigest())
                    continue
        append(node_fingerprint(identity.get(node.spec), node, last[1]))
    return out


def _swept_form(spec_id: str | None, args: str | None, names: tuple[str, ...],
                noop: bool) -> tuple[Any, Callable, str] | None:
    """For the nodes of a spec with these arguments (their JSON `args`) and own VARS names:
    a hasher fed the JSON node_fingerprint writes before the VARS, the VARS writer, and
    the JSON after them; None if node_fingerprint would not write the JSON itself."""
    write = _vars_json(names)
    if spec_id is None or args is None or write is None:
        return None
    before, after = _around_vars(spec_id, args, noop)
    h = _BLAKE2B.copy()
    h.update(before.encode("utf-8", "surrogatepass"))
    return h, write, after


def _around_vars(spec_id: str, args: str, noop: bool) -> tuple[str, str]:
    """The JSON node_fingerprint hashes for a usual node, before its VARS pairs and after
    them: what the encoder writes of [spec id, arguments, {VARS}, null, noop]."""
    return f'["{spec_id}",[{args}],{{', f'}},null,{"true" if noop else "false"}]'


#: node_fingerprint's `args` when the caller has not made them
_ASK: Any = object()


def node_fingerprint(spec_id: str | None, node: Node, args: str | None = _ASK) -> str:
    """What the node computes, as a digest. `args`: _args_json of its arguments if known
    (None: they have characters JSON escapes)."""
    own = node.vars
    if args is _ASK:
        args = _args_json(node.arguments)
    if spec_id is None or node.subdag is not None or node.section is None or args is None:
        return _digest(spec_id, node.arguments, node_vars(node), node.subdag, node.noop)
    values = list(own.values()) if own else []
    write = _vars_json(tuple(own)) if own else None
    # The usual node, its JSON written here: the encoder's text, at a third of its cost
    # (a million-node DAG); a property test holds the two equal. Text JSON would escape,
    # or VARS names the writer does not take, go to the encoder. (The spec id is hex.)
    if (own and write is None) or (values and _JSON_ESCAPED.search("".join(values))):
        return _digest(spec_id, node.arguments, node_vars(node), node.subdag, node.noop)
    pairs = _jobsub_json(node.section) if write is None else write(node.section, values)
    before, after = _around_vars(spec_id, args, node.noop)
    return _hash(before + pairs + after)


def group_of(node: Node) -> str:
    """The job group a node is counted in: the nodes sharing one submit file (its spec), or
    a sub-DAG node on its own."""
    return node.spec if node.spec is not None else f"subdag {node.name}"


def _group_edges(wf: Workflow) -> list[list]:
    """[parent group, child group, weak] for every pair of groups some edge joins."""
    specs = {n.spec for n in wf.nodes}
    if len(specs) == 1 and None not in specs:  # one submit file (a big DAG's usual shape)
        (only,) = specs
        unknown = {n.name for n in wf.nodes}.isdisjoint  # none of these names is a node's
        joined = [edge.weak for edge in wf.edges
                  if not unknown(edge.parents) and not unknown(edge.children)]
        return [[only, only, all(joined)]] if joined else []
    group = {n.name: group_of(n) for n in wf.nodes}
    get = group.get
    # the edges' distinct (parent groups, child groups) first: a million-node DAG's edges
    # mostly join one group to itself (sets by map, in C)
    joins: dict[tuple[frozenset, frozenset], bool] = {}
    for edge in wf.edges:
        key = (frozenset(map(get, edge.parents)), frozenset(map(get, edge.children)))
        joins[key] = joins.get(key, True) and edge.weak
    pairs: dict[tuple[str, str], bool] = {}
    for (parents, children), weak in joins.items():
        for a in sorted(parents - {None}):
            for b in sorted(children - {None}):
                pairs[(a, b)] = pairs.get((a, b), True) and weak
    return [[a, b, weak] for (a, b), weak in pairs.items()]


def _relative(path: str, top_dir: str) -> str:
    full = os.path.abspath(path)
    rel = os.path.relpath(full, top_dir)
    return full if rel.startswith("..") else rel


#: Nodes per piece of a column of jobsub.json (a million-node column is never one list).
_COLUMN_PIECE = 100_000

_DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def node_map(top: Workflow, parts: list[DagFiles]) -> Iterator[str]:
    """The text of jobsub.json for a folder whose (sub-)workflows are `parts` (top first),
    in pieces: the JSON json.dumps writes, each node column made and written a slice of
    nodes at a time. Source files are named relative to the top workflow file's folder, so
    the text does not depend on where it was compiled from."""
    top_dir = os.path.dirname(os.path.abspath(top.source))
    sources: list[str] = []
    index: dict[str, int] = {}

    def source(span) -> tuple[int, int, int]:
        return file_of(span), span.line if span else 0, span.column if span else 0

    def file_of(span) -> int:
        return file_number(span.file if span else "")

    def file_number(name: str) -> int:
        if not name:
            return -1
        if name not in index:
            index[name] = len(sources)
            sources.append(_relative(name, top_dir))
        return index[name]

    workflows = []  # (the workflow's fields but its nodes, its nodes' columns)
    for part in parts:
        wf = part.wf
        identity = {spec.name: spec_identity(spec) for spec in wf.specs}
        specs = {}
        for spec in wf.specs:
            file, line, column = source(spec.span)
            o = spec.options
            specs[spec.name] = {
                "submit": part.submit[spec.name], "executable": os.path.basename(
                    spec.executable), "source": file, "line": line, "column": column,
                "memory": o.get("memory"), "disk": o.get("disk"),
                "memory_retry": o.get("memory_retry"), "stdio": part.stdio_stem[spec.name],
                "identity": identity[spec.name]}
        # file_of, once per file (in the order of first use, as file_of would number them)
        numbers = {name: file_number(name)
                   for name in dict.fromkeys(n.span.file if n.span else "" for n in wf.nodes)}
        workflows.append(({
            "name": wf.name, "dag": part.dag, "parent": part.parent,
            "jobstate_log": part.jobstate_log,
            "nodes_log": f"{part.dag}.nodes.log" if part.dag else None,
            "dagman_out": f"{part.dag}.dagman.out" if part.dag else None,
            "final": [n.name for n in wf.nodes if n.final],
            "group_edges": _group_edges(wf),
            "edges": [[e.parents, e.children, e.weak] for e in wf.edges]
            if len(wf.nodes) <= NODE_EDGES_LIMIT else None,
            "specs": specs}, len(wf.nodes), _columns(wf.nodes, numbers, identity)))
    head = _DUMP({"jobsub_map": MAP_VERSION, "workflow": _relative(top.source, top_dir),
                  "kind": top.kind, "sources": sources})
    yield head[:-1] + ',"workflows":['
    for i, (fields, count, columns) in enumerate(workflows):
        yield ("," if i else "") + _DUMP(fields)[:-1] + ',"nodes":{'
        for j, (key, column) in enumerate(columns.items()):
            yield ("," if j else "") + _DUMP(key) + ":["
            for k in range(0, count, _COLUMN_PIECE):
                yield ("," if k else "") + _DUMP(column(k, k + _COLUMN_PIECE))[1:-1]
            yield "]"
        yield "}}"
    yield "]}\n"


def _columns(nodes: list[Node], numbers: dict[str, int],
             identity: dict[str, str]) -> dict[str, Callable[[int, int], list]]:
    """Each column of jobsub.json's nodes, as a function making it for nodes[start:end]
    (a million nodes: comprehensions, not appends)."""

    def spec(start: int, end: int) -> list:
        groups = [n.spec for n in nodes[start:end]]  # group_of, each in C but a sub-DAG's
        return [group_of(n) for n in nodes[start:end]] if None in groups else groups

    def span_of(field: str, missing: Any) -> Callable[[int, int], list]:
        get = operator.attrgetter(field)
        return lambda start, end: [get(n.span) if n.span else missing
                                   for n in nodes[start:end]]

    return {
        "name": lambda start, end: [n.name for n in nodes[start:end]],
        "spec": spec,
        "source": lambda start, end: [numbers[n.span.file] if n.span else -1
                                      for n in nodes[start:end]],
        "line": span_of("line", 0),
        "column": span_of("column", 0),
        "retry": lambda start, end: [n.retry.count if n.retry else 0
                                     for n in nodes[start:end]],
        "fingerprint": lambda start, end: _fingerprints(nodes[start:end], identity),
        "section": lambda start, end: [n.section for n in nodes[start:end]]}
