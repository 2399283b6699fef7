"""The compiler as one call: file -> IR -> checked IR -> planned files. The CLI and the
runtime both go through here, so they cannot drift apart."""

from __future__ import annotations

import getpass
import os
import stat
from collections.abc import Callable, Mapping
from typing import Any

from .check import check_workflow
from .conventions import is_manifest
from .diagnostics import JobsubError, Sink, Span
from .ir import Workflow
from .limits import MAX_WORKFLOW_BYTES
from .output import OutFile
from .plan import plan
from .policy import LOCAL, Policy


def submitter(env: Mapping[str, str]) -> str | None:
    user = env.get("USER") or env.get("LOGNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


def read_source(path: str, limit: int = MAX_WORKFLOW_BYTES) -> str:
    """The text of a file jobsub reads (a workflow, a site file): a regular file or a pipe
    (`<(generate)`), at most `limit` bytes, UTF-8."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise JobsubError(f"{path} is a device, not a file", Span(path),
                              "give the path of a workflow or site file")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise JobsubError(f"no such file: {path}", Span(path)) from None
    except IsADirectoryError:
        raise JobsubError(f"{path} is a folder, not a file", Span(path)) from None
    except OSError as err:
        raise JobsubError(f"cannot read {path}: {err.strerror}", Span(path)) from None
    if len(data) > limit:
        raise JobsubError(f"{path} is larger than {limit:,} bytes, more than jobsub reads",
                          Span(path), "is this the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JobsubError("not a UTF-8 text file", _undecodable(path, data, err),
                          "save it as UTF-8; this byte is not part of any character") from None


def _undecodable(path: str, data: bytes, err: UnicodeDecodeError) -> Span:
    """Line and column of the first byte that is not UTF-8."""
    good = data[:err.start].decode("utf-8")
    line_start = good.rfind("\n") + 1
    return Span(path, good.count("\n") + 1, len(good) - line_start + 1)


def load(path: str, *, env: Mapping[str, str], cwd: str,
         cmdline: Mapping[str, Any] | None, sink: Sink, text: str | None = None,
         positions: bool = False) -> Workflow | None:
    """The IR of a workflow file: a YAML manifest (.yaml/.yml) or a dagnabbit file.
    Relative paths in it start from its own folder. A manifest's IR carries positions only
    with `positions` (or when the front end itself had something to report)."""
    if text is None:
        text = read_source(path)
    if is_manifest(path):
        from .frontends.manifest import compile_manifest

        wf = compile_manifest(text, path, env=env, cwd=cwd, cmdline=cmdline, sink=sink,
                              positions=positions)
    else:
        from .frontends.dagnabbit import compile_text

        base_dir = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
        wf = compile_text(text, path, env=env, base_dir=base_dir, cmdline=cmdline, sink=sink,
                          fallback_dir=cwd)
    if wf is not None:
        _set_user(wf, submitter(env))
    return wf


def _set_user(wf: Workflow, user: str | None) -> None:
    wf.user = user
    for sub in wf.subdags:
        _set_user(sub, user)


def check(wf: Workflow, sink: Sink, condor_version: str | None = None) -> None:
    """The IR's own checks (names, references, cycles, target HTCondor version). Safe on the
    partial IR a front end returns after errors, so one run reports everything."""
    from .versions import check_versions

    check_workflow(wf, sink)
    check_versions(wf, condor_version, sink)


def build(wf: Workflow, sink: Sink, policy: Policy = LOCAL,
          condor_version: str | None = None) -> list[OutFile]:
    """Check the IR, then plan every output file; empty when the sink holds errors."""
    from .check import check_policy

    check(wf, sink, condor_version)
    check_policy(wf, policy, sink)
    if sink.errors:
        return []
    from .versions import parse_version

    files = plan(wf, policy, sink, parse_version(condor_version))
    return [] if sink.errors else files


def compile_path(path: str, *, env: Mapping[str, str], cwd: str,
                 cmdline: Mapping[str, Any] | None, sink: Sink, policy: Policy = LOCAL,
                 condor_version: str | None = None, plan_files: bool = True,
                 prepare: Callable[[Workflow, Sink], None] | None = None,
                 ) -> tuple[Workflow | None, list[OutFile]]:
    """Front end, checks and (with `plan_files`) the planned files, every diagnostic located:
    a manifest read on the fast path is read again with positions if any stage has
    something to report. `prepare` adds what the files need from outside the workflow
    (the job tokens' OAuth lines)."""
    for positions in (False, True):
        trial = Sink()
        files: list[OutFile] = []
        try:
            wf = load(path, env=env, cwd=cwd, cmdline=cmdline, sink=trial, positions=positions)
        except JobsubError as err:  # unreadable file, YAML syntax: nothing further to check
            trial.absorb(err)
            wf = None
        if wf is not None:
            if prepare is not None and not trial.errors:
                prepare(wf, trial)  # credentials: what the files need from outside the IR
            if trial.errors or not plan_files:
                check(wf, trial, condor_version)
            else:
                files = build(wf, trial, policy, condor_version)
        if not trial.diagnostics or positions or not is_manifest(path):
            break
    for d in trial.diagnostics:
        sink.add(d)
    return wf, files


def source_lines(paths: list[str]) -> dict[str, list[str]]:
    """For printing carets under diagnostics: regular files only (a pipe was read once
    already, a device never ends), as far as jobsub reads them."""
    out = {}
    for p in paths:
        try:
            if not os.path.isfile(p):
                continue
            with open(p, encoding="utf-8", errors="replace") as fh:
                out[p] = fh.read(MAX_WORKFLOW_BYTES).splitlines()
        except OSError:
            pass
    return out



