"""Compiling a workflow for a command (`compile`, `check`, `submit`, `rescue`): the site it
is meant for, the token lines, writing the folder, and handing it to a schedd."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.base.diagnostics import JobsubError, Sink
from jobsub.results import collector_paused
from jobsub.runs import cache_dir  # noqa: F401 (the CLI's folder for a submission)

from .common import print_diagnostics
from .voice import QUIET, Activity, Voice


@dataclass
class Target:
    """Where the compiled files are meant to run: site policy and HTCondor version."""

    site: Any
    condor_version: str | None
    site_config: str | None = None  # as given, if given
    global_pool: str | None = None  # as given (or $JOBSUB_GLOBAL_POOL)

    def recorded(self, options: dict) -> dict:
        """What compiling needs besides the workflow file, as a submission's record keeps
        it (so that `jobsub rescue` compiles it again the same way)."""
        from jobsub.results import compile_record

        return compile_record(options, self.condor_version, self.site_config,
                              self.global_pool)


def site_target(values: dict) -> Target:
    """The site file, the pool of it --global-pool names, the HTCondor version: taken out
    of `values` (what is left are job options)."""
    from jobsub.compiler.ir.versions import parse_version
    from jobsub.compiler.site.config import load_site, with_pool

    version = values.pop("condor_version", None)
    parse_version(version)  # a bad version is a usage-time error, before any work
    config = values.pop("site_config", None)
    site = with_pool(load_site(config), values.pop("global_pool", None), os.environ)
    return Target(site, version, config, site.pool)


def credentials(site: Target, obtain: bool | str):
    """The user's tokens, when the site gives jobs tokens; `obtain` also runs htgettoken
    when no token fits."""
    from jobsub.results import token_source

    return token_source(site.site.policy, os.environ, obtain)


def compile_one(path: str, values: dict, sink: Sink, site: Target, obtain: bool | str = False,
                 tokens_used: list[str] | None = None, voice: Voice | None = None):
    """IR and planned files of one workflow file (empty list on errors), as the API
    compiles it; a compile over two seconds shows it is under way (on a terminal)."""
    from jobsub.results import compile_with

    # no spinner while htgettoken may be asking the user to log in (obtain)
    shown = voice if voice is not None and not obtain else Voice(QUIET)
    with collector_paused(freeze=True), Activity(shown, f"compiling {path}"):
        compiled = compile_with(path, values, sink, site=site.site_config,
                                policy=site.site.policy, condor_version=site.condor_version,
                                env=os.environ, obtain_tokens=obtain,
                                global_pool=site.global_pool)
    if tokens_used is not None:
        tokens_used[:] = compiled.token_files
    return compiled.workflow, compiled.files


def written_summary(out_dir: str, wf, files) -> dict:
    """What a compile wrote, as `--json` gives it."""
    from jobsub.compiler.emit.plan import top_file

    return {"output": out_dir, "top_file": top_file(wf), "kind": wf.kind,
            "nodes": len(wf.nodes), "dependencies": len(wf.edges),
            "files": sorted(f.path for f in files),
            "copied": sorted(f.path for f in files if f.source is not None)}


def report_written(out_dir: str, wf, files, voice: Voice) -> None:
    from jobsub.compiler.emit.plan import top_file

    top = top_file(wf)
    subs = [f.path for f in files if f.path.endswith(".sub")]
    copied = [f.path for f in files if f.source is not None]
    if wf.kind == "dag":
        voice.say(f"wrote {out_dir}/{top} ({len(wf.nodes)} nodes, {len(wf.edges)} "
                  "dependencies)")
    else:
        voice.say(f"wrote {out_dir}/{top}")
    shown = subs if len(subs) <= 10 else [*subs[:10], f"... {len(subs) - 10} more"]
    voice.say(f"wrote {len(subs)} submit file(s) with their wrappers: {', '.join(shown)}")
    voice.say(f"copied {len(copied)} executable(s) and script(s) into {out_dir}/files/")
    for f in sorted(files, key=lambda f: f.path):
        voice.detail(f"wrote {out_dir}/{f.path}" + (f" (from {f.source})" if f.source else ""))
    if wf.kind == "dag":
        voice.say(f"to run it: cd {out_dir} && condor_submit_dag {top}")
    else:
        voice.say(f"to run it: cd {out_dir} && condor_submit {top}")


def print_ir(wf) -> None:
    from jobsub.compiler.ir.model import to_json
    from jobsub.compiler.ir.schema import validate_ir

    data = to_json(wf)
    validate_ir(data)
    json.dump(data, sys.stdout, indent=2)
    print()


def deliver(sink: Sink, paths: list[str], wf, files, out_dir: str, emit_ir: bool,
            voice: Voice) -> dict | None:
    """The diagnostics, then the IR or the written folder: what was written (`--json`'s
    summary, diagnostics included), or None if there were errors (printed, as text or as
    one JSON document)."""
    diagnostics = sink.sorted()
    if voice.json:
        if sink.errors:
            voice.document({"ok": False, "diagnostics": [d.as_dict() for d in diagnostics]})
            return None
    else:
        print_diagnostics(diagnostics, paths)
    if sink.errors:
        return None
    if emit_ir:
        print_ir(wf)
        return {}
    from jobsub.compiler.emit.output import write_folder

    write_folder(out_dir, files)
    report_written(out_dir, wf, files, voice)
    return {"ok": True, **written_summary(out_dir, wf, files),
            "diagnostics": [d.as_dict() for d in diagnostics]}


def default_out(path: str) -> str:
    base = os.path.basename(path.rstrip("/"))
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return f"{stem or 'workflow'}.jobsub"


def pool_check(wf, submit_texts: dict[str, str], pool, sink: Sink, errors: bool) -> None:
    """Each job matched against the pool's slots (runtime/match.py); a job no slot can run
    is reported at its line: an error for `check --pool`, a warning before submitting."""
    from jobsub.compiler.emit.plan import submit_files
    from jobsub.runtime.match import check_files

    specs = dict(submit_files(wf))
    report = sink.error if errors else sink.warning
    for result in check_files(pool, submit_texts):
        if not result.ok:
            spec = specs.get(result.submit)
            report(f"job {spec.name if spec else result.submit}: {result.explain()}",
                   spec.span if spec else None,
                   "change what it asks for (--site, --onsite/--offsite, -c, --memory, ...) "
                   "or submit where slots have it (condor_status -long shows what they "
                   "advertise)")


def submit(wf, out_dir: str, settings, site, token: str | None, source: str | None,
           scratch: bool, voice: Voice, record: dict | None = None,
           summary: dict | None = None, after=None) -> int:
    """Spool the compiled folder to one of the site's schedds, record the submission, and
    (for a folder jobsub chose itself) delete the folder: it is not needed any more.
    `summary`: what compiling wrote (`--json` adds the submission to it); `after(job_id)`:
    what runs once it is submitted (--job-info), its problems returned as warnings."""
    import shutil
    from pathlib import Path

    from jobsub.runtime.submission import pool_for, record_submission, submission_folder

    folder = submission_folder(wf, Path(out_dir), source)
    pool = pool_for(wf, settings)
    unmatchable = warn_unmatchable(wf, Path(out_dir), pool, source, voice)
    voice.say("Submitting job(s).")
    with Activity(voice, f"spooling {folder.path} to a schedd of the site", delay=0.5):
        done, warning = record_submission(pool, wf, folder, site, token, record)
    voice.detail(f"spooled to schedd {done.schedd}" + (f" with token {token}" if token else ""))
    if done.again:
        voice.say(f"This workflow was already submitted as cluster {done.cluster} by an "
                  "earlier attempt that did not finish; it was not submitted again.")
    else:
        voice.say(f"{done.procs} job(s) submitted to cluster {done.cluster}.")
    if warning and not voice.json:
        print(f"jobsub: warning: {warning}", file=sys.stderr)
    if scratch:
        shutil.rmtree(out_dir, ignore_errors=True)
        prune_scratch(Path(out_dir).parent)
    if voice.level > QUIET:
        voice.result(f"Use job id {done.job_id} to retrieve output")
    else:
        voice.result(done.job_id)
    later = after(done.job_id) if after is not None and not done.again else []
    for line in later:
        if not voice.json:
            print(f"jobsub: warning: {line}", file=sys.stderr)
    doc = dict(summary or {"ok": True, "diagnostics": []})
    doc["diagnostics"] = [*doc.get("diagnostics", []), *(d.as_dict() for d in unmatchable)]
    doc.update(job_id=done.job_id, cluster=done.cluster, procs=done.procs, schedd=done.schedd,
               already_submitted=done.again,
               warnings=[*([warning] if warning else []), *later])
    if scratch:
        doc.pop("output", None)  # removed: its files are with the schedd
    voice.document(doc)
    return 0


def warn_unmatchable(wf, folder, pool, source: str | None, voice: Voice) -> list:
    """A job no slot of the pool can run is said before it waits in the queue forever
    (never a reason not to submit: slots come and go). Best effort: a pool whose slots
    cannot be read (an unreachable collector is reported by the submission itself, some
    sites keep startd ads to themselves) gets no warning. The warnings, also printed unless
    the output is JSON."""
    sink = Sink()
    try:
        texts = {p.name: p.read_text() for p in folder.glob("*.sub")}
        pool_check(wf, texts, pool, sink, errors=False)
    except JobsubError:
        return []
    if not voice.json:
        print_diagnostics(sink.sorted(), [source] if source else [])
    return sink.sorted()


SCRATCH_DAYS = 7


def prune_scratch(base, now: float | None = None) -> None:
    """Scratch folders of submissions that failed are kept to look at, for a week (as
    jobsub_lite keeps its js_* folders); only folders jobsub wrote are removed."""
    import shutil

    from jobsub.compiler.base.conventions import MARKER

    cutoff = (time.time() if now is None else now) - SCRATCH_DAYS * 86400
    for folder in base.glob("js_*"):
        try:
            if (folder / MARKER).is_file() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
        except OSError:
            continue


