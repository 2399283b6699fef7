"""`jobsub` and `jobsub_submit`: the command-line contract.

Exit status: 0 success, 1 errors in the input (printed as FILE:LINE:COL: error: ...),
2 bad usage. No traceback reaches the user (set JOBSUB_DEBUG=1 to see one for a crash).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.diagnostics import Diagnostic, JobsubError, Sink, format_json, format_text

from . import args as cli_args
from .after import COMMANDS as AFTER_COMMANDS
from .jobs import COMMANDS as JOB_COMMANDS
from .tools import COMMANDS as TOOL_COMMANDS

USAGE = """\
usage: jobsub COMMAND [ARGS]

commands:
  compile FILE [-o DIR] [--emit-ir] [JOB OPTIONS]   compile a manifest (.yaml) or dagnabbit
  check FILE... [--format json] [--strict] [--pool] run every check, write nothing
  submit [JOB OPTIONS] [--dag] file://FILE [ARGS]   compile, then submit (= jobsub_submit)
  q [IDS] [--user U|--all] [--dag ID] [--history] [--json]   jobs, as jobsub_q
  hold|release|rm IDS|--constraint C|--user U       act on jobs
  fetchlog ID [--destdir D]                         what a job (or DAG) wrote, as ID.tgz
  wait IDS [--timeout S] [--fetch]                  wait; exit 0 if all succeeded
  status ID [--watch [S]] [--json]                  a DAG's progress per job group
  analyze ID [--all] [--json]                       what failed, why, at which line
  rescue ID [--dry-run]                             rerun a failed DAG, keeping what finished
  report ID [-o FILE.html]                          one page: graph, status, failures, timeline
  schema [--ir|--site]                              print a JSON Schema (default: manifest)
  convert FILE.dagnabbit [-o FILE.yaml]             the equivalent YAML manifest
  fmt FILE.yaml... [--check]                        lay manifests out one way
  graph FILE|ID [-o FILE.dot|.svg|.png]             the DAG (coloured by state once it ran)
  help                                              this text

jobsub_submit [JOB OPTIONS] file://EXE [ARGS...]    jobsub_lite-compatible single job
jobsub_submit [JOB OPTIONS] --dag file://DAGFILE     ... or a dagnabbit DAG
jobsub_q, jobsub_hold, jobsub_release, jobsub_rm, jobsub_fetchlog, jobsub_wait: the same
as the commands above, under jobsub_lite's names.
Run `jobsub compile --help` for the job options, `jobsub q --help` and so on for the rest.
"""


class UsageError(Exception):
    """Bad command line: exit 2."""


def print_diagnostics(diags: list[Diagnostic], files: list[str]) -> None:
    from jobsub.compiler.pipeline import source_lines

    lines = source_lines(files)
    for d in diags:
        print(format_text(d, lines), file=sys.stderr)


def _parse(argv: list[str], extra, *, interleaved: bool):
    sink = Sink()
    parsed = cli_args.parse_command(argv, extra, os.environ, sink, interleaved=interleaved)
    if sink.errors:
        print_diagnostics(sink.sorted(), [])
        raise UsageError
    return parsed


@dataclass
class _Target:
    """Where the compiled files are meant to run: site policy and HTCondor version."""

    site: Any
    condor_version: str | None
    site_config: str | None = None  # as given, if given

    def recorded(self, options: dict) -> dict:
        """What compiling needs besides the workflow file, as a submission's record keeps
        it (so that `jobsub rescue` compiles it again the same way)."""
        return {"options": options, "condor_version": self.condor_version,
                "site_config": os.path.abspath(self.site_config) if self.site_config and
                os.path.exists(self.site_config) else self.site_config}


def _site(values: dict) -> _Target:
    from jobsub.compiler.siteconfig import load_site
    from jobsub.compiler.versions import parse_version

    version = values.pop("condor_version", None)
    parse_version(version)  # a bad version is a usage-time error, before any work
    config = values.pop("site_config", None)
    return _Target(load_site(config), version, config)


def _credentials(site: _Target, obtain: bool, used: list[str] | None = None):
    """The compile step that gives jobs their token's OAuth lines (when the site uses
    tokens); `obtain` also runs htgettoken when no token fits. The token files used are
    added to `used` (the submission hands them to the credd)."""
    def prepare(wf, sink: Sink) -> None:
        from jobsub.runtime.credentials import attach

        paths = attach(wf, site.site.policy, os.environ, sink, obtain=obtain)
        if used is not None:
            used[:] = paths
    return prepare


def _compile_one(path: str, values: dict, sink: Sink, site: _Target, obtain: bool = False,
                 tokens_used: list[str] | None = None):
    """IR and planned files of one workflow file (empty list on errors)."""
    from jobsub.compiler.pipeline import compile_path

    try:
        with _collector_paused():
            wf, files = compile_path(path, env=os.environ, cwd=os.getcwd(), cmdline=values,
                                     sink=sink, policy=site.site.policy,
                                     condor_version=site.condor_version,
                                     prepare=_credentials(site, obtain, tokens_used))
    except JobsubError as err:
        sink.absorb(err)
        return None, []
    return wf, ([] if sink.errors else files)


@contextlib.contextmanager
def _collector_paused():
    """Compiling makes millions of small objects and almost no reference cycles; the cyclic
    garbage collector's repeated passes over them were 40 % of a 100,000-node compile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what the compile made lives until the process ends: never scan it
        if enabled:
            gc.enable()


def _report_written(out_dir: str, wf, files) -> None:
    from jobsub.compiler.plan import top_file

    top = top_file(wf)
    subs = [f.path for f in files if f.path.endswith(".sub")]
    copied = [f.path for f in files if f.source is not None]
    if wf.kind == "dag":
        print(f"wrote {out_dir}/{top} ({len(wf.nodes)} nodes, {len(wf.edges)} dependencies)")
    else:
        print(f"wrote {out_dir}/{top}")
    shown = subs if len(subs) <= 10 else [*subs[:10], f"... {len(subs) - 10} more"]
    print(f"wrote {len(subs)} submit file(s) with their wrappers: {', '.join(shown)}")
    print(f"copied {len(copied)} executable(s) and script(s) into {out_dir}/files/")
    if wf.kind == "dag":
        print(f"to run it: cd {out_dir} && condor_submit_dag {top}")
    else:
        print(f"to run it: cd {out_dir} && condor_submit {top}")


def _emit_ir(wf) -> None:
    from jobsub.compiler.ir import to_json
    from jobsub.compiler.irschema import validate_ir

    data = to_json(wf)
    validate_ir(data)
    json.dump(data, sys.stdout, indent=2)
    print()


def cmd_compile(argv: list[str]) -> int:
    parsed = _parse(argv, cli_args.COMPILE_FLAGS, interleaved=True)
    values = dict(parsed.values)
    if values.pop("help", False):
        print("usage: jobsub compile FILE [-o DIR] [--emit-ir] [JOB OPTIONS]")
        print(cli_args.options_help(cli_args.COMPILE_FLAGS))
        return 0
    if len(parsed.positionals) != 1:
        print("jobsub compile: give exactly one workflow file", file=sys.stderr)
        raise UsageError
    path = parsed.positionals[0].text
    out_dir = values.pop("out", None) or _default_out(path)
    emit_ir = values.pop("emit_ir", False)
    site = _site(values)
    sink = Sink()
    wf, files = _compile_one(path, values, sink, site)
    return 0 if _deliver(sink, [path], wf, files, out_dir, emit_ir) else 1


def _deliver(sink: Sink, paths: list[str], wf, files, out_dir: str, emit_ir: bool) -> bool:
    """Print the diagnostics, then the IR or the written folder; False if there were errors."""
    print_diagnostics(sink.sorted(), paths)
    if sink.errors:
        return False
    if emit_ir:
        _emit_ir(wf)
        return True
    from jobsub.compiler.output import write_folder

    write_folder(out_dir, files)
    _report_written(out_dir, wf, files)
    return True


def _default_out(path: str) -> str:
    base = os.path.basename(path.rstrip("/"))
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return f"{stem or 'workflow'}.jobsub"


def cmd_check(argv: list[str]) -> int:
    parsed = _parse(argv, cli_args.CHECK_FLAGS, interleaved=True)
    values = dict(parsed.values)
    if values.pop("help", False):
        print("usage: jobsub check FILE... [--format text|json] [--strict] [JOB OPTIONS]")
        print(cli_args.options_help(cli_args.CHECK_FLAGS))
        return 0
    fmt = values.pop("format", "text")
    strict = values.pop("strict", False)
    against_pool = values.pop("pool", False)
    collector = values.pop("collector", None)
    site = _site(values)
    paths = [w.text for w in parsed.positionals]
    if not paths:
        print("jobsub check: give at least one workflow file", file=sys.stderr)
        raise UsageError
    all_diags: list[Diagnostic] = []
    failed = False
    pool = None
    for path in paths:
        sink = Sink()
        wf, files = _compile_one(path, values, sink, site)
        if against_pool and wf is not None and files:
            if pool is None:
                from jobsub.runtime.pool import Pool, PoolSettings

                pool = Pool(PoolSettings.resolve(collector, site=site.site))
            pool_check(wf, {f.path: f.text for f in files if f.path.endswith(".sub")},
                       pool, sink, errors=True)
        diags = sink.sorted()
        all_diags += diags
        failed |= bool(sink.errors) or (strict and bool(sink.warnings))
        if fmt == "text":
            print_diagnostics(diags, [path])
    if fmt == "json":
        print(format_json(all_diags))
    elif not failed:
        print(f"ok: {len(paths)} file(s) checked", file=sys.stderr)
    return 1 if failed else 0


def pool_check(wf, submit_texts: dict[str, str], pool, sink: Sink, errors: bool) -> None:
    """Each job matched against the pool's slots (runtime/match.py); a job no slot can run
    is reported at its line: an error for `check --pool`, a warning before submitting."""
    from jobsub.compiler.plan import submit_files
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


def jobsub_submit(argv: list[str]) -> int:
    """jobsub_lite's `jobsub_submit`: options, then file://EXE and its arguments."""
    from jobsub.compiler.flags import FlagParser
    from jobsub.compiler.frontends.cmdline import job_workflow
    from jobsub.compiler.options import OPTIONS, Context
    from jobsub.compiler.pipeline import build, submitter

    sink = Sink()
    words = cli_args.command_words(argv)
    parser = FlagParser([*OPTIONS, *cli_args.SUBMIT_FLAGS])
    parsed = parser.parse(words, cli_args.where, Context(os.environ), sink,
                          executable_required=False)
    if sink.errors:
        print_diagnostics(sink.sorted(), [])
        raise UsageError
    values = dict(parsed.values)
    if values.pop("help", False):
        print("usage: jobsub_submit [JOB OPTIONS] file://EXE [ARGS...]\n"
              "       jobsub_submit [JOB OPTIONS] --dag file://DAGFILE\n"
              "       jobsub_submit --resume ID")
        print(cli_args.options_help(cli_args.SUBMIT_FLAGS))
        return 0
    if "resume" in values:
        return _resume(values, parsed)
    if parsed.executable is None:
        print("jobsub_submit: no executable given; end the options with file://EXE [ARGS...]",
              file=sys.stderr)
        raise UsageError
    out_dir = values.pop("out", None)
    no_submit = values.pop("no_submit", False)
    # A folder jobsub chose itself is scratch: gone once its files are with the schedd.
    scratch = out_dir is None and not no_submit
    out_dir = out_dir or _cache_dir()
    emit_ir = values.pop("emit_ir", False)
    dag = values.pop("dag", False)
    collector, schedd = values.pop("collector", None), values.pop("schedd", None)
    site = _site(values)
    for key in ("verbose", "debug"):
        values.pop(key, None)
    compiled_with = site.recorded(dict(values))

    tokens_used: list[str] = []
    if dag:
        url = parsed.executable.text
        if not url.startswith("file://"):
            print(f"jobsub_submit: --dag expects file://DAGFILE, not {url!r}", file=sys.stderr)
            raise UsageError
        if parsed.arguments:
            print("jobsub_submit: --dag takes no arguments after the DAG file", file=sys.stderr)
            raise UsageError
        path = url[len("file://"):]
        wf, files = _compile_one(path, values, sink, site, obtain=True,
                                 tokens_used=tokens_used)
        paths = [path]
    else:
        wf = job_workflow(parsed, cli_args.where, env=os.environ, base_dir=os.getcwd(),
                          user=submitter(os.environ), sink=sink)
        if wf and not sink.errors:
            _credentials(site, obtain=True, used=tokens_used)(wf, sink)
        files = build(wf, sink, site.site.policy, site.condor_version) \
            if wf and not sink.errors else []
        paths = []
    if not _deliver(sink, paths, wf, files, out_dir, emit_ir):
        return 1
    if emit_ir:
        return 0
    print(f"Submission files are in: {out_dir}")
    if no_submit:
        return 0
    from jobsub.runtime.pool import PoolSettings

    settings = PoolSettings.resolve(collector, schedd, site=site.site)
    return _submit(wf, out_dir, settings, site.site, tokens_used[0] if tokens_used else None,
                   source=paths[0] if paths else None, scratch=scratch,
                   record={"compile": compiled_with} if dag else None)


def _resume(values: dict, parsed) -> int:
    """`jobsub_submit --resume ID`: `jobsub rescue ID`, with the pool options given."""
    from .after import rescue_main

    if parsed.executable is not None or len(values) > 1 + sum(
            k in values for k in ("collector", "schedd", "site_config")):
        print("jobsub_submit: --resume takes a job id and the pool options (--collector, "
              "--schedd, --site-config) only; the DAG is compiled again from its workflow "
              "file, as it was submitted", file=sys.stderr)
        raise UsageError
    argv = [values["resume"]]
    for key, flag in (("collector", "--collector"), ("schedd", "--schedd"),
                      ("site_config", "--site-config")):
        if key in values:
            argv += [flag, values[key]]
    return rescue_main(argv)


def _submit(wf, out_dir: str, settings, site, token: str | None, source: str | None,
            scratch: bool, record: dict | None = None) -> int:
    """Spool the compiled folder to one of the site's schedds, record the submission, and
    (for a folder jobsub chose itself) delete the folder: it is not needed any more."""
    import shutil
    from pathlib import Path

    from jobsub.compiler.plan import top_file, workflows_in
    from jobsub.runtime import records
    from jobsub.runtime.pool import Pool
    from jobsub.runtime.submission import Folder, SpoolPolicy, submit_folder

    for node in (n for one in workflows_in(wf) for n in one.nodes):
        if node.subdag is not None and os.path.isabs(node.subdag):
            raise JobsubError(f"subdag {node.subdag} is a DAG file on this machine, which the "
                              "schedd cannot read", node.span,
                              "write the sub-workflow as a manifest (subdag: FILE.yaml): "
                              "jobsub compiles it into the folder it sends; or copy the "
                              "compiled folder to the schedd host and run condor_submit_dag "
                              "there")
    groups = sorted({s.options["group"] for s in wf.specs if s.options.get("group")})
    oauth = sorted({(s.oauth.service, s.oauth.handle, tuple(s.oauth.scopes))
                    for s in wf.specs if s.oauth is not None})
    folder = Folder(Path(out_dir), top_file(wf), wf.kind == "dag", wf.user or "",
                    groups[0] if len(groups) == 1 else None,
                    os.path.abspath(source) if source else None, tuple(oauth),
                    tuple(wf.settings.set_job_attr.items()))
    pool = Pool(settings, groups[0] if groups else None)
    _warn_unmatchable(wf, Path(out_dir), pool, source)
    print("Submitting job(s).")
    done = submit_folder(pool, folder, SpoolPolicy(site.dagman, site.keep_unfetched_days),
                         token=token)
    if done.again:
        print(f"This workflow was already submitted as cluster {done.cluster} by an earlier "
              "attempt that did not finish; it was not submitted again.")
    else:
        print(f"{done.procs} job(s) submitted to cluster {done.cluster}.")
    try:
        records.save(done.schedd, done.cluster, folder.path.resolve(),
                     {"job_id": done.job_id, "kind": wf.kind, "workflow": folder.source,
                      "folder": str(folder.path.resolve()), "procs": done.procs,
                      "top_file": folder.top_file, **(record or {})})
    except OSError as err:
        print(f"jobsub: warning: could not record the submission: {err}", file=sys.stderr)
    if scratch:
        shutil.rmtree(out_dir, ignore_errors=True)
        _prune_scratch(Path(out_dir).parent)
    print(f"Use job id {done.job_id} to retrieve output")
    return 0


def _warn_unmatchable(wf, folder, pool, source: str | None) -> None:
    """A job no slot of the pool can run is said before it waits in the queue forever
    (never a reason not to submit: slots come and go). Best effort: a pool whose slots
    cannot be read (an unreachable collector is reported by the submission itself, some
    sites keep startd ads to themselves) gets no warning."""
    sink = Sink()
    try:
        texts = {p.name: p.read_text() for p in folder.glob("*.sub")}
        pool_check(wf, texts, pool, sink, errors=False)
    except JobsubError:
        return
    print_diagnostics(sink.sorted(), [source] if source else [])


SCRATCH_DAYS = 7


def _prune_scratch(base, now: float | None = None) -> None:
    """Scratch folders of submissions that failed are kept to look at, for a week (as
    jobsub_lite keeps its js_* folders); only folders jobsub wrote are removed."""
    import shutil

    from jobsub.compiler.output import MARKER

    cutoff = (time.time() if now is None else now) - SCRATCH_DAYS * 86400
    for folder in base.glob("js_*"):
        try:
            if (folder / MARKER).is_file() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
        except OSError:
            continue


def _cache_dir() -> str:
    """Where jobsub_submit puts a submission's folder unless -o says: $JOBSUB_SUBMIT_DIR, else
    ~/.cache/jobsub (jobsub_lite used ~/.cache/jobsub_lite), one js_DATE_ID folder each."""
    base = os.environ.get("JOBSUB_SUBMIT_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "jobsub")
    stamp = time.strftime("%Y_%m_%d_%H%M%S")
    return os.path.join(base, f"js_{stamp}_{uuid.uuid4().hex[:12]}")


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "compile": cmd_compile,
    "check": cmd_check,
    "submit": jobsub_submit,
    **JOB_COMMANDS,
    **AFTER_COMMANDS,
    **TOOL_COMMANDS,
}


def run_guarded(fn: Callable[[list[str]], int], argv: list[str]) -> int:
    def terminate(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        return fn(argv)
    except UsageError:
        return 2
    except JobsubError as err:
        print_diagnostics(err.diagnostics, [d.span.file for d in err.diagnostics if d.span])
        return 1
    except KeyboardInterrupt:
        print("jobsub: interrupted; nothing was written", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except Exception as err:  # a bug: one line for the user, the traceback on request
        if os.environ.get("JOBSUB_DEBUG"):
            raise
        print(f"jobsub: internal error: {type(err).__name__}: {err} "
              "(set JOBSUB_DEBUG=1 for details and please report it)", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("help", "-h", "--help"):
        print(USAGE)
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"jobsub: unknown command {argv[0]!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run_guarded(command, argv[1:])


def jobsub_submit_main(argv: list[str] | None = None) -> int:
    return run_guarded(jobsub_submit, sys.argv[1:] if argv is None else argv)

