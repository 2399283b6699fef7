"""`jobsub status|analyze|rescue|report`: after submission.

Each takes a job id (a DAG's DAGMan job, any of its node jobs, or a single job) or the folder
a DAG ran in, prints text (or `--json`), and exits with a status scripts can use:
0 succeeded, 1 failed (or an error), 2 bad usage, 3 still running, 4 held (waits for a
person).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from jobsub.runtime.overview import analysis as _analysis
from jobsub.runtime.overview import current_status as _status

from .args import command_parser
from .common import pool_arguments, pool_of


def _subject_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="a DAG's job id (or a node's), a job id, or the folder a DAG "
                              "ran in")


def _subject(args):
    from jobsub.runtime.subject import find

    return find(lambda: pool_of(args), args.id)


def status_main(argv: list[str]) -> int:
    p = command_parser(
        prog="jobsub status",
        description="How far along a DAG (or job) is: nodes done, running, idle, held, "
                    "failed and waiting, per job group and in total. Exit status: 0 "
                    "succeeded, 1 failed, 3 running, 4 something is held.")
    _subject_argument(p)
    p.add_argument("--watch", nargs="?", type=float, const=10.0, metavar="SECONDS",
                   help="redraw every SECONDS (default 10) until the DAG ends; one line per "
                        "change when not on a terminal")
    p.add_argument("--logs", action="store_true",
                   help="read DAGMan's files even while it runs (exact, slower)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    pool_arguments(p)
    args = p.parse_args(argv)
    subject = _subject(args)
    if args.watch is not None:
        return _watch(args, subject)
    current, _ = _status(subject, args.logs)
    from jobsub.runtime.status import format_status

    print(json.dumps(current.as_json(), indent=2) if args.json else format_status(current))
    return current.exit_status()


def _watch(args, subject) -> int:
    from jobsub.runtime.status import EXIT_HELD, EXIT_RUNNING, format_status, one_line
    from jobsub.runtime.subject import find

    interval = max(1.0, args.watch)
    tty = sys.stdout.isatty() and not args.json
    last = None
    live = None
    if tty:
        from rich.console import Console
        from rich.live import Live
        from rich.text import Text

        live = Live(Text(""), console=Console(), auto_refresh=False, transient=False)
        live.start()
    try:
        while True:
            current, _ = _status(subject, args.logs)
            if tty:
                live.update(Text(format_status(current) + f"\n(every {interval:g} s; "
                                                          "Ctrl-C stops watching)"),
                            refresh=True)
            else:
                line = json.dumps(current.as_json()) if args.json else one_line(current)
                if line != last:
                    print(line, flush=True)
                    last = line
            if current.exit_status() not in (EXIT_RUNNING, EXIT_HELD):
                return current.exit_status()
            time.sleep(interval)
            subject = find(lambda: pool_of(args), subject.label)
    finally:
        if live is not None:
            live.stop()


def analyze_main(argv: list[str]) -> int:
    p = command_parser(
        prog="jobsub analyze",
        description="What failed and why: every failed, held or never-to-run node, with "
                    "its cause, a hint, the end of its stderr and the line of the workflow "
                    "that made it; the failures grouped by cause; the command to run next. "
                    "Exit status as jobsub status.")
    _subject_argument(p)
    p.add_argument("--all", action="store_true", help="list every node, not five per cause")
    p.add_argument("--lines", type=int, default=20, metavar="N",
                   help="lines of each failed job's stderr to show (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    pool_arguments(p)
    args = p.parse_args(argv)
    subject = _subject(args)
    analysis = _analysis(subject, args.lines)
    from jobsub.runtime.analyze import format_analysis

    print(json.dumps(analysis.as_json(), indent=2) if args.json
          else format_analysis(analysis, args.all))
    return analysis.status.exit_status()



COMMANDS = {"status": status_main, "analyze": analyze_main}


def rescue_main(argv: list[str]) -> int:
    p = command_parser(
        prog="jobsub rescue",
        description="Run a failed (or removed) DAG again from DAGMan's rescue DAG: the nodes "
                    "that finished are kept, the rest run. The workflow is compiled again "
                    "from its file (more memory, for instance, takes effect); an edit that "
                    "would make a done node's name mean other work is refused.")
    p.add_argument("id", help="the DAG's job id (or a node's)")
    p.add_argument("--workflow", metavar="FILE",
                   help="compile this file instead of the one the DAG was compiled from")
    p.add_argument("--dry-run", action="store_true",
                   help="say what would run again; submit nothing")
    p.add_argument("--json", action="store_true",
                   help="one JSON object: {rescue_of, rescue_file, done, to_run, failed, "
                        "job_id} (the rest of the output goes to stderr)")
    pool_arguments(p)
    args = p.parse_args(argv)
    from jobsub.compiler.base.diagnostics import JobsubError

    subject = _subject(args)
    if not subject.is_dag:
        raise JobsubError(f"{subject.label} is a single job, not a DAG: there is no rescue",
                          hint="submit it again")
    if subject.in_queue and not subject.finished:
        raise JobsubError(f"DAG {subject.label} is still in the queue; a rescue would run its "
                          "nodes twice", hint=f"wait for it (jobsub wait {subject.label}) or "
                                              f"remove it first (jobsub rm {subject.label}), "
                                              "which writes the rescue DAG")
    record = subject.record or {}
    compiled = record.get("compile")
    workflow = args.workflow or record.get("workflow")
    if not workflow or not compiled:
        raise JobsubError(f"this machine has no record of how {subject.label} was compiled",
                          hint="rescue it where it was submitted from (or give --workflow "
                               "FILE, compiled with no extra options)")
    if not args.json:
        return _rescue(args, subject, workflow, compiled)
    import contextlib
    import io

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = _rescue(args, subject, workflow, compiled)
    text = said.getvalue()
    sys.stderr.write(text)
    plan = getattr(args, "plan", None)
    job = next((ln.split()[3] for ln in text.splitlines() if ln.startswith("Use job id ")),
               None)
    print(json.dumps({"rescue_of": subject.label, "rescue_file": plan[0] if plan else None,
                      "done": plan[1] if plan else None, "to_run": plan[2] if plan else None,
                      "failed": plan[3] if plan else [], "job_id": job}, indent=2))
    return code


def _rescue(args, subject, workflow: str, compiled: dict) -> int:
    from jobsub.compiler.base.diagnostics import Sink
    from jobsub.compiler.emit.nodemap import MAP_FILE
    from jobsub.compiler.emit.output import OutFile
    from jobsub.compiler.site.config import load_site
    from jobsub.runtime import rescue
    from jobsub.runtime import subject as subjects
    from jobsub.runtime.nodemap import parse
    from jobsub.runtime.pool import PoolSettings

    from .compiling import Target, cache_dir, compile_one, deliver, submit

    site = Target(load_site(compiled.get("site_config")), compiled.get("condor_version"),
                   compiled.get("site_config"))
    sink = Sink()
    tokens: list[str] = []
    wf, files = compile_one(workflow, dict(compiled.get("options") or {}), sink, site,
                             obtain=not args.dry_run, tokens_used=tokens)
    if sink.errors or wf is None:
        from .common import print_diagnostics

        print_diagnostics(sink.sorted(), [workflow])
        return 1
    text = next(f.text for f in files if f.path == MAP_FILE)
    new = parse(text, os.path.dirname(os.path.abspath(workflow)))
    with subjects.files(subject) as folder:
        if folder is None:
            from jobsub.compiler.base.diagnostics import JobsubError

            raise JobsubError(f"the files of {subject.label} are gone (removed from the "
                              "schedd and never fetched here): there is no rescue DAG to "
                              "start from", hint="submit the workflow again")
        old = subjects.node_map(subject, folder)
        plan = rescue.plan(folder, subject.top_file or f"{wf.name}.dag", old, new)
    name = os.path.basename(plan.rescue.path)
    args.plan = (name, plan.done, plan.to_run, plan.failed)
    print(f"{subject.label}: {name} keeps {plan.done} done node(s); {plan.to_run} will run"
          + (f" (failed before: {', '.join(plan.failed[:10])}"
             f"{' ...' if len(plan.failed) > 10 else ''})" if plan.failed else ""))
    if args.dry_run:
        return 0
    files = [*files, *(OutFile(n, data=d) for n, d in plan.extra_files)]
    out_dir = cache_dir()
    if not deliver(sink, [workflow], wf, files, out_dir, False):
        return 1
    settings = PoolSettings.resolve(args.collector, args.schedd, site=site.site)
    return submit(wf, out_dir, settings, site.site, tokens[0] if tokens else None,
                   source=workflow, scratch=True,
                   record={"compile": compiled, "rescue_of": subject.label,
                           "rescue_from": name})


COMMANDS["rescue"] = rescue_main


def report_main(argv: list[str]) -> int:
    p = command_parser(
        prog="jobsub report",
        description="One self-contained HTML page for a submitted DAG: its graph coloured by "
                    "state, status per job group, failures by cause and node by node, and a "
                    "timeline of each job group. Exit status as jobsub status.")
    _subject_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="the page to write (default: ID.html)")
    pool_arguments(p)
    args = p.parse_args(argv)
    from jobsub.runtime import report

    subject = _subject(args)
    analysis, dag, nodemap = _analysis(subject, keep=True)
    page = report.render(analysis, dag, nodemap, (subject.record or {}).get("workflow"))
    out = args.output or f"{subject.label.replace('/', '_')}.html"
    tmp = f"{out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(page)
    os.replace(tmp, out)
    print(f"wrote {out} ({len(page.encode()):,} bytes): {analysis.status.state}, "
          f"{analysis.status.total} node(s), {len(analysis.problems)} failed or held")
    return analysis.status.exit_status()


COMMANDS["report"] = report_main
