"""`jobsub convert`: a dagnabbit file as the equivalent YAML manifest.

The manifest names its jobs like the dagnabbit nodes (stage_1, stage_2, ...), keeps the
block structure as nested `serial:`/`parallel:` lists, puts the options all jobs share in
`defaults:`, and writes sizes and durations in units that convert back to the same values:
compiling either file gives the same DAG and submit files.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from typing import Any

from jobsub.compiler.base.conventions import script_macro
from jobsub.compiler.frontends.dagnabbit import Block, JobLine, Stray
from jobsub.compiler.ir.model import Node, Workflow
from jobsub.compiler.options.table import BY_DEST, OPTIONS, Kind, Scope, defaults


def option_yaml(dest: str, value: Any, move: Move | None = None) -> Any:
    """The YAML form of a normalised option value (it converts back to `value`): the
    option table's own reverse; with `move`, its local paths as seen from another folder."""
    opt = BY_DEST[dest]
    if move is not None and opt.paths is not None:
        value = opt.paths(value, move)
    if opt.written is not None:
        return opt.written(value)
    if opt.kind is Kind.PAIR:
        return [list(pair) for pair in value]
    if isinstance(value, list):
        return list(value)
    return value


Move = Callable[[str], str]


def mover(source_dir: str, out_dir: str) -> Move:
    """A relative local path of a workflow in `source_dir`, as written from `out_dir`
    (absolute paths, ~ paths and URLs stay as they are)."""
    def move(path: str) -> str:
        if os.path.isabs(path) or path.startswith("~") or "://" in path:
            return path
        return os.path.relpath(os.path.join(source_dir, path), out_dir)
    return move


def _options_for(spec_options: dict[str, Any], shared: dict[str, Any],
                 move: Move | None) -> dict[str, Any]:
    base = defaults()
    out = {}
    for opt in OPTIONS:
        if opt.scope is not Scope.JOB or opt.dest not in spec_options:
            continue
        value = spec_options[opt.dest]
        if opt.dest in shared or base.get(opt.dest) == value:
            continue
        out[opt.dest] = option_yaml(opt.dest, value, move)
    return out


def _shared_options(wf: Workflow) -> dict[str, Any]:
    """Options every spec has with the same value (repeatable ones excluded: a job's list
    would be added to the defaults', not replace it)."""
    if not wf.specs:
        return {}
    base = defaults()
    first = wf.specs[0].options
    shared = {}
    for dest, value in first.items():
        opt = BY_DEST.get(dest)
        if opt is None or opt.repeatable or base.get(dest) == value:
            continue
        if all(s.options.get(dest) == value for s in wf.specs[1:]):
            shared[dest] = value
    return shared


#: A `$` a manifest would read as the start of ${VAR} or $VAR, or a `$` after a backslash
#: (`\\$` is the manifest's literal dollar): escaped so the value stays as it was.
_MANIFEST_DOLLAR = re.compile(r"(?<=\\)\$|\$(?=[{A-Za-z_])")
_NAME_AFTER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\b")


def literal(value: Any) -> Any:
    """A value the dagnabbit front end already expanded, written so that the manifest front
    end reads it back unchanged (no environment variable is expanded a second time;
    DAGMan's script macros, $JOB and the like, are never expanded and stay as they are)."""
    if isinstance(value, str):
        def escape(m: re.Match) -> str:
            name = _NAME_AFTER.match(value, m.end())
            if name and script_macro(f"${name.group()}") and \
                    value[m.start() - 1:m.start()] != "\\":
                return "$"
            return "\\$"
        return _MANIFEST_DOLLAR.sub(escape, value)
    if isinstance(value, list):
        return [literal(v) for v in value]
    if isinstance(value, dict):
        return {k: literal(v) for k, v in value.items()}
    return value


def _job(node: Node, wf: Workflow, shared: dict[str, Any], move: Move | None
         ) -> dict[str, Any]:
    spec = wf.spec_by_name()[node.spec]
    at = move or (lambda path: path)
    job: dict[str, Any] = {"executable": at(spec.executable)}
    if node.arguments:
        job["arguments"] = list(node.arguments)
    job.update(_options_for(spec.options, shared, move))
    for script in node.scripts:
        key = script.kind.lower()
        job[key] = {"script": at(script.executable), "arguments": list(script.arguments)} \
            if script.arguments else at(script.executable)
    if node.retry is not None:
        job["retry"] = node.retry.count if node.retry.unless_exit is None else \
            {"count": node.retry.count, "unless_exit": node.retry.unless_exit}
    return literal(job)


def _structure(block: Block, names: dict[int, str]) -> list[Any]:
    items: list[Any] = []
    for item in block.items:
        if isinstance(item, JobLine):
            name = names.get(id(item))
            if name:
                items.append(name)
        elif isinstance(item, Block):
            inner = _structure(item, names)
            if inner:
                items.append({item.kind: inner})
        elif isinstance(item, Stray):
            continue
    return items


def to_manifest(wf: Workflow, tree: Block, source: str, move: Move | None = None) -> str:
    """YAML text of the manifest equivalent to the dagnabbit workflow `wf` (parsed as
    `tree`); `move` (see mover) when it is written to another folder than the file's."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    job_lines = []

    def walk(block: Block) -> None:
        for item in block.items:
            if isinstance(item, JobLine):
                job_lines.append(item)
            elif isinstance(item, Block):
                walk(item)
    walk(tree)
    names = {id(line): node.name for line, node in zip(job_lines, wf.nodes, strict=True)}

    shared = _shared_options(wf)
    doc = CommentedMap()
    doc["name"] = wf.name
    if shared:
        doc["defaults"] = literal({dest: option_yaml(dest, v, move)
                                   for dest, v in shared.items()})
    jobs = CommentedMap()
    def flow(items: list) -> CommentedSeq:
        seq = CommentedSeq(items)
        seq.fa.set_flow_style()
        return seq

    for node in wf.nodes:
        job = CommentedMap(_job(node, wf, shared, move))
        if "arguments" in job:
            job["arguments"] = flow(job["arguments"])
        for kind in ("pre", "post", "hold"):
            if isinstance(job.get(kind), dict):
                job[kind]["arguments"] = flow(job[kind]["arguments"])
        jobs[node.name] = job
    doc["jobs"] = jobs
    structure = _structure(tree, names)
    if len(structure) == 1 and isinstance(structure[0], dict):
        (kind, items), = structure[0].items()
        doc[kind] = items
    elif len(structure) > 1:
        doc["serial"] = structure
    doc.yaml_set_start_comment(
        f"Converted from {source} by jobsub convert: compiles to the same DAG.\n"
        + ("Paths are relative to this file's folder." if move else
           "Paths are relative to the folder of the dagnabbit file."))
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()
