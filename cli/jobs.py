"""`jobsub q|hold|release|rm|fetchlog|wait` and their jobsub_lite names (`jobsub_q`, ...).

These take jobsub_lite's arguments (`-G`, `--role`, job ids positionally or with `-J/--jobid`)
plus `--collector` and `--schedd`, all declared once (cli/args.py POOL_FLAGS, from the option
table); argparse is enough here (bad usage exits 2), and every failure a user can meet is one
line on stderr with exit status 1. A job id goes to the schedd
it names; without ids, a command asks every schedd of the site at once and merges the
answers (a schedd that fails is named, and the exit status is 1).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys

from jobsub.compiler.base.conventions import current_user

from .args import command_parser
from .common import Command, entry, pool_arguments, pool_of


def _parser(prog: str, description: str,
            ids: str = "job ids: CLUSTER[.PROC][@SCHEDD], comma lists"):
    """A command on jobs: ids positionally or with jobsub_lite's -J/--jobid."""
    p = command_parser(prog, description)
    p.add_argument("ids", nargs="*", help=ids)
    p.add_argument("-J", "--jobid", action="append", help="a job id (jobsub_lite spelling)")
    return p


def _everywhere(pool, args) -> list:
    """The schedds a command without job ids asks: the one named, else all the site's."""
    return [pool.schedd(args.schedd)] if args.schedd else pool.schedds()


def _ids(args) -> list:
    from jobsub.runtime.jobids import parse_ids

    return parse_ids([*getattr(args, "ids", []), *(args.jobid or [])])



def _answers(command: str, results: list) -> tuple[list, list[str]]:
    """Results of a fan-out: the answers, and a line for each schedd that failed."""
    from jobsub.compiler.base.diagnostics import JobsubError

    good, problems = [], []
    for result in results:
        if isinstance(result, JobsubError):
            d = result.diagnostics[0]
            problems.append(f"jobsub {command}: {d.message}")
        else:
            good.append(result)
    return good, problems


# --- q -------------------------------------------------------------------------------------

def q_parser() -> argparse.ArgumentParser:
    p = _parser("jobsub q", "Jobs in the queue, as jobsub_q.")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--user", help="jobs of this owner (default: you, $USER)")
    who.add_argument("--all", action="store_true", help="everyone's jobs")
    p.add_argument("--dag", metavar="ID", help="a DAGMan job and all its node jobs")
    p.add_argument("--constraint", help="an extra ClassAd constraint")
    p.add_argument("--history", action="store_true", help="finished jobs, from the history")
    p.add_argument("--json", action="store_true", help="one JSON array")
    pool_arguments(p)
    return p


def q_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime import fanout, queue
    from jobsub.runtime.jobids import parse_ids
    from jobsub.runtime.targets import place

    ids = _ids(args)
    dag = parse_ids([args.dag])[0] if args.dag else None
    user = args.user or (None if (args.all or ids or dag) else current_user())
    pool = pool_of(args)
    if dag is not None:
        [(schedd, [dag])] = place(pool, [dag], history=args.history).items()
        groups = {schedd: ids}
    elif ids:
        groups = place(pool, ids, history=args.history)
    else:
        groups = {s: [] for s in _everywhere(pool, args)}

    def ask(item):
        schedd, wanted = item
        return queue.fetch(schedd, queue.constraint_for(wanted, user, args.group, dag,
                                                        args.constraint),
                           history=args.history)
    answers, problems = _answers("q", fanout.each(list(groups.items()), ask))
    rows = queue.grouped([row for rows in answers for row in rows])
    if args.json:
        print(json.dumps([r.as_json() for r in rows], indent=2))
    else:
        print(queue.format_table(rows))
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


# --- hold / release / rm --------------------------------------------------------------------

def act_parser(verb: str) -> argparse.ArgumentParser:
    p = _parser(f"jobsub {verb}", f"{verb.capitalize()} jobs, as jobsub_{verb}.")
    p.add_argument("--constraint", help="every job matching this ClassAd constraint")
    p.add_argument("--user", help="every job of this owner")
    p.add_argument("--reason", help="recorded with the action")
    pool_arguments(p)
    return p


def act_run(args: argparse.Namespace, p: argparse.ArgumentParser, *, verb: str) -> int:

    from jobsub.runtime import fanout
    from jobsub.runtime.actions import act
    from jobsub.runtime.targets import place

    ids = _ids(args)
    if not ids and not args.constraint and not args.user:
        p.error("name the jobs: ids, --constraint or --user")
    pool = pool_of(args)
    groups = place(pool, ids) if ids else {s: [] for s in _everywhere(pool, args)}

    def one(item):
        schedd, wanted = item
        return act(schedd, verb, wanted, args.constraint, args.user, args.reason)
    outcomes, problems = _answers(verb, fanout.each(list(groups.items()), one))
    nothing = 0
    for outcome in outcomes:
        for line in outcome.messages:
            print(line)
        for line in outcome.problems:
            if ids or not line.startswith("no job matches"):
                problems.append(f"jobsub {verb}: {line}")
            else:
                nothing += 1
    if not ids and nothing == len(groups):  # asked everywhere, matched nowhere
        problems.append(f"jobsub {verb}: no job matches on any schedd of the site")
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


def _act(verb: str) -> Command:
    return Command(functools.partial(act_parser, verb), functools.partial(act_run, verb=verb))


# --- fetchlog -------------------------------------------------------------------------------

def fetchlog_parser() -> argparse.ArgumentParser:
    p = _parser("jobsub fetchlog", "A job's (or a whole DAG's) logs and submit files from the "
                "schedd; -d and -L outputs put in place.", ids="the job id")
    p.add_argument("--destdir", "--dest-dir", "--unzipdir", dest="destdir", metavar="DIR",
                   help="copy the files into DIR instead of writing ID.tgz")
    pool_arguments(p)
    return p


def fetchlog_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime.targets import place

    ids = _ids(args)
    if len(ids) != 1:
        p.error("give exactly one job id")
    [(schedd, [job])] = place(pool_of(args), ids, history=True).items()
    return _fetch_one(schedd, job, args.destdir)


def _fetch_one(schedd, job, destdir: str | None) -> int:
    from jobsub.runtime.fetchlog import fetch

    fetched = fetch(schedd, job, str(job), destdir)
    if fetched.note:
        print(f"jobsub fetchlog: {fetched.note}", file=sys.stderr)
    print(f"fetched {len(fetched.files)} file(s) of job {job} into {fetched.where}")
    for dest in fetched.placed:
        print(f"put the job's outputs in {dest}")
    for line in fetched.problems:
        print(f"jobsub fetchlog: {line}", file=sys.stderr)
    return 1 if fetched.problems else 0


# --- wait -----------------------------------------------------------------------------------

def wait_parser() -> argparse.ArgumentParser:
    p = _parser("jobsub wait", "Wait until jobs are done; exit 0 if all completed with exit "
                "code 0.")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    p.add_argument("--fetch", action="store_true",
                   help="then fetch each finished job's files, as jobsub fetchlog does "
                        "(ID.tgz here, or under --destdir)")
    p.add_argument("--destdir", metavar="DIR",
                   help="with --fetch: each job's files into DIR/ID/")
    p.add_argument("--json", action="store_true",
                   help="one JSON object: {ok, outcome (finished, blocked, timed_out), jobs: "
                        "[{job_id, state, exit_code, signal}], messages}")
    pool_arguments(p)
    return p


def wait_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime.targets import place
    from jobsub.runtime.wait import wait

    ids = _ids(args)
    if not ids:
        p.error("give the job ids to wait for")
    targets = place(pool_of(args), ids, history=True)
    tty = sys.stderr.isatty() and not args.json

    def progress(line: str) -> None:
        if tty:
            print(f"\r\033[Kwaiting: {line}", end="", file=sys.stderr, flush=True)

    try:
        result = wait(targets, args.timeout, progress)
    finally:
        if tty:
            print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        for line in result.lines:
            print(line)
    status = 0 if result.ok else 1
    if args.fetch:
        import contextlib

        by_name = {s.name: s for s in targets}
        # with --json, stdout holds the one document: what fetching says goes to stderr
        with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
            for job in result.finished:
                dest = os.path.join(args.destdir, str(job)) if args.destdir else None
                status |= _fetch_one(by_name[job.schedd], job, dest)
    return status


COMMANDS = {"q": Command(q_parser, q_run), "hold": _act("hold"), "release": _act("release"),
            "rm": _act("rm"), "fetchlog": Command(fetchlog_parser, fetchlog_run),
            "wait": Command(wait_parser, wait_run)}




jobsub_q = entry(COMMANDS["q"])
jobsub_hold = entry(COMMANDS["hold"])
jobsub_release = entry(COMMANDS["release"])
jobsub_rm = entry(COMMANDS["rm"])
jobsub_fetchlog = entry(COMMANDS["fetchlog"])
jobsub_wait = entry(COMMANDS["wait"])
