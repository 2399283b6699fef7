"""`jobsub.compile`: a workflow file (or its text) to what `jobsub compile` writes, as
values a program can look at before anything is written."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Sink, format_text
from jobsub.compiler.emit.output import OutFile
from jobsub.compiler.ir.model import Workflow as IRWorkflow


@dataclass
class Compiled:
    """A compiled workflow: its IR, every diagnostic (located), and the files it makes.
    Nothing is written until `write`."""

    workflow: IRWorkflow | None
    diagnostics: list[Diagnostic]
    files: list[OutFile]
    #: file -> its lines, for showing diagnostics with the line they point at
    sources: dict[str, dict[int, str]] = field(default_factory=dict, repr=False)
    #: the bearer token files the jobs' OAuth lines came from (submit hands the first to
    #: the schedd's credd)
    token_files: list[str] = field(default_factory=list)
    #: how it was compiled, as a submission's record keeps it (compile_record), so that a
    #: rescue compiles its file again the same way; None for a workflow built in Python
    recorded: dict | None = None

    @property
    def token(self) -> str | None:
        """The token file submitting hands to the schedd's credd (None: no OAuth lines)."""
        return self.token_files[0] if self.token_files else None

    @property
    def errors(self) -> list[Diagnostic]:
        return Sink(self.diagnostics).errors

    @property
    def warnings(self) -> list[Diagnostic]:
        return Sink(self.diagnostics).warnings

    @property
    def ok(self) -> bool:
        return not self.errors

    def report(self) -> str:
        """The diagnostics as `jobsub compile` prints them (file:line:col, caret, hint)."""
        return "\n".join(format_text(d, self.sources) for d in self.diagnostics)

    def check(self) -> Compiled:
        """Raise JobsubError (carrying every error) if there are errors; else self."""
        if self.errors:
            raise JobsubError(diagnostics=self.errors)
        return self

    def text(self, path: str) -> str:
        """The emitted text of one file (`NAME.dag`, `NAME.sub`, ...)."""
        for f in self.files:
            if f.path == path and f.body() is not None:
                return f.body()
        raise KeyError(f"{path}: not a text file of this workflow "
                       f"(it has {', '.join(sorted(f.path for f in self.files))})")

    def write(self, folder: str | os.PathLike) -> Path:
        """Write the folder (all at once, replacing one jobsub wrote before); the files are
        then what `jobsub compile -o FOLDER` writes. Raises JobsubError on errors."""
        from jobsub.compiler.emit.output import write_folder

        self.check()
        write_folder(os.fspath(folder), self.files)
        return Path(folder)


@contextlib.contextmanager
def collector_paused(freeze: bool = False):
    """Compiling makes millions of small objects and almost no reference cycles; the cyclic
    garbage collector's repeated passes over them were 40 % of a 100,000-node compile.
    `freeze` (a command that ends soon): what the compile made is never scanned again.
    Otherwise it is moved to the oldest generation unscanned (gc.freeze, then unfreeze):
    left young, the first allocation after the pause would scan all of it at once (a
    million-node compile: seconds); it is looked at in the next full collection, with the
    program's own young objects, which move with it. Not if the program has frozen objects
    of its own (a server before it forks): unfreezing would thaw them too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        elif gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()


def compile(source: str | os.PathLike, *, text: str | None = None,
            site: str | None = None, condor_version: str | None = None,
            env: Mapping[str, str] | None = None, obtain_tokens: bool = False,
            **options: Any) -> Compiled:
    """Compile a manifest (.yaml/.yml) or dagnabbit file, as `jobsub compile` does.

    `text`: the file's content, when it is not on disk (`source` still names it: its suffix
    chooses the front end, its folder anchors relative paths). `options`: jobsub_submit's
    options for every job, by their names in manifests (`memory="2GB"`, `group="myexp"`,
    `environment={"A": "1"}`), checked by the same option table. `site`: a site file
    (default: as the CLI finds one). `env`: the environment `$VAR`s come from (default:
    this process's). On a site whose jobs get tokens, the token that fits each job's group
    and role is looked for as `jobsub compile` does; `obtain_tokens` runs htgettoken when
    none fits, as `jobsub submit` does."""
    env = dict(os.environ if env is None else env)
    sink = Sink()
    cmdline = command_line_options(options, env, sink)
    return compile_with(source, cmdline, sink, text=text, site=site,
                        condor_version=condor_version, env=env, obtain_tokens=obtain_tokens)


def compile_with(source: str | os.PathLike, cmdline: Mapping[str, Any], sink: Sink, *,
                 text: str | None = None, site: str | None = None, policy=None,
                 condor_version: str | None = None, env: Mapping[str, str] | None = None,
                 obtain_tokens: bool | str = False, global_pool: str | None = None) -> Compiled:
    """jobsub.compile with options already read by the option table (the command line's,
    or those a submission's record kept); `sink` may hold their errors. `policy`: the
    site's, when the caller has loaded the site file already; `global_pool`: the pool of
    the site's (or $JOBSUB_POOL_MAP's) that --global-pool named."""
    from jobsub.compiler.pipeline import compile_path

    path = os.fspath(source)
    env = dict(os.environ if env is None else env)

    def front(policy, tokens):
        return (None, []) if sink.errors else compile_path(
            path, env=env, cwd=os.getcwd(), cmdline=cmdline, sink=sink, policy=policy,
            condor_version=condor_version, text=text, tokens=tokens)
    wf, files, tokens = compiling(front, sink, site=site, policy=policy, env=env,
                                  obtain_tokens=obtain_tokens, global_pool=global_pool)
    sources = _lines(sink.diagnostics, None if text is None else {path: text})
    recorded = None if text is not None or sink.errors else \
        compile_record(cmdline, condor_version, site, global_pool)
    return Compiled(wf, sink.sorted(), [] if sink.errors else files, sources,
                    token_files(tokens), recorded)


def compiling(front, sink: Sink, *, site: str | None, policy, env: Mapping[str, str],
              obtain_tokens: bool | str, global_pool: str | None = None):
    """What every compile does around its front end `front(policy, tokens) -> (IR, files)`:
    the site's policy (unless given), the token source, the collector paused, a JobsubError
    turned into diagnostics. (IR or None, files, the token source)."""
    from jobsub.compiler.site.config import load_site, with_pool

    tokens = None
    try:
        policy = policy or with_pool(load_site(site), global_pool, env).policy
        tokens = token_source(policy, env, obtain_tokens)
        with collector_paused():
            wf, files = front(policy, tokens)
    except JobsubError as err:
        sink.absorb(err)
        wf, files = None, []
    return wf, files, tokens


def token_source(policy, env: Mapping[str, str], obtain: bool | str):
    """The user's tokens, as the compile step asks for them (None: the site gives jobs
    none); `obtain`: run htgettoken when none fits, or "managed" (a service keeps them: a
    missing one is an error)."""
    if policy.tokens is None:
        return None
    from jobsub.runtime.credentials import LocalTokens

    return LocalTokens(policy.tokens, env, obtain=obtain)


def token_files(tokens) -> list[str]:
    return list(dict.fromkeys(tokens.used)) if tokens is not None else []


def compile_record(options: Mapping[str, Any], condor_version: str | None,
                   site_config: str | None, global_pool: str | None = None) -> dict:
    """What compiling needs besides the workflow file (the command line's options, the
    HTCondor version, the site file and pool), as a submission's record keeps it for a
    rescue."""
    return {"options": dict(options), "condor_version": condor_version,
            "site_config": os.path.abspath(site_config) if site_config and
            os.path.exists(site_config) else site_config, "global_pool": global_pool}


def command_line_options(options: Mapping[str, Any], env: Mapping[str, str],
                         sink: Sink) -> dict[str, Any]:
    """Keyword options as the command line's: each written as its flag and read by the
    option table's parser, so they mean and are checked exactly as `--memory 2GB` is."""
    from jobsub.compiler.base.diagnostics import Span
    from jobsub.compiler.options.flags import FlagParser
    from jobsub.compiler.options.shellwords import Word
    from jobsub.compiler.options.table import BY_DEST, OPTIONS, Context, Kind

    words: list[str] = []
    for name, value in options.items():
        opt = BY_DEST.get(name)
        if opt is None or value is None or value is False:
            if opt is None:
                sink.error(f"unknown option {name}=", None,
                           "options are named as in manifests: memory, group, environment, ...")
            continue
        flag = next((f for f in opt.flags if f.startswith("--")), opt.flags[0])
        if opt.kind is Kind.FLAG:
            words.append(flag)
        elif opt.kind is Kind.CHOICE:
            stored = dict(opt.choices or {})
            chosen = [f for f, v in stored.items() if v == value]
            if not chosen:
                known = ", ".join(repr(v) for v in dict.fromkeys(stored.values()))
                sink.error(f"{name}={value!r}: expected one of {known}")
                continue
            words.append(chosen[0])
        elif isinstance(value, Mapping):
            for k, v in value.items():
                words += [flag, str(k), str(v)] if opt.kind is Kind.PAIR else [flag, f"{k}={v}"]
        elif isinstance(value, list | tuple):
            for v in value:
                words += [flag, str(v)]
        else:
            words += [flag, str(value)]
    if not words:
        return {}
    at, spans = 0, []
    for w in words:
        spans.append(Word(w, at, at + len(w)))
        at += len(w) + 1
    parsed = FlagParser(OPTIONS).parse(spans, lambda _w: Span("<options>"), Context(env), sink,
                                       executable_required=False)
    return dict(parsed.values)


def _lines(diagnostics: list[Diagnostic],
           texts: dict[str, str] | None = None) -> dict[str, dict[int, str]]:
    """The lines the diagnostics point at, in any file they name."""
    from jobsub.compiler.base.sources import source_lines

    return source_lines([d.span.file for d in diagnostics if d.span and d.span.file],
                        diagnostics, texts)
