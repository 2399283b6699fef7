"""Which HTCondor a workflow can run on: features newer than the target version are errors
that name the version they need (`--condor-version`, default 23.0.0: what every 23.x
release accepts)."""

from __future__ import annotations

import re

from jobsub.compiler.base.conventions import script_macro
from jobsub.compiler.base.diagnostics import JobsubError, Sink
from jobsub.compiler.ir.model import Workflow

DEFAULT_TARGET = (23, 0, 0)

#: Feature -> first HTCondor release whose DAGMan accepts it.
WEAK_EDGES = ("WEAK dependencies (after_weak)", (25, 13, 2))
SCRIPT_DEBUG = ("SCRIPT DEBUG (a script's debug: file)", (23, 3, 0))
#: First release with retry_request_memory_increase/_max (older ones get an expression).
NATIVE_MEMORY_RETRY = (25, 2, 1)


def parse_version(text: str | None) -> tuple[int, int, int]:
    if not text:
        return DEFAULT_TARGET
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text.strip())
    if not m:
        raise JobsubError(f"--condor-version {text!r} is not a version",
                          hint="write MAJOR.MINOR.PATCH, e.g. 23.9.6")
    return tuple(int(g or 0) for g in m.groups())  # type: ignore[return-value]


def _show(v: tuple[int, int, int]) -> str:
    return ".".join(map(str, v))


def check_versions(wf: Workflow, target_text: str | None, sink: Sink) -> None:
    target = parse_version(target_text)

    def need(feature: tuple[str, tuple[int, int, int]], span) -> None:
        name, version = feature
        if target < version:
            sink.error(f"{name} needs HTCondor {_show(version)} or newer; the target is "
                       f"{_show(target)}", span,
                       f"compile with --condor-version {_show(version)} if your pool runs it")

    for edge in wf.edges:
        if edge.weak:
            need(WEAK_EDGES, edge.span)
    for node in wf.nodes:
        for script in node.scripts:
            if script.debug is not None:
                need(SCRIPT_DEBUG, script.span or node.span)
            for arg in script.arguments:
                macro = script_macro(arg)
                if macro is not None:
                    need((f"the script macro ${macro[0]}", macro[1].since),
                         script.span or node.span)
    for sub in wf.subdags:
        check_versions(sub, target_text, sink)
