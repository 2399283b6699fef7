"""Turning parsed options into shared job specs: the part both front ends have in common."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.base.conventions import WORKFLOW_SUFFIXES
from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.ir.model import JobSpec, QueueFrom
from jobsub.compiler.options.table import BY_DEST, Scope

FILE_URL = "file://"


def local_path(url: str, span: Span, sink: Sink, base_dir: str, what: str,
               fallback_dir: str | None = None) -> str | None:
    """The path inside a `file://` URL, checked to exist; None (with an error) otherwise.

    Relative paths resolve against `base_dir` (the workflow file's folder). jobsub_lite
    resolved them against the current directory, so a file found only there is still used,
    with a warning, and recorded by its absolute path.
    """
    if not url.startswith(FILE_URL):
        if url.startswith("$"):
            hint = (f"{url} was not set, so it stood where the {what} should be; set it "
                    "(an empty value is fine) or remove it")
        elif url.startswith("-"):
            hint = f"put options before the {what}"
        elif what == "executable" and url.lower().endswith(WORKFLOW_SUFFIXES):
            hint = f"a workflow is submitted with --dag file://{url}"
        elif url.startswith("file:"):  # file:/bin/a.sh: one slash too few
            hint = f"write file://{url[len('file:'):]}"
        else:
            hint = f"write file://{url}"
        sink.error(f"{what} must be a file:// URL: {url!r}", span, hint)
        return None
    path = url[len(FILE_URL):]
    if not path:
        sink.error(f"{what} URL names no file", span)
        return None
    full = os.path.join(base_dir, path)
    if os.path.isfile(full):
        return path
    if fallback_dir and not os.path.isabs(path):
        other = os.path.normpath(os.path.join(fallback_dir, path))
        if os.path.isfile(other) and not os.path.exists(full):
            sink.warning(f"{what} {path} is not next to the workflow file; using {other}",
                         span, f"move it to {base_dir} or give its path relative to there")
            return other
    sink.error(f"{what} {path} does not exist" if not os.path.exists(full)
               else f"{what} {path} is not a file", span,
               f"relative paths start from the workflow file's folder, {base_dir}")
    return None


@dataclass
class SpecTable:
    """Interns job specs so that jobs differing only in arguments and VARS share one."""

    specs: list[JobSpec] = field(default_factory=list)
    _by_key: dict[tuple, str] = field(default_factory=dict)
    #: the last options mapping seen and its canonical form: a front end that hands the
    #: same (unchanging) mapping to job after job has it frozen once
    _last: tuple[Any, tuple] = (None, ())

    #: (executable, options mapping) of the last job without a queue, and its spec: a
    #: manifest's 100,000 jobs of one executable and the defaults' options ask for it in turn
    _again: tuple[Any, Any, str] = (None, None, "")

    def intern(self, executable: str, options: Mapping[str, Any], name: str,
               span: Span | None, queue: QueueFrom | None = None) -> str:
        again = self._again
        if queue is None and again[1] is options and again[0] == executable:
            return again[2]
        if self._last[0] is not options:
            self._last = (options, canonical(options))
        key = (os.path.normpath(executable), self._last[1],
               None if queue is None else (tuple(queue.names), tuple(map(tuple, queue.rows))))
        found = self._by_key.get(key)
        if found is None:
            found = name
            self._by_key[key] = name
            self.specs.append(JobSpec(name, executable, dict(options), span, queue))
        if queue is None:
            self._again = (executable, options, found)
        return found


def canonical(options: Mapping[str, Any]) -> tuple:
    """A hashable form of option values, equal for equal settings."""
    def freeze(v: Any) -> Any:
        if isinstance(v, list):
            return tuple(freeze(x) for x in v)
        if isinstance(v, dict):
            return tuple(sorted((k, freeze(x)) for k, x in v.items()))
        return v
    return tuple(sorted((k, freeze(v)) for k, v in options.items() if v is not None))


def job_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """Only the options that belong in a job spec (not DAG-wide ones)."""
    return {k: v for k, v in options.items()
            if (opt := BY_DEST.get(k)) is not None and opt.scope is Scope.JOB}
