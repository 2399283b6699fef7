"""YAML manifest front end: text -> YAML -> schema check -> layered jobs -> IR.

One pass: the document is loaded without positions (fast); a span records the JSON path it
stands for, and only the spans a message names are looked up afterwards in ruamel's
round-trip document (yamlsource.locate_pending), so every message says FILE:LINE:COL. A
document the fast loader refuses is read by ruamel, for its located error.

Job settings are layered: the option table's defaults, the command line, `defaults:`, the
templates a job `extends` (in order), the job; repeatable options accumulate, everything
else is replaced, `vars` merge key by key.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.base.conventions import RESERVED_VARS, dagman_path_problem
from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.base.limits import MAX_NAME, MAX_NESTING
from jobsub.compiler.base.quoting import Unrepresentable, classad_string, config_line
from jobsub.compiler.base.sources import read_source
from jobsub.compiler.base.units import UnitError
from jobsub.compiler.frontends.specs import SpecTable, job_options, local_path
from jobsub.compiler.ir.model import (
    NO_VARS,
    AbortOn,
    DagSettings,
    Defer,
    Dot,
    Edge,
    Node,
    NodeStatusFile,
    QueueFrom,
    Retry,
    Script,
    ScriptDebug,
    Workflow,
)
from jobsub.compiler.options.shellwords import expand_string
from jobsub.compiler.options.table import BY_DEST, OPTIONS, Context, Kind, Scope, defaults, merge

from . import workflow_stem
from .fastschema import compile_schema
from .manifestschema import NAME
from .structure import group

Locate = Callable[..., Span]
#: (settings, options, origins) of one mapping of job keys, or several combined
Layer = tuple[dict, dict, dict]
OPTION_KEYS = {o.dest for o in OPTIONS if o.scope is Scope.JOB}
_QUEUE_ITEM = re.compile(r"[^\s,()\"']+")
#: What a job writes beside the DAG: NAME.CLUSTER.PROC.out/.err/.outputs.tar.
_JOB_WRITES = re.compile(r"(.+)\.\d+\.\d+\.(?:out|err|outputs\.tar)")


def load_fast(text: str, path: str) -> Any:
    """Plain data, quickly (libyaml when available); positions are looked up if needed."""
    from jobsub.compiler.frontends.yamlsource import load_plain

    return load_plain(text)  # None: reported, located, by the slow pass


def compile_manifest(text: str, path: str, *, env: Mapping[str, str], cwd: str,
                     cmdline: Mapping[str, Any] | None, sink: Sink,
                     name: str | None = None, _stack: tuple[str, ...] = ()) -> Workflow | None:
    """The IR of a manifest; problems go to `sink`, their spans pending until
    yamlsource.locate_pending looks them up (see pipeline.compile_path)."""
    from jobsub.compiler.frontends import yamlsource

    base_dir = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
    doc = load_fast(text, path)
    if doc is not None:
        return _Builder(doc, path, base_dir, cwd, env, dict(cmdline or {}), sink,
                        _Pending(path, text, doc), _stack,
                        "$" in text or "\\" in text).run(name)  # "\x24" is a $ too
    doc = yamlsource.load(text, path)  # raises a located JobsubError on bad YAML

    def locate(json_path, key: bool = False) -> Span:
        return yamlsource.position(doc, json_path, path, key=key)

    return _Builder(doc, path, base_dir, cwd, env, dict(cmdline or {}), sink, locate,
                    _stack).run(name)


def compact_body(executable: str | None, arguments: tuple, after: Any,
                 keys: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The manifest body of a job given compactly, as jobsub.Workflow keeps it: its
    executable (None: none), arguments, `after` (a tuple of names, or anything else as
    given) and other keys."""
    body: dict[str, Any] = {} if executable is None else {"executable": executable}
    if arguments:
        body["arguments"] = list(arguments)
    if after is not None:
        body["after"] = list(after) if type(after) is tuple else after
    if keys:
        body.update(keys)
    return body


def compile_data(doc: Mapping[str, Any], path: str, *, base_dir: str,
                 env: Mapping[str, str], cmdline: Mapping[str, Any] | None, sink: Sink,
                 locate: Locate, dollars: bool = True) -> Workflow | None:
    """The IR of manifest-shaped data made by a program (jobsub.Workflow): the same checks
    and options as a manifest file; `locate(json_path, key)` says where each part was
    written (the program's own lines); `dollars`: whether some text may hold a $VAR (the
    program knows; else every value is looked at). A job under `jobs:` may be given
    compactly, as the tuple (executable, arguments, after, keys, at) of compact_body (as
    jobsub.Workflow keeps it; `at`, optional, names the program's line that made it, as
    (file, line, column): consecutive jobs of the same `at` object share the span `locate`
    gives the first; more items are not read), and `serial:`
    or `parallel:` as the tuple (kind, items) whose items are job names or such tuples
    (an edge such a group makes is located where the group is): a million jobs are then
    not each a mapping for the schema to walk (see _Builder._compact)."""
    return _Builder(doc, path, base_dir, base_dir, env, dict(cmdline or {}), sink, locate,
                    (), dollars).run(None)


class _Pending:
    """The fast path's locator: spans remember their JSON path (looked up only if a message
    names them); a job's key gets its line at once, from a glance at the text (the runtime
    names the line that made a node)."""

    def __init__(self, path: str, text: str = "", doc: Any = None):
        self.path, self.text, self.doc = path, text, doc
        self._jobs: dict[str, Span] | None = None

    def __call__(self, json_path=(), key: bool = False) -> Span:
        if key and len(json_path) == 2 and json_path[0] == "jobs":
            if self._jobs is None:
                self._jobs = self._job_spans()
            span = self._jobs.get(json_path[1])
            if span is not None:
                return span  # one per job, shared: spans are values
        return Span(self.path, where=(json_path, key))

    def _job_spans(self) -> dict[str, Span]:
        from jobsub.compiler.frontends.yamlsource import block_key_lines

        jobs = self.doc.get("jobs") if isinstance(self.doc, Mapping) else None
        if not isinstance(jobs, Mapping):
            return {}
        path = self.path
        return {name: Span(path, line, column, where=(("jobs", name), True))
                for name, (line, column) in block_key_lines(self.text, "jobs", jobs).items()}


@dataclass(slots=True)
class _Job:
    name: str
    settings: dict[str, Any]  # merged non-option keys
    options: dict[str, Any]  # merged, normalised option values
    #: key -> JSON path of the mapping (layer) that set it, for the layers before the job's
    #: own body (shared by every job that extends no template)
    origin: dict[str, tuple]
    own: Mapping[str, Any]  # the job's own body: its keys were set at ("jobs", name)
    span: Span  # where it is written (its key)
    nodes: list[str] = field(default_factory=list)
    #: where a serial/parallel group names it (the first group that does): (the group's
    #: JSON path, the index in it)
    placed: tuple | None = None

    def where(self, key: str) -> tuple:
        """The JSON path of `key` where it was set; the job's own, if nowhere."""
        if key in self.own:
            return ("jobs", self.name, key)
        at = self.origin.get(key)
        return ("jobs", self.name) if at is None else (*at, key)


class _Builder:
    def __init__(self, doc: Any, path: str, base_dir: str, cwd: str, env: Mapping[str, str],
                 cmdline: dict[str, Any], sink: Sink, locate: Locate, stack: tuple[str, ...],
                 dollars: bool = True):
        self.doc, self.path, self.base_dir, self.cwd = doc, path, base_dir, cwd
        self.env, self.cmdline, self.sink, self.locate = env, cmdline, sink, locate
        self.stack = stack
        #: whether the document may hold a $VAR (its text has a `$`, or a backslash that a
        #: double-quoted escape makes one of): else there is nothing to expand
        self.dollars = dollars
        self.ctx = Context(env)
        self.specs = SpecTable()
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.jobs: dict[str, _Job] = {}
        self.subdags: list[Workflow] = []
        #: files DAGMan will write (path, JSON path, what, example), checked at the end
        self.dagman_paths: list[tuple[str, tuple, str, str]] = []
        self._templates: dict[str, Layer] = {}
        self._start: Layer | None = None
        #: executable as written -> its checked path (each file is looked at once)
        self._executables: dict[str, str] = {}
        self._used_templates: set[str] = set()
        #: serial/parallel given compactly (see compile_data), by key
        self._groups: dict[str, tuple] = {}

    # -- entry ------------------------------------------------------------------------------

    def run(self, name: str | None) -> Workflow | None:
        from jobsub.compiler.frontends import yamlsource
        from jobsub.schemas import load as load_schema

        if not isinstance(self.doc, Mapping):
            self.sink.error("a manifest is a mapping with at least a `jobs:` key",
                            Span(self.path, 1, 1), "start from examples/hello.yaml")
            return None
        doc, sure, self._groups = self._compact(self.doc)
        bad = yamlsource.validate(doc, load_schema("manifest.schema.json"), self.path,
                                  self.sink, self.locate)
        data = yamlsource.prune(doc, bad) if bad else doc
        if data is None or not isinstance(data.get("jobs"), Mapping):
            return None  # nothing sound left to read further
        if self.dollars:
            data = self._expand(data, ())
        base = merge(defaults(self.env), job_options(self.cmdline))
        defaults_layer = self._layer(data.get("defaults") or {}, ("defaults",))
        self._starting(base, defaults_layer)
        self._make_jobs(sure, data)
        self._check_templates(data)
        self._nodes()
        self._dependencies(data)
        self._final_rules()
        settings = self._settings(data)
        self._check_dagman_paths()
        stem = workflow_stem(self.path, (".yaml", ".yml"))
        wf = Workflow(name=name or data.get("name") or stem, source=self.path,
                      base_dir=self.base_dir, kind="dag", specs=self.specs.specs,
                      nodes=self.nodes, edges=self.edges, settings=settings,
                      subdags=self.subdags)
        return wf

    # -- compact jobs -----------------------------------------------------------------------

    def _compact(self, doc: Any) -> tuple[Any, list[tuple[str, dict[str, Any]]],
                                          dict[str, tuple]]:
        """(the document as the schema checks it, the (name, body) of the jobs it need not
        look into, the compact groups by key). A compact job (see compile_data) whose
        name is one the schema takes, whose executable and arguments are text and whose
        `after` is names (what the schema asks of them), with nothing to expand and no
        defaults but options to take, is not shown to the schema (but the first job, as an
        empty body); any other is shown its body, as a manifest's. A compact group of names
        the schema takes (and such groups) is shown as an empty list: its names are checked
        as they are read (_leaf: a name of no job is unknown); any other is shown spelled
        out."""
        if not isinstance(doc, Mapping):
            return doc, [], {}
        doc, sure = self._compact_jobs(doc)
        groups = {key: doc[key] for key in ("serial", "parallel") if type(doc.get(key)) is tuple}
        if groups:
            sound = {key: _sound(group) for key, group in groups.items()}
            doc = {**doc, **{key: [] if sound[key] else _spelled(group)[1]
                             for key, group in groups.items()}}
            groups = {key: group for key, group in groups.items() if sound[key]}
        return doc, sure, groups

    def _compact_jobs(self, doc: Mapping[str, Any]
                      ) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
        """_compact's jobs: (the document, the sure jobs' (name, body), in order: a list,
        not a second million-entry dict)."""
        jobs = doc.get("jobs")
        start = doc.get("defaults")
        plain_start = not start or (isinstance(start, Mapping) and OPTION_KEYS.issuperset(start))
        if not isinstance(jobs, Mapping) or not (plain_start or any(
                type(b) is tuple for b in jobs.values())):
            return doc, []
        sure: list[tuple[str, dict[str, Any]]] = []
        checked: dict[str, Any] = {}
        dollars = self.dollars
        for name, body in jobs.items():
            made = None
            if type(body) is tuple:
                made = _sure_compact(name, body, dollars) if plain_start else None
                if made is None:
                    body = compact_body(*body[:4])
            # (a manifest's job of these keys alone is as sure as a compact one)
            if made is None and plain_start and type(body) is dict and \
                    body.keys() <= _COMPACT_KEYS and _sure(body, dollars) and _good_name(name):
                made = body
            if made is not None:
                sure.append((name, made))
                if checked:
                    continue
                body = _NOTHING  # the first job is shown: jobs: is never empty for it
            checked[name] = body
        return {**doc, "jobs": checked}, sure

    def _make_jobs(self, sure: list[tuple[str, dict[str, Any]]],
                   data: Mapping[str, Any]) -> None:
        """The jobs, in the document's order: a sure one (_compact: the document's order
        too) from its body alone, any other the schema kept by _job. Consecutive compact
        jobs of one `at` (see compile_data: a program's loop) share the span `locate`
        gave the first: a million jobs, one question."""
        options, origin = self._start[1], self._start[2]
        shown = data["jobs"]
        pending = iter(sure)
        next_sure = next(pending, None)
        last: tuple = (None, None)  # (the last compact job's `at`, its span)
        jobs = self.jobs
        for name, given in self.doc["jobs"].items():
            if next_sure is None or next_sure[0] != name:
                if name in shown:  # (not pruned for the schema's errors)
                    jobs[name] = self._job(name, shown[name], data)
                continue
            own = next_sure[1]
            next_sure = next(pending, None)
            at = given[4] if type(given) is tuple and len(given) > 4 else None
            if at is None or at is not last[0]:
                last = (at, self.locate(("jobs", name), key=True))
            jobs[name] = _Job(name, own, options, origin, own, last[1])

    # -- ${VAR} -----------------------------------------------------------------------------

    def _expand(self, value: Any, where: tuple) -> Any:
        """`value` with $VARs from the environment; what changed is copied, nothing is
        changed in place. The JSON path of a value is made only for a message about it."""
        path = list(where)

        def walk(v: Any) -> Any:
            # Copy on write: a mapping or list comes back as itself when nothing in it
            # changed (most of a big document), else as a new one. Text leaves inline.
            t = type(v)  # a list first: the ABC check of Mapping is slow for one
            if t is list:
                items, copy = enumerate(v), list
            elif t is dict or isinstance(v, Mapping):
                items, copy = v.items(), dict
            elif isinstance(v, list):
                items, copy = enumerate(v), list
            elif isinstance(v, str):
                return v if "$" not in v else self._expand_text(v, tuple(path))
            else:
                return v
            out = None
            for k, x in items:
                if type(x) is str:
                    new = x if "$" not in x else self._expand_text(x, (*path, k))
                else:
                    path.append(k)
                    new = walk(x)
                    path.pop()
                if new is not x:
                    if out is None:
                        out = copy(v)
                    out[k] = new
            return v if out is None else out
        return walk(value)

    def _expand_text(self, value: str, where: tuple) -> str:
        def undefined(var: str, _offset: int, _length: int) -> None:
            self.sink.warning(f"${var} is not set in the environment; kept as written",
                              self.locate(where), f"export {var} before compiling, or "
                              f"write \\${var} to keep it literally")
        try:
            return expand_string(value, self.env, undefined)
        except JobsubError as err:
            self.sink.error(err.diagnostics[0].message, self.locate(where),
                            err.diagnostics[0].hint)
            return value

    # -- layers -----------------------------------------------------------------------------

    def _layer(self, body: Mapping[str, Any], where: tuple) -> Layer:
        """(settings, options, origins) of one mapping of job keys at JSON path `where`."""
        origin = dict.fromkeys(body, where)
        if OPTION_KEYS.isdisjoint(body):  # most jobs of a big manifest: no options of their own
            settings = dict(body)
            settings.pop("extends", None)
            return settings, {}, origin
        settings, options = {}, {}
        for key, value in body.items():
            if key in OPTION_KEYS:
                converted = self._option(key, value, (*where, key))
                if converted is not None:
                    options[key] = converted
            elif key != "extends":
                settings[key] = value
        return settings, options, origin

    def _option(self, key: str, value: Any, where: tuple) -> Any:
        opt = BY_DEST[key]
        if opt.kind is Kind.FLAG:
            return bool(value)
        if opt.kind is Kind.CHOICE:
            return value
        if opt.kind is Kind.PAIR:
            pairs = list(value.items()) if isinstance(value, Mapping) else value
            return [[str(a), str(b)] for a, b in pairs]
        raws: list[tuple[str, tuple]]
        if opt.kind is Kind.APPEND:
            if isinstance(value, Mapping):
                raws = [(str(k) if v is None else f"{k}={_text(v)}", (*where, k))
                        for k, v in value.items()]
            elif isinstance(value, list):
                raws = [(_text(v), (*where, i)) for i, v in enumerate(value)]
            else:
                raws = [(_text(value), where)]
        else:
            raws = [(",".join(map(_text, value)) if isinstance(value, list) else _text(value),
                     where)]
        out = []
        for raw, at in raws:
            try:
                out.append(opt.convert(raw, self.ctx) if opt.convert else raw)
            except UnitError as err:
                self.sink.error(f"{key}: {err}", self.locate(at))
                return None
            finally:
                for message in self.ctx.warnings:
                    self.sink.warning(f"{key}: {message}", self.locate(at))
                self.ctx.warnings.clear()
        return out if opt.kind is Kind.APPEND else out[0]

    def _template(self, name: str, data: Mapping[str, Any], chain: tuple[str, ...],
                  where: tuple) -> Layer | None:
        templates = data.get("templates") or {}
        if name not in templates:
            guess = difflib.get_close_matches(name, list(templates), n=1)
            self.sink.error(f"unknown template {name!r}", self.locate(where),
                            f"did you mean {guess[0]!r}?" if guess else
                            "define it under templates:")
            return None
        if name in chain:
            self.sink.error("templates extend each other in a cycle: "
                            + " -> ".join([*chain[chain.index(name):], name]),
                            self.locate(where))
            return None
        self._used_templates.add(name)
        cached = self._templates.get(name)
        if cached is not None:
            return cached
        body = templates[name]
        layers = [self._template(parent, data, (*chain, name), at)
                  for parent, at in _extends(body, ("templates", name))]
        own = self._layer(body, ("templates", name))
        result = _combine([layer for layer in layers if layer is not None] + [own])
        self._templates[name] = result
        return result

    def _job(self, name: str, body: Mapping[str, Any], data: Mapping[str, Any]) -> _Job:
        where = ("jobs", name)
        first = self._start
        if "extends" in body:
            layers = [self._start]
            for template, at in _extends(body, where):
                layer = self._template(template, data, (), at)
                if layer is not None:
                    layers.append(layer)
            first = _combine(layers)
        # The job's own body is the last layer, applied here without a layer of its own (no
        # origins: _Job.where looks in the body first; most jobs of a big manifest set only
        # their executable, arguments and after, and share the start's options).
        settings, options, origin = first
        if OPTION_KEYS.isdisjoint(body):
            own = body
        else:
            own, own_options, _ = self._layer(body, where)
            if own_options:
                options = merge(options, own_options)
        settings = _settle(dict(settings), own)
        settings.pop("extends", None)
        if options is not self._start[1]:  # a template or the job set options of its own
            options = {k: v for k, v in options.items() if v is not False}
        job = _Job(name, settings, options, origin, body, self.locate(where, key=True))
        job.options = self._memory_retry(job)
        return job

    def _starting(self, base: dict, defaults_layer) -> None:
        """What every job starts from, combined once (before any job is made)."""
        settings, options, origin = _combine([({}, base, {}), defaults_layer])
        self._start = (settings, {k: v for k, v in options.items() if v is not False},
                       origin)

    def _memory_retry(self, job: _Job) -> dict:
        """`retry: {count, memory: {factor, max}}` is `memory_retry: COUNT:FACTOR:MAX`; the
        job's options with it (a copy: they may be shared)."""
        options = job.options
        retry = job.settings.get("retry")
        if not isinstance(retry, Mapping) or not isinstance(retry.get("memory"), Mapping):
            return options
        memory = retry["memory"]
        where = (*job.where("retry"), "memory")
        if "memory_retry" in options:
            self.sink.error(f"job {job.name} sets memory_retry and retry: memory", self.locate(
                where, key=True), "keep one of them")
            return options
        text = f"{retry['count']}:{_text(memory.get('factor', 2))}:{_text(memory.get('max', ''))}"
        try:
            return {**options, "memory_retry": BY_DEST["memory_retry"].convert(text, self.ctx)}
        except UnitError as err:
            self.sink.error(f"retry: memory: {err}", self.locate(where))
            return options

    def _check_templates(self, data: Mapping[str, Any]) -> None:
        for name in data.get("templates") or {}:
            if name not in self._used_templates:
                self.sink.warning(f"template {name!r} is never used",
                                  self.locate(("templates", name), key=True),
                                  "remove it, or name it in a job's extends:")

    # -- nodes ------------------------------------------------------------------------------

    def _at(self, job: _Job, key: str, key_pos: bool = False) -> Span:
        return self.locate(job.where(key), key=key_pos)

    def _executable(self, job: _Job, exe: str) -> str | None:
        """The checked path of a job's executable (each file is looked at once)."""
        exe_path = self._executables.get(exe)
        if exe_path is None:
            url = exe if exe.startswith("file://") else f"file://{exe}"
            said = len(self.sink.diagnostics)
            exe_path = local_path(url, self._at(job, "executable"), self.sink,
                                  self.base_dir, "executable", self.cwd)
            if exe_path is not None and len(self.sink.diagnostics) == said:
                self._executables[exe] = exe_path  # found as written: no warning to repeat
        return exe_path

    def _nodes(self) -> None:
        nodes = self.nodes
        for job in self.jobs.values():
            s = job.settings
            span = job.span
            if s is job.own:  # a job _compact made sure of: executable, text arguments, after
                exe_path = self._executable(job, s["executable"])
                if exe_path is not None:
                    spec = self.specs.intern(exe_path, job.options, job.name, span)
                    nodes.append(Node(job.name, spec, s.get("arguments") or [], span=span,
                                      section=len(nodes) + 1))
                    job.nodes.append(job.name)
                continue
            if "subdag" in s:
                self._subdag(job, span)
                continue
            if "executable" not in s:
                self.sink.error(f"job {job.name} has no executable", span,
                                "add executable: PATH (or subdag: FILE)")
                continue
            exe_path = self._executable(job, str(s["executable"]))
            arguments = [_text(a) for a in s["arguments"]] if "arguments" in s else []
            base_vars = {str(k): _text(v) for k, v in s["vars"].items()} \
                if s.get("vars") else NO_VARS
            items = self._sweep(job) if not _SWEEP_KEYS.isdisjoint(s) else None
            for key in ("vars", "matrix", "foreach") if base_vars or items else ():
                names = list(base_vars) if key == "vars" else \
                    list(items[0]) if key in s and items else []
                for var in names:
                    if var.lower() in RESERVED_VARS:  # macro names ignore case
                        self.sink.error(f"VARS name {var} is set by jobsub", self._at(job, key),
                                        "choose another name")
            queue = None
            if items is not None and s.get("expand", "nodes") == "queue":
                queue = self._queue(job, items)
                items = None
            if exe_path is None:
                continue
            spec = self.specs.intern(exe_path, job.options, job.name, span,
                                     queue=queue)
            # What every node of the job shares is made once and shared (a sweep of a
            # million nodes): its arguments, scripts, retry and the rest of its features.
            features = self._node_features(job) if not _FEATURE_KEYS.isdisjoint(s) else {}
            if items is None:
                self.nodes.append(Node(job.name, spec, arguments, base_vars, span=span,
                                       section=len(self.nodes) + 1, **features))
                job.nodes.append(job.name)
                continue
            # (comprehensions, not appends: a sweep may be a million nodes)
            names = [f"{job.name}_{i}" for i in range(len(items))]
            if base_vars:
                items = [{**base_vars, **item} for item in items]
            first = len(self.nodes) + 1
            self.nodes += [Node(name, spec, arguments, item, span=span, section=section,
                                **features)
                           for section, name, item in zip(range(first, first + len(items)),
                                                          names, items, strict=True)]
            job.nodes += names

    def _sweep(self, job: _Job) -> list[dict[str, str]] | None:
        s = job.settings
        if "matrix" in s and "foreach" in s:
            self.sink.error(f"job {job.name} has both matrix and foreach",
                            self._at(job, "foreach", True), "keep one of them")
            return None
        if "matrix" in s:
            keys = list(s["matrix"])
            axes = [[_text(v) for v in s["matrix"][k]] for k in keys]  # each value read once
            return _combinations(keys, axes)
        if "foreach" in s:
            items = [{str(k): _text(v) for k, v in item.items()} for item in s["foreach"]]
            names = set(items[0])
            for i, item in enumerate(items):
                if set(item) != names:
                    self.sink.error("every foreach item needs the same parameters "
                                    f"({', '.join(sorted(names))})",
                                    self.locate((*job.where("foreach"), i)))
                    return None
            return items
        if "expand" in s:
            self.sink.warning(f"job {job.name}: expand has no effect without matrix or foreach",
                              self._at(job, "expand", True))
        return None

    def _queue(self, job: _Job, items: list[dict[str, str]]) -> QueueFrom | None:
        names = list(items[0])
        for item in items:
            for k, v in item.items():
                if not _QUEUE_ITEM.fullmatch(v):
                    self.sink.error(f"{k}={v!r} cannot be listed after `queue ... from` (no "
                                    "blanks, commas, quotes or parentheses)",
                                    self._at(job, "expand"), "use expand: nodes")
                    return None
        return QueueFrom(names, [[item[k] for k in names] for item in items])

    def _node_features(self, job: _Job) -> dict[str, Any]:
        """The Node fields a job's settings give each of its nodes."""
        s = job.settings
        scripts = tuple(script for kind in ("pre", "post", "hold") if kind in s
                        for script in [self._script(job, kind, s[kind])] if script is not None)
        retry = s.get("retry")
        if retry is not None:
            retry = Retry(retry, None) if isinstance(retry, int) else \
                Retry(retry["count"], retry.get("unless_exit"))
        abort = s.get("abort_dag_on")
        if abort is not None:
            abort = AbortOn(abort, None) if isinstance(abort, int) else \
                AbortOn(abort["status"], abort.get("return"))
        return {"scripts": scripts, "retry": retry, "abort_on": abort,
                "pre_skip": s.get("pre_skip"), "priority": s.get("priority"),
                "category": s.get("category"), "final": bool(s.get("final")),
                "noop": bool(s.get("noop")), "done": bool(s.get("done"))}

    def _script(self, job: _Job, kind: str, value: Any) -> Script | None:
        spec = {"script": value} if isinstance(value, str) else value
        if not isinstance(spec, Mapping) or not isinstance(spec.get("script"), str):
            return None  # the schema has reported it
        where = job.where(kind)
        at = self.locate(where if isinstance(value, str) else (*where, "script"))
        path = local_path(f"file://{spec['script']}" if not str(spec["script"]).startswith(
            "file://") else spec["script"], at, self.sink, self.base_dir, f"{kind} script",
            self.cwd)
        if path is None:
            return None
        defer = spec.get("defer")
        debug = spec.get("debug")
        if debug:
            self._dagman_path(debug["file"], (*where, "debug", "file"), f"{kind} debug file",
                              f"{job.name}.{kind}.debug")
        return Script(kind.upper(), path, [_text(a) for a in spec.get("arguments", [])], at,
                      Defer(defer["status"], defer["time"]) if defer else None,
                      ScriptDebug(debug["file"], debug.get("stream", "ALL")) if debug else None)

    def _subdag(self, job: _Job, span: Span) -> None:
        s = job.settings
        clash = [k for k in ("executable", "arguments", "matrix", "foreach") if k in s]
        if clash:
            self.sink.error(f"job {job.name} runs a subdag and cannot also have {clash[0]}",
                            self._at(job, clash[0], True))
            return
        target = str(s["subdag"])
        full = os.path.normpath(os.path.join(self.base_dir, target))
        at = self._at(job, "subdag")
        if not os.path.isfile(full):
            self.sink.error(f"subdag {target} does not exist", at,
                            f"paths start from the manifest's folder, {self.base_dir}")
            return
        if full.endswith((".yaml", ".yml")):
            if full in self.stack or full == os.path.abspath(os.path.join(self.cwd,
                                                                          self.path)):
                self.sink.error(f"subdag {target} includes itself", at)
                return

            inner = compile_manifest(read_source(full), full, env=self.env, cwd=self.cwd,
                                     cmdline=self.cmdline, sink=self.sink, name=job.name,
                                     _stack=(*self.stack, os.path.abspath(
                                         os.path.join(self.cwd, self.path))))
            if inner is None:
                return
            self.subdags.append(inner)
            dag_file = f"{inner.name}.dag"  # where plan() writes it
        else:
            dag_file = full
        self.nodes.append(Node(job.name, None, [], span=span, subdag=dag_file,
                               section=len(self.nodes) + 1, **self._node_features(job)))
        job.nodes.append(job.name)

    # -- dependencies -----------------------------------------------------------------------

    def _resolve(self, name: str, where: tuple) -> list[str] | None:
        job = self.jobs.get(name)
        if job is None:
            guess = difflib.get_close_matches(name, list(self.jobs), n=1)
            self.sink.error(f"unknown job {name!r}", self.locate(where),
                            f"did you mean {guess[0]!r}?" if guess else
                            "jobs are named under jobs:")
            return None
        return job.nodes

    def _dependencies(self, data: Mapping[str, Any]) -> None:
        jobs = self.jobs
        for job in jobs.values():
            if not job.nodes or ("after" not in job.settings and
                                 "after_weak" not in job.settings):
                continue
            for key, weak in (("after", False), ("after_weak", True)):
                value = job.settings.get(key)
                if value is None:
                    continue
                parents: list[str] = []
                for i, name in enumerate([value] if isinstance(value, str) else value):
                    parent = jobs.get(name)
                    if parent is None:  # reported, at the name's own path
                        self._resolve(name, job.where(key) if isinstance(value, str)
                                      else (*job.where(key), i))
                    else:
                        parents += parent.nodes
                if parents:
                    self.edges.append(Edge(parents, list(job.nodes),
                                           self.locate(job.where(key)), weak))
        seen: dict[str, tuple] = {}
        for key in ("serial", "parallel"):
            if key in self._groups:
                self._structure(key, self._groups[key][1], (key,), seen, compact=True)
            elif key in data:
                self._structure(key, data[key], (key,), seen)

    def _structure(self, kind: str, items: list, where: tuple,
                   seen: dict[str, tuple], depth: int = 1,
                   compact: bool = False) -> tuple[list[str], list[str]]:
        """(entry nodes, exit nodes) of a group, adding its edges in the order the dagnabbit
        front end would (so converted files compile to the same DAG file). In a `compact`
        group (see compile_data) an edge is located where the group is, found once."""
        if depth > MAX_NESTING:
            self.sink.error(f"serial/parallel groups nest more than {MAX_NESTING} levels "
                            "deep", self.locate(where, key=True),
                            "flatten the structure, or use after: between jobs")
            return [], []
        located: list[Span] = []

        def the_group() -> Span:
            if not located:
                located.append(self.locate(where))
            return located[0]

        def parts():
            # (an item's path is made only where it is needed: not for a million names)
            for i, item in enumerate(items):
                if isinstance(item, str):
                    first = last = self._leaf(item, where, i, seen)
                elif compact and type(item) is tuple:
                    sub_kind, sub_items = item
                    first, last = self._structure(sub_kind, sub_items, (*where, i, sub_kind),
                                                  seen, depth + 1, True)
                elif not compact and isinstance(item, Mapping) and len(item) == 1 and \
                        isinstance(next(iter(item.values())), list):
                    (sub_kind, sub_items), = item.items()
                    first, last = self._structure(sub_kind, sub_items, (*where, i, sub_kind),
                                                  seen, depth + 1)
                else:  # the schema has reported it; build what is well formed
                    continue
                yield first, last, the_group if compact else \
                    lambda i=i: self.locate((*where, i))
        return group(kind, parts(), self.edges)

    def _leaf(self, item: str, where: tuple, i: int, seen: dict[str, tuple]) -> list[str]:
        """The nodes of a job named in a group (both its entries and its exits), the `i`th
        item of the group at `where`. Where a job was placed is kept on it, as (where, i)
        (`seen` holds the names of no job): a million-job structure made a million-entry
        dict for the rare name given twice."""
        job = self.jobs.get(item)
        first = seen.get(item) if job is None else job.placed
        if first is not None:
            self.sink.error(f"job {item!r} appears twice in serial/parallel groups",
                            self.locate((*where, i)),
                            notes=[(self.locate((*first[0], first[1])), "first here")])
            return []
        if job is None:
            seen[item] = (where, i)
            self._resolve(item, (*where, i))
            return []
        job.placed = (where, i)
        if job.nodes and job.settings.get("final"):
            self.sink.error(f"the final job {item!r} cannot be in a group",
                            self.locate((*where, i)), "a FINAL node runs after everything")
            return []
        return job.nodes

    def _final_rules(self) -> None:
        finals = [j for j in self.jobs.values() if j.settings.get("final")]
        for extra in finals[1:]:
            self.sink.error(f"only one job may be final; {finals[0].name!r} already is",
                            self._at(extra, "final", True))
        for job in finals:
            for key in ("retry", "priority", "category", "abort_dag_on", "after",
                        "after_weak"):
                if key in job.settings:
                    self.sink.error(f"the final job {job.name!r} cannot have {key}",
                                    self._at(job, key, True),
                                    "DAGMan runs the FINAL node last, exactly once")
            if len(job.nodes) > 1:
                self.sink.error(f"the final job {job.name!r} cannot be a sweep of nodes",
                                self.locate(("jobs", job.name), key=True),
                                "use expand: queue to run the items in one node")
        final_nodes = {n for j in finals for n in j.nodes}
        for edge in self.edges if final_nodes else ():
            if not final_nodes.isdisjoint(edge.parents):
                self.sink.error("a job cannot run after the final job", edge.span,
                                "the FINAL node always runs last")

    # -- DAG settings -----------------------------------------------------------------------

    def _dagman_path(self, path: str, where: tuple, what: str, example: str) -> None:
        problem = dagman_path_problem(str(path))
        if problem:
            self.sink.error(f"{what} {path!r} {problem}", self.locate(where),
                            f"name a file inside the output folder, such as {example}")
        else:
            self.dagman_paths.append((str(path), where, what, example))

    def _check_dagman_paths(self) -> None:
        """A file DAGMan writes must not be one its jobs write (a job's log, output, error,
        outputs tar): both would write into it. Checked once every node is known."""
        if not self.dagman_paths:
            return
        logs = {f"{spec.name}.log" for spec in self.specs.specs}
        stems = {spec.name for spec in self.specs.specs} | {node.name for node in self.nodes}
        for path, where, what, example in self.dagman_paths:
            m = _JOB_WRITES.fullmatch(path)
            if path in logs or path == ".empty_file" or (m and m.group(1) in stems):
                self.sink.error(f"{what} {path!r} is a file the jobs write themselves",
                                self.locate(where),
                                f"name a file of DAGMan's own, such as {example}")

    def _config(self, given: Mapping[str, Any]) -> dict[str, str]:
        """`dag: config:` knobs; one a configuration file cannot hold is an error at it."""
        out = {}
        for key, value in given.items():
            out[str(key)] = text = _text(value)
            try:
                config_line(str(key), text)
            except Unrepresentable as err:
                self.sink.error(str(err), self.locate(("dag", "config", key)),
                                "a configuration value is one line, without a trailing "
                                "backslash")
        return out

    def _job_attributes(self, given: Mapping[str, Any]) -> dict[str, str]:
        """`dag: set_job_attr:` values as ClassAd literals; one HTCondor cannot hold is an
        error at its value."""
        out = {}
        for key, value in given.items():
            try:
                out[str(key)] = _classad(value)
            except JobsubError as err:
                self.sink.error(err.diagnostics[0].message,
                                self.locate(("dag", "set_job_attr", key)),
                                "DAGMan sets it on one line of its own job's ad")
        return out

    def _settings(self, data: Mapping[str, Any]) -> DagSettings:
        dag = data.get("dag") or {}
        settings = DagSettings(
            max_jobs_submitted=(dag.get("maxjobs") if "max_concurrent" not in self.cmdline
                                else self.cmdline["max_concurrent"] or None),  # 0: no limit
            max_idle=dag.get("maxidle"), max_pre=dag.get("maxpre"),
            max_post=dag.get("maxpost"),
            jobstate_log=dag.get("jobstate_log"),
            config=self._config(dag.get("config") or {}),
            set_job_attr=self._job_attributes(dag.get("set_job_attr") or {}),
            categories={k: v["maxjobs"] for k, v in (data.get("categories") or {}).items()})
        for key in ("jobstate_log", "dot", "node_status_file"):
            value = dag.get(key)
            if value is not None:
                inner = isinstance(value, Mapping)
                self._dagman_path(value["file"] if inner else value,
                                  ("dag", key, "file") if inner else ("dag", key), key,
                                  {"dot": "dag.dot", "node_status_file": "status.txt"}.get(
                                      key, "jobstate.log"))
        dot = dag.get("dot")
        if dot is not None:
            settings.dot = Dot(dot) if isinstance(dot, str) else Dot(
                dot["file"], dot.get("update", True), dot.get("overwrite", True))
        status = dag.get("node_status_file")
        if status is not None:
            settings.node_status_file = NodeStatusFile(status) if isinstance(status, str) \
                else NodeStatusFile(status["file"], status.get("interval"),
                                    status.get("always_update", False))
        used = {n.category for n in self.nodes if n.category}
        for job in self.jobs.values():
            category = job.settings.get("category")
            if category and category not in settings.categories:
                guess = difflib.get_close_matches(category, list(settings.categories), n=1)
                self.sink.warning(f"category {category!r} is not declared under categories:, "
                                  "so nothing throttles it", self._at(job, "category"),
                                  f"did you mean {guess[0]!r}?" if guess else
                                  "add it under categories: with a maxjobs")
        for category in settings.categories:
            if category not in used:
                self.sink.warning(f"category {category!r} has no jobs",
                                  self.locate(("categories", category), key=True),
                                  "set category: on the jobs it should throttle")
        return settings


#: The keys that make a job a sweep of nodes (or are warned about without one).
_SWEEP_KEYS = frozenset({"matrix", "foreach", "expand"})
#: The keys _node_features reads; a job with none of them has Node's defaults.
_FEATURE_KEYS = frozenset({"pre", "post", "hold", "retry", "abort_dag_on", "pre_skip",
                           "priority", "category", "final", "noop", "done"})


def _combinations(keys: list[str], axes: list[list[str]]) -> list[dict[str, str]]:
    """A matrix's items, `keys` to each combination of their axes' values, the last key's
    varying fastest. (A sweep of one or two keys, the usual ones, by dict displays: a
    million items in a quarter of the time dict(zip()) takes.)"""
    if len(keys) == 1:
        (k,) = keys
        return [{k: a} for a in axes[0]]
    if len(keys) == 2:
        k, m = keys
        return [{k: a, m: b} for a, b in itertools.product(*axes)]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*axes)]


def _extends(body: Mapping[str, Any], where: tuple) -> list[tuple[str, tuple]]:
    value = body.get("extends")
    if value is None:
        return []
    if isinstance(value, str):
        return [(value, (*where, "extends"))]
    return [(v, (*where, "extends", i)) for i, v in enumerate(value)]


def _combine(layers) -> Layer:
    """One layer of job keys from several. The options are the first layer's own mapping
    while no later layer sets any, so that jobs setting none share one (its spec key is
    frozen once, see SpecTable.intern); nothing here changes a layer."""
    settings: dict[str, Any] = {}
    options: dict[str, Any] | None = None
    origin: dict[str, tuple] = {}
    for s, o, orig in layers:
        if s:
            _settle(settings, s)
        if options is None:
            options = o
        elif o:
            options = merge(options, o)
        origin.update(orig)
    return settings, options if options is not None else {}, origin


#: what the schema is shown of a compact job it need not look into
_NOTHING: dict[str, Any] = {}
_TEXT_ONLY = frozenset({str})
_COMPACT_KEYS = frozenset({"executable", "arguments", "after"})
_NO_WORDS: list[str] = []  # (never changed)


#: the schema's rule for a job's name (manifestschema.NAME), compiled as the schema's are
_NAME_RULE = compile_schema(NAME)


def _sound(group: Any) -> bool:
    """Whether a compact group holds only names the schema takes and such groups."""
    kind, items = group if type(group) is tuple and len(group) == 2 else (None, None)
    return kind in ("serial", "parallel") and type(items) in (list, tuple) and all(
        _good_name(item) if type(item) is str else _sound(item) for item in items)


def _spelled(group: tuple) -> tuple[str, list]:
    """A compact group as a manifest writes it: (kind, its list), nested groups as
    {kind: list}; what is neither name nor group stays, for the schema to report."""
    kind, items = group
    return kind, [dict([_spelled(i)]) if type(i) is tuple and len(i) == 2 else i
                  for i in items]


def _good_name(name: Any) -> bool:
    """Whether the schema takes `name` for a job: text, by its rule for names. A short
    ASCII identifier is one (a sixth of the time of the rule's pattern, asked of a million
    names; a test holds it to the rule)."""
    return type(name) is str and (
        (name.isidentifier() and name.isascii() and len(name) <= MAX_NAME) or
        _NAME_RULE(name))


def _sure_compact(name: Any, job: tuple, dollars: bool) -> dict[str, Any] | None:
    """The body of a compact job (see compile_data) if _compact_jobs finds it sure, told
    from the tuple (a million jobs: a third of the time of making each body to look at):
    a good name, text executable, a tuple of text arguments, no `after` or a tuple of
    names, no other keys, and no `$` if expanding is on. None for any other, which is then
    looked at as its body (a test holds this to _sure)."""
    executable, arguments, after = job[:3]
    if (len(job) > 3 and job[3] is not None) or type(executable) is not str or \
            type(arguments) is not tuple:
        return None
    words = arguments if after is None else arguments + after if type(after) is tuple else None
    if words is None or not _TEXT_ONLY.issuperset(map(type, words)) or \
            (dollars and ("$" in executable or "$" in "".join(words))) or not _good_name(name):
        return None
    return compact_body(executable, arguments, after)


def _sure(body: dict[str, Any], dollars: bool) -> bool:
    """Whether a job's body of an executable, arguments and `after` alone is one the schema
    takes whatever its job's name: text executable and arguments, `after` a name or a list
    of names (the schema's types for them; test_manifest holds this to the schema), and
    no `$` to expand if expanding is on."""
    executable = body.get("executable")
    arguments = body.get("arguments", _NO_WORDS)
    after = body.get("after", _NO_WORDS)
    if type(after) is str:
        after = [after]
    if type(executable) is not str or type(arguments) is not list or \
            type(after) is not list or not _TEXT_ONLY.issuperset(map(type, arguments)) or \
            not _TEXT_ONLY.issuperset(map(type, after)):
        return False
    return not dollars or "$" not in "".join((executable, *arguments, *after))


def _settle(settings: dict[str, Any], later: Mapping[str, Any]) -> dict[str, Any]:
    """`settings` with a later layer's keys over them (vars merged key by key)."""
    earlier = settings.get("vars")
    settings.update(later)
    if "vars" in later and isinstance(earlier, Mapping):
        settings["vars"] = {**earlier, **later["vars"]}
    return settings


def _classad(value: Any) -> str:
    """A YAML scalar as a ClassAd literal: strings become string literals."""
    if isinstance(value, bool | int | float):
        return _text(value)
    try:
        return classad_string(str(value))
    except Unrepresentable as err:
        raise JobsubError(str(err)) from None


def _text(value: Any) -> str:
    if type(value) is str:  # most values; the rest as YAML wrote them
        return value
    from jobsub.compiler.frontends.yamlsource import written

    return written(value)

