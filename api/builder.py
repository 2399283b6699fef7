"""`jobsub.Workflow`: a workflow built in Python. It is a manifest made by a program: the
same keys, checked by the same schema and option table, compiled by the same front end,
so it makes the same IR and files as the YAML it stands for (`to_manifest()` gives it).
Every diagnostic points at the line of the program that made the part it is about."""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.base.diagnostics import Span

from .results import Compiled

_HERE = os.path.dirname(os.path.abspath(__file__))


def _caller(depth: int = 2) -> Span:
    """Where the user's code called into this package, as a Span."""
    return Span(*_calling_line(depth + 1))


def _calling_line(depth: int = 2) -> tuple[str, int, int]:
    """Where the user's code called into this package (file, line, column). `depth`: where
    it usually is (2: the caller of the method calling this), so that no frame between is
    materialised (f_back makes a frame object each time); the frames of this package are
    skipped in any case. A tuple, not a Span, for what is kept per job: a tuple of text and
    numbers is one the cyclic collector stops scanning, and a program adding a million jobs
    runs with the collector on."""
    frame = sys._getframe(depth)
    # (the usual call is from a line seen before, at the depth expected: only user code's
    # lines are kept in _AT, so a hit there is the answer)
    at = _AT.get((frame.f_code, frame.f_lasti))
    if at is not None:
        return at
    while frame is not None:
        code = frame.f_code
        ours = _OURS.get(code.co_filename)
        if ours is None:
            ours = _OURS[code.co_filename] = \
                os.path.dirname(os.path.abspath(code.co_filename)) == _HERE
        if not ours:
            break
        frame = frame.f_back
    if frame is None:
        return ("<python>", 0, 0)
    key = (code, frame.f_lasti)
    at = _AT.get(key)
    if at is None:
        if len(_AT) >= _AT_MOST:  # code made at run time (exec in a loop) is new each time
            _AT.clear()
        at = _AT[key] = (code.co_filename, frame.f_lineno, _column(code, frame.f_lasti))
    return at


def _may_expand(value: Any) -> bool:
    """Whether `value` (data of the workflow) has a `$` in some text: only then can a
    ${VAR} need expanding. Its repr shows every `$` of its text."""
    return "$" in repr(value)


def _job_may_expand(executable: str | None, arguments: tuple, after: Any, keys: Any,
                    words: str | None = None) -> bool:
    """_may_expand of a job's parts, its text joined and searched (a million jobs: 0.4 us
    each, where a repr takes three times that); `words`: the arguments joined, if known."""
    if words is None:
        try:
            words = "".join(arguments)
        except TypeError:  # an argument not text
            words = repr(arguments)
    return "$" in words or (executable is not None and "$" in executable) or \
        (after is not None and _may_expand(after)) or (keys is not None and _may_expand(keys))


#: file name -> whether it is a module of this package (the caller is the first that is not)
_OURS: dict[str, bool] = {}
#: (code, instruction) of a call -> its (file, line, column): a million jobs added from one
#: loop share one tuple, found by one lookup
_AT: dict[tuple, tuple[str, int, int]] = {}
_AT_MOST = 100_000
#: code object -> its instructions' source positions (Python 3.11+), read once per code
#: object: a program adding a million jobs from one loop asks for the same table each time.
_POSITIONS: dict[Any, list] = {}


def _column(code: Any, lasti: int) -> int:
    table = _POSITIONS.get(code)
    if table is None:
        positions = getattr(code, "co_positions", None)
        table = _POSITIONS[code] = list(positions()) if positions else []
    index = lasti // 2
    if 0 <= index < len(table) and table[index][2] is not None:
        return table[index][2] + 1
    return 1


def _plain(value: Any) -> Any:
    """A Python value as the manifest's data: mappings, lists (from any iterable but text),
    paths as text; scalars as they are (the schema says what fits where)."""
    if type(value) in _SCALARS:
        return value
    if isinstance(value, _SCALAR_BASES):  # a subclass (None is in _SCALARS)
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value
    if isinstance(value, Iterable):
        return [_plain(v) for v in value]
    return value


#: the types _plain keeps as they are, told apart at the cost of one set lookup
_SCALARS = frozenset({str, int, float, bool, type(None)})
_SCALAR_BASES = (str, int, float, bool)


#: What Workflow.job returns: the job's name, which `after=`, `serial()` and `parallel()`
#: take (a sweep's nodes count as one job). Plain text, not an object of ours: a program
#: holding a million of them gives the cyclic collector nothing to scan (an instance of
#: any class defined in Python is scanned).
Job = str


@dataclass(slots=True)
class Group:
    """Jobs (or groups) one after another (`serial`) or side by side (`parallel`). What
    it holds is plain (a tuple of names and groups, the calling line as a tuple): a
    program making 200,000 groups with the collector on has one object each scanned."""

    kind: str
    items: tuple[Job | Group, ...]
    at: tuple[str, int, int]  # the calling line
    nested: bool = False

    @property
    def span(self) -> Span:
        return Span(*self.at)

    def data(self) -> dict:
        return {self.kind: [i.data() if isinstance(i, Group) else i for i in self.items]}

    def compact(self) -> tuple:
        """The group as compile_data takes it compactly: (kind, items)."""
        return (self.kind, [i.compact() if isinstance(i, Group) else i for i in self.items])


class Workflow:
    """A workflow built in Python:

        wf = Workflow("sweep")
        setup = wf.job("bin/setup.sh")
        sims = wf.job("bin/sim.sh", "--seed", "$(seed)", matrix={"seed": range(100)},
                      after=setup, memory="2GB", retry=3)
        wf.job("bin/merge.sh", after=sims)
        done = wf.compile()         # done.errors, done.files; done.write("sweep.jobsub")

    Job keys are a manifest's (memory, group, environment, retry, pre, post, vars,
    category, priority, final, noop, subdag, ...). Relative paths start from the folder of
    the program that made the workflow (`base_dir` to say otherwise)."""

    def __init__(self, name: str, *, base_dir: str | os.PathLike | None = None):
        at = _caller()
        self.name = name
        self._file = at.file or "<python>"
        if base_dir is None:
            base_dir = os.path.dirname(os.path.abspath(self._file)) \
                if os.path.isfile(self._file) else os.getcwd()
        self.base_dir = os.fspath(base_dir)
        self._spans: dict[tuple, Span] = {(): at}
        #: spans _locate made: by calling line (a value), and by group path (made again for
        #: each compile: groups may change)
        self._spans_at: dict[tuple, Span] = {}
        self._group_spans: dict[tuple, Span] = {}
        #: name -> (executable, arguments, after, other keys, (file, line, column) of the
        #: call): tuples, of text for the usual job, which the cyclic collector stops
        #: scanning, where a body dict and its lists would be scanned again at each full
        #: collection (half the time of a program adding a million jobs); other keys stay
        #: as given (a dict). to_manifest() makes the bodies.
        self._jobs: dict[str, tuple] = {}
        self._doc: dict[str, Any] = {"name": name}
        self._groups: list[Group] = []
        self._top: tuple[int, list[Group]] | None = None
        self._count = itertools.count()
        #: whether some text may hold a $VAR: compile() skips the expansion pass if not
        self._dollars = _may_expand(name)  # (a name not text is refused when compiled)
        #: whether every group holds only job names and groups (compile_data then takes
        #: them as they are, see Group.compact)
        self._plain_groups = True

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, {len(self._jobs)} jobs)"

    # -- building -----------------------------------------------------------------------

    def job(self, executable: str | os.PathLike | None, *arguments: Any,
            name: str | None = None, after: Any = None, **keys: Any) -> Job:
        """Add a job: its executable, its arguments (each reaches the job as written), and
        any manifest job key (`matrix=` makes a sweep). Returns its name (see Job)."""
        at = _calling_line()
        if executable is not None:
            executable = os.fspath(executable)
        name = name or self._name_for(executable or str(keys.get("subdag") or "job"))
        if name in self._jobs:  # the first one stays (its iterators untouched); compile() says so
            self._doc.setdefault("\0duplicates", []).append((name, Span(*at)))
            return name
        if after is not None:
            after = _plain([after] if isinstance(after, str) else after)
            if type(after) is list:  # else as given: the schema says what is wrong with it
                after = tuple(after)
        try:  # text (or text of a subclass, which _plain keeps) is kept as it is
            words = "".join(arguments)
        except TypeError:
            arguments = tuple(map(_plain, arguments))
            words = None
        job = (executable, arguments, after,
               {k: _plain(v) for k, v in keys.items()} if keys else None, at)
        self._jobs[name] = job
        if not self._dollars:
            self._dollars = _job_may_expand(*job[:4], words)
        return name

    def subdag(self, workflow: str | os.PathLike, *, name: str | None = None,
               after: Any = None, **keys: Any) -> Job:
        """Add a node that runs another workflow: a manifest (compiled beside this one as
        NAME.dag) or a .dag file of your own; node keys (retry=, pre=, ...) as for job()."""
        return self.job(None, name=name, after=after, subdag=_plain(workflow), **keys)

    def serial(self, *items: Job | Group) -> Group:
        """These run one after another (groups nest)."""
        return self._group("serial", items)

    def parallel(self, *items: Job | Group) -> Group:
        """These run side by side (groups nest)."""
        return self._group("parallel", items)

    def defaults(self, **keys: Any) -> None:
        """Job keys every job starts from."""
        self._doc.setdefault("defaults", {}).update({k: _plain(v) for k, v in keys.items()})
        self._dollars = self._dollars or _may_expand(self._doc["defaults"])
        self._spans[("defaults",)] = _caller()

    def dag(self, **settings: Any) -> None:
        """DAG-wide settings (maxjobs, maxidle, config, set_job_attr, dot, ...)."""
        self._doc.setdefault("dag", {}).update({k: _plain(v) for k, v in settings.items()})
        self._dollars = self._dollars or _may_expand(self._doc["dag"])
        self._spans[("dag",)] = _caller()

    def category(self, name: str, maxjobs: int) -> str:
        """A throttle: at most `maxjobs` node jobs of jobs with `category=name` at once."""
        self._doc.setdefault("categories", {})[name] = {"maxjobs": maxjobs}
        self._dollars = self._dollars or _may_expand(name)
        self._spans[("categories", name)] = _caller()
        return name

    # -- results ------------------------------------------------------------------------

    def to_manifest(self) -> dict:
        """The manifest this workflow stands for (write it with any YAML or JSON writer)."""
        return self._data(compact=False)

    def _data(self, compact: bool) -> dict:
        """The manifest; `compact`: the jobs as they are kept, the tuples compile_data
        takes (not a mapping each), and groups as compile_data takes them."""
        from jobsub.compiler.frontends.manifest import compact_body

        doc = {"name": self._doc["name"], "jobs": self._jobs if compact else
               {name: compact_body(*job[:4]) for name, job in self._jobs.items()}}
        doc.update((k, v) for k, v in self._doc.items() if not k.startswith("\0"))
        top = self._top_groups()
        compact_groups = compact and self._plain_groups
        if len(top) == 1:
            doc[top[0].kind] = top[0].compact() if compact_groups else \
                top[0].data()[top[0].kind]
        elif top:  # side by side
            doc["parallel"] = ("parallel", [g.compact() for g in top]) if compact_groups \
                else [g.data() for g in top]
        return doc

    def compile(self, *, site: str | None = None, condor_version: str | None = None,
                env: Mapping[str, str] | None = None, obtain_tokens: bool = False,
                **options: Any) -> Compiled:
        """Compile as `jobsub compile` would compile `to_manifest()`; `options` apply to
        every job, as on the command line; tokens as jobsub.compile finds them."""
        from jobsub.compiler.base.diagnostics import Sink
        from jobsub.compiler.pipeline import build, from_data

        from .results import _lines, command_line_options, compiling, token_files

        env = dict(os.environ if env is None else env)
        sink = Sink()
        self._group_spans = {}  # what _locate found, for this compile (groups may change)
        for name, at in self._doc.get("\0duplicates", []):
            sink.error(f"job {name!r} is added twice", at,
                       "give one of them another name= (a sweep is one job: matrix=)")

        def front(policy, tokens):
            read = Sink()  # the options' own errors stop compiling; duplicates do not
            cmdline = command_line_options(options, env, read)
            for d in read.diagnostics:
                sink.add(d)
            if read.errors:
                return None, []
            wf = from_data(self._data(compact=True), self._file, base_dir=str(self.base_dir),
                           env=env, cmdline=cmdline, sink=sink, locate=self._locate,
                           dollars=self._dollars)
            files = build(wf, sink, policy, condor_version, tokens) \
                if wf is not None and not sink.errors else []
            return wf, files
        wf, files, tokens = compiling(front, sink, site=site, policy=None, env=env,
                                      obtain_tokens=obtain_tokens)
        from jobsub.compiler.base.sources import read_source
        from jobsub.compiler.frontends.yamlsource import locate_pending

        # a YAML sub-DAG's spans are found in its file
        sink.diagnostics = locate_pending(sink.diagnostics, read_source)
        return Compiled(wf, sink.sorted(), [] if sink.errors else files,
                        _lines(sink.diagnostics), token_files(tokens))

    # -- inside -------------------------------------------------------------------------

    def _group(self, kind: str, items: tuple) -> Group:
        for item in items:
            if isinstance(item, Group):
                item.nested = True
            elif type(item) is not str:  # the schema says what is wrong with it
                self._plain_groups = False
        group = Group(kind, items, _calling_line(3))
        self._groups.append(group)
        return group

    def _name_for(self, executable: str) -> str:
        stem = re.sub(r"[^A-Za-z0-9_]", "_", os.path.basename(executable).split(".")[0])
        stem = stem if re.match(r"[A-Za-z_]", stem or "0") else f"job_{stem}"
        while True:
            name = f"{stem}_{next(self._count)}"
            if name not in self._jobs:
                return name

    def _locate(self, json_path: tuple = (), key: bool = False) -> Span:
        """The program line that made the part at `json_path` of the manifest."""
        path = json_path if type(json_path) is tuple else tuple(json_path)
        first = path[0] if path else None
        if first == "jobs" and len(path) >= 2:  # asked once per node: the usual case first
            job = self._jobs.get(path[1])
            if job is not None:
                # one Span per calling line (spans are values): a loop's million jobs share
                at = job[-1]
                span = self._spans_at.get(at)
                if span is None:
                    span = self._spans_at[at] = Span(*at)
                return span
        elif first == "serial" or first == "parallel":
            # a group's span, found once: an item's is its group's (the last step of a path
            # never leads into a group, see _group_span), so both are kept by the group's path
            group = path[:-1] if type(path[-1]) is int else path
            span = self._group_spans.get(group)
            if span is None:
                span = self._group_spans[group] = self._group_span(path)
            return span
        for size in range(len(path), 0, -1):
            if path[:size] in self._spans:
                return self._spans[path[:size]]
        return self._spans[()]

    def _top_groups(self) -> list[Group]:
        """The groups no other group holds (cached: asked once per part of the structure)."""
        if self._top is None or self._top[0] != len(self._groups):
            self._top = (len(self._groups), [g for g in self._groups if not g.nested])
        return self._top[1]

    def _group_span(self, path: tuple) -> Span:
        top = self._top_groups()
        if len(top) > 1:  # written as parallel: [group, group, ...]
            if len(path) < 2 or not isinstance(path[1], int) or path[1] >= len(top):
                return self._spans[()]
            group, rest = top[path[1]], path[3:]
        elif top:
            group, rest = top[0], path[1:]
        else:
            return self._spans[()]
        while len(rest) >= 2 and isinstance(rest[0], int) and rest[0] < len(group.items) \
                and isinstance(group.items[rest[0]], Group):
            group, rest = group.items[rest[0]], rest[2:]
        return group.span
