"""The compiler as one call: file -> IR -> checked IR -> planned files. The CLI and the
runtime both go through here, so they cannot drift apart."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from jobsub.compiler.base.conventions import current_user, is_manifest
from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.base.sources import read_source
from jobsub.compiler.emit.output import OutFile
from jobsub.compiler.emit.plan import plan
from jobsub.compiler.ir.check import check_workflow
from jobsub.compiler.ir.model import Workflow
from jobsub.compiler.site.oauth import TokenSource, attach
from jobsub.compiler.site.policy import LOCAL, Policy


def load(path: str, *, env: Mapping[str, str], cwd: str,
         cmdline: Mapping[str, Any] | None, sink: Sink,
         text: str | None = None) -> Workflow | None:
    """The IR of a workflow file: a YAML manifest (.yaml/.yml) or a dagnabbit file.
    Relative paths in it start from its own folder. A manifest's spans may be pending
    (looked up by compile_path only for the messages that name them)."""
    if text is None:
        text = read_source(path)
    if is_manifest(path):
        from .frontends.manifest import compile_manifest

        wf = compile_manifest(text, path, env=env, cwd=cwd, cmdline=cmdline, sink=sink)
    else:
        from .frontends.dagnabbit import compile_text

        base_dir = os.path.dirname(os.path.abspath(os.path.join(cwd, path)))
        wf = compile_text(text, path, env=env, base_dir=base_dir, cmdline=cmdline, sink=sink,
                          fallback_dir=cwd)
    if wf is not None:
        _set_user(wf, current_user(env))
    return wf


def from_data(doc: Mapping[str, Any], path: str, *, base_dir: str, env: Mapping[str, str],
              cmdline: Mapping[str, Any] | None, sink: Sink,
              locate: Callable[..., Span], dollars: bool = True) -> Workflow | None:
    """The IR of manifest-shaped data a program made (jobsub.Workflow), as `load` makes it
    from a manifest file; `dollars`: whether some text of it may hold a $VAR."""
    from .frontends.manifest import compile_data

    wf = compile_data(doc, path, base_dir=base_dir, env=env, cmdline=cmdline, sink=sink,
                      locate=locate, dollars=dollars)
    if wf is not None:
        _set_user(wf, current_user(env))
    return wf


def _set_user(wf: Workflow, user: str | None) -> None:
    wf.user = user
    for sub in wf.subdags:
        _set_user(sub, user)


def check(wf: Workflow, sink: Sink, condor_version: str | None = None) -> None:
    """The IR's own checks (names, references, cycles, target HTCondor version). Safe on the
    partial IR a front end returns after errors, so one run reports everything."""
    from jobsub.compiler.ir.versions import check_versions

    check_workflow(wf, sink)
    check_versions(wf, condor_version, sink)


def build(wf: Workflow, sink: Sink, policy: Policy = LOCAL,
          condor_version: str | None = None, tokens: TokenSource | None = None,
          plan_files: bool = True) -> list[OutFile]:
    """The jobs' token scopes (on a site that gives jobs tokens), the checks, then (with
    `plan_files`) every output file; empty when the sink holds errors. After a front end's
    errors only the IR's own checks run, so one run still reports everything."""
    from jobsub.compiler.ir.check import check_policy

    if not sink.errors:
        attach(wf, policy, tokens, sink)
    check(wf, sink, condor_version)
    if sink.errors or not plan_files:
        return []
    check_policy(wf, policy, sink)
    if sink.errors:
        return []
    from jobsub.compiler.ir.versions import parse_version

    files = plan(wf, policy, sink, parse_version(condor_version))
    return [] if sink.errors else files


def compile_path(path: str, *, env: Mapping[str, str], cwd: str,
                 cmdline: Mapping[str, Any] | None, sink: Sink, policy: Policy = LOCAL,
                 condor_version: str | None = None, plan_files: bool = True,
                 tokens: TokenSource | None = None,
                 text: str | None = None) -> tuple[Workflow | None, list[OutFile]]:
    """Front end, checks, the jobs' token scopes (from `tokens`, on a site that gives jobs
    tokens) and (with `plan_files`) the planned files, each stage run once; every diagnostic
    located (a manifest's positions are looked up only for the messages that need them).
    `text`, if given, is the file's content (not read)."""
    if text is None:
        try:
            text = read_source(path)
        except JobsubError as err:
            sink.absorb(err)
            return None, []
    trial = Sink()
    files: list[OutFile] = []
    try:
        wf = load(path, env=env, cwd=cwd, cmdline=cmdline, sink=trial, text=text)
    except JobsubError as err:  # YAML syntax: nothing further to check
        trial.absorb(err)
        wf = None
    manifest = is_manifest(path)
    if not manifest:
        text = None  # only a manifest's messages look back into it (a big file's worth)
    if wf is not None:
        files = build(wf, trial, policy, condor_version, tokens, plan_files)
    if trial.diagnostics and manifest:
        from .frontends.yamlsource import locate_pending

        trial.diagnostics = locate_pending(
            trial.diagnostics, lambda file: text if file == path else read_source(file))
    for d in trial.diagnostics:
        sink.add(d)
    return wf, files
