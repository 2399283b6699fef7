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
from .common import Command, pool_arguments, pool_of
from .voice import voice_of_args


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A command on one submission, named by a job id or the folder a DAG ran in."""
    p = command_parser(prog, description)
    p.add_argument("id", help="a DAG's job id (or a node's), a job id, or the folder a DAG "
                              "ran in")
    return p


def _subject(args):
    from jobsub.runtime.subject import find

    return find(lambda: pool_of(args), args.id)


def status_parser() -> argparse.ArgumentParser:
    p = _parser(
        "jobsub status",
        "How far along a DAG (or job) is: nodes done, running, idle, held, "
        "failed and waiting, per job group and in total. Exit status: 0 "
        "succeeded, 1 failed, 3 running, 4 something is held.")
    p.add_argument("--watch", nargs="?", type=float, const=10.0, metavar="SECONDS",
                   help="redraw every SECONDS (default 10) until the DAG ends; one line per "
                        "change when not on a terminal")
    p.add_argument("--logs", action="store_true",
                   help="read DAGMan's files even while it runs (exact, slower)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    pool_arguments(p)
    return p


def status_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
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


def analyze_parser() -> argparse.ArgumentParser:
    p = _parser(
        "jobsub analyze",
        "What failed and why: every failed, held or never-to-run node, with "
        "its cause, a hint, the end of its stderr and the line of the workflow "
        "that made it; the failures grouped by cause; the command to run next. "
        "Exit status as jobsub status.")
    p.add_argument("--all", action="store_true", help="list every node, not five per cause")
    p.add_argument("--lines", type=int, default=20, metavar="N",
                   help="lines of each failed job's stderr to show (default 20)")
    p.add_argument("--json", action="store_true", help="one JSON object")
    pool_arguments(p)
    return p


def analyze_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    subject = _subject(args)
    analysis = _analysis(subject, args.lines)
    from jobsub.runtime.analyze import format_analysis

    print(json.dumps(analysis.as_json(), indent=2) if args.json
          else format_analysis(analysis, args.all))
    return analysis.status.exit_status()



COMMANDS = {"status": Command(status_parser, status_run),
            "analyze": Command(analyze_parser, analyze_run)}


def rescue_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "jobsub rescue",
        "Run a failed (or removed) DAG again from DAGMan's rescue DAG: the nodes "
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
                        "job_id, cluster, schedd, diagnostics, ...} and nothing else")
    pool_arguments(p)
    return p


def rescue_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runs import plan_rescue

    planned = plan_rescue(_subject(args), workflow=args.workflow, obtain_tokens=not args.dry_run)
    return _rescue(args, planned, voice_of_args(args))


def _rescue(args, planned, voice) -> int:
    from jobsub.compiler.site.config import load_site, with_pool
    from jobsub.runtime.pool import PoolSettings

    from .compiling import cache_dir, deliver, submit

    failed = planned.failed
    voice.say(f"{planned.rescue_of}: {planned.rescue_file} keeps {planned.done} done "
              f"node(s); {planned.to_run} will run"
              + (f" (failed before: {', '.join(failed[:10])}"
                 f"{' ...' if len(failed) > 10 else ''})" if failed else ""))
    if args.dry_run:
        voice.document({**planned.as_json(), "job_id": None})
        return 0
    compiled = planned.compiled
    out_dir = cache_dir()
    from jobsub.compiler.base.diagnostics import Sink

    summary = deliver(Sink(compiled.diagnostics), [planned.workflow], compiled.workflow,
                      compiled.files, out_dir, False, voice)
    if summary is None:
        return 1
    how = planned.record["compile"]
    site = with_pool(load_site(how.get("site_config")), how.get("global_pool"), os.environ)
    settings = PoolSettings.resolve(args.collector, args.schedd, site=site)
    return submit(compiled.workflow, out_dir, settings, site, compiled.token,
                  source=planned.workflow, scratch=True, voice=voice, record=planned.record,
                  summary={**summary, **planned.as_json()})


rescue_main = Command(rescue_parser, rescue_run)
COMMANDS["rescue"] = rescue_main


def report_parser() -> argparse.ArgumentParser:
    p = _parser(
        "jobsub report",
        "One self-contained HTML page for a submitted DAG: its graph coloured by state, "
        "status per job group, failures by cause and node by node, and a timeline of each "
        "job group. Exit status as jobsub status.")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="the page to write (default: ID.html)")
    pool_arguments(p)
    return p


def report_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
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


COMMANDS["report"] = Command(report_parser, report_run)
