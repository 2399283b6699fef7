"""`jobsub q|hold|release|rm|fetchlog|wait` and their jobsub_lite names (`jobsub_q`, ...).

These take jobsub_lite's arguments (`-G`, `--role`, job ids positionally or with `-J/--jobid`)
plus `--collector` and `--schedd`; argparse is enough here (bad usage exits 2), and every
failure a user can meet is one line on stderr with exit status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("pool and accounting")
    g.add_argument("-G", "--group", help="experiment/group (jobsub_lite; q filters by it)")
    g.add_argument("--role", help="accepted for jobsub_lite compatibility")
    g.add_argument("--subgroup", help="accepted for jobsub_lite compatibility")
    g.add_argument("--collector", "--pool", dest="collector", metavar="HOST[:PORT]",
                   help="collector to ask for the schedd (default: $JOBSUB_COLLECTOR, "
                        "then the local HTCondor configuration)")
    g.add_argument("--schedd", metavar="NAME",
                   help="schedd name (default: $JOBSUB_SCHEDD, then the local schedd)")
    g.add_argument("--site-config", metavar="FILE",
                   help="site configuration file (default: $JOBSUB_SITE_CONFIG, "
                        "~/.config/jobsub/site.yaml, /etc/jobsub/site.yaml)")
    g.add_argument("--verbose", type=int, default=0, help=argparse.SUPPRESS)
    g.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)


def _pool(args, schedd: str | None = None):
    from jobsub.compiler.siteconfig import load_site
    from jobsub.runtime.connection import Pool, PoolSettings

    site = load_site(args.site_config)
    return Pool(PoolSettings.resolve(args.collector, schedd or args.schedd, site=site))


def _ids(args) -> list:
    from jobsub.runtime.jobids import parse_ids

    return parse_ids([*getattr(args, "ids", []), *(args.jobid or [])])


def _user(env=os.environ) -> str | None:
    return env.get("JOBSUB_USER") or env.get("USER") or env.get("LOGNAME")


# --- q -------------------------------------------------------------------------------------

def q_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub q", description="Jobs in the queue, as jobsub_q.")
    p.add_argument("ids", nargs="*", help="job ids: CLUSTER[.PROC][@SCHEDD], comma lists")
    p.add_argument("-J", "--jobid", action="append", help="a job id (jobsub_lite spelling)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--user", help="jobs of this owner (default: you, $USER)")
    who.add_argument("--all", action="store_true", help="everyone's jobs")
    p.add_argument("--dag", metavar="ID", help="a DAGMan job and all its node jobs")
    p.add_argument("--constraint", help="an extra ClassAd constraint")
    p.add_argument("--history", action="store_true", help="finished jobs, from the history")
    p.add_argument("--json", action="store_true", help="one JSON array")
    _common(p)
    args = p.parse_args(argv)

    from jobsub.runtime import queue
    from jobsub.runtime.jobids import by_schedd, parse_ids

    ids = _ids(args)
    dag = parse_ids([args.dag])[0] if args.dag else None
    user = args.user or (None if (args.all or ids or dag) else _user())
    pool = _pool(args, dag.schedd if dag else None)
    rows = []
    groups = by_schedd(ids, pool.name) if ids else {pool.name: []}
    for name, wanted in groups.items():
        target = pool.other(name)
        constraint = queue.constraint_for(wanted, user, args.group, dag, args.constraint)
        rows += queue.fetch(target, constraint, history=args.history)
    rows = queue.grouped(rows)
    if args.json:
        print(json.dumps([r.as_json() for r in rows], indent=2))
    else:
        print(queue.format_table(rows))
    return 0


# --- hold / release / rm --------------------------------------------------------------------

def _act_main(verb: str, argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog=f"jobsub {verb}",
                                description=f"{verb.capitalize()} jobs, as jobsub_{verb}.")
    p.add_argument("ids", nargs="*", help="job ids: CLUSTER[.PROC][@SCHEDD], comma lists")
    p.add_argument("-J", "--jobid", action="append", help="a job id (jobsub_lite spelling)")
    p.add_argument("--constraint", help="every job matching this ClassAd constraint")
    p.add_argument("--user", help="every job of this owner")
    p.add_argument("--reason", help="recorded with the action")
    _common(p)
    args = p.parse_args(argv)

    from jobsub.runtime.actions import act
    from jobsub.runtime.jobids import by_schedd

    ids = _ids(args)
    if not ids and not args.constraint and not args.user:
        p.error("name the jobs: ids, --constraint or --user")
    pool = _pool(args)
    problems = []
    groups = by_schedd(ids, pool.name) if ids else {pool.name: []}
    for name, wanted in groups.items():
        outcome = act(pool.other(name), verb, wanted, args.constraint, args.user, args.reason)
        for line in outcome.messages:
            print(line)
        problems += outcome.problems
    for line in problems:
        print(f"jobsub {verb}: {line}", file=sys.stderr)
    return 1 if problems else 0


def hold_main(argv: list[str]) -> int:
    return _act_main("hold", argv)


def release_main(argv: list[str]) -> int:
    return _act_main("release", argv)


def rm_main(argv: list[str]) -> int:
    return _act_main("rm", argv)


# --- fetchlog -------------------------------------------------------------------------------

def fetchlog_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub fetchlog",
                                description="A job's (or a whole DAG's) logs and submit files.")
    p.add_argument("ids", nargs="*", help="the job id")
    p.add_argument("-J", "--jobid", action="append", help="the job id (jobsub_lite spelling)")
    p.add_argument("--destdir", "--dest-dir", "--unzipdir", dest="destdir", metavar="DIR",
                   help="copy the files into DIR instead of writing ID.tgz")
    _common(p)
    args = p.parse_args(argv)

    from jobsub.runtime.fetchlog import fetch

    ids = _ids(args)
    if len(ids) != 1:
        p.error("give exactly one job id")
    pool = _pool(args, ids[0].schedd)
    where, count = fetch(pool, ids[0], str(ids[0]) if ids[0].schedd else
                         f"{ids[0]}@{pool.name}", args.destdir)
    print(f"fetched {count} file(s) of job {ids[0].local()} into {where}")
    return 0


# --- wait -----------------------------------------------------------------------------------

def wait_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub wait",
                                description="Wait until jobs are done; exit 0 if all "
                                            "completed with exit code 0.")
    p.add_argument("ids", nargs="*", help="job ids: CLUSTER[.PROC][@SCHEDD], comma lists")
    p.add_argument("-J", "--jobid", action="append", help="a job id (jobsub_lite spelling)")
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="give up after this long")
    _common(p)
    args = p.parse_args(argv)

    from jobsub.runtime.jobids import by_schedd
    from jobsub.runtime.wait import wait

    ids = _ids(args)
    if not ids:
        p.error("give the job ids to wait for")
    pool = _pool(args)
    tty = sys.stderr.isatty()

    def progress(line: str) -> None:
        if tty:
            print(f"\r\033[Kwaiting: {line}", end="", file=sys.stderr, flush=True)

    ok = True
    for name, wanted in by_schedd(ids, pool.name).items():
        result = wait(pool.other(name), wanted, args.timeout, progress)
        if tty:
            print("\r\033[K", end="", file=sys.stderr)
        for line in result.lines:
            print(line)
        ok &= result.ok
    return 0 if ok else 1


COMMANDS = {"q": q_main, "hold": hold_main, "release": release_main, "rm": rm_main,
            "fetchlog": fetchlog_main, "wait": wait_main}


def _entry(fn):
    def run(argv: list[str] | None = None) -> int:
        from .main import run_guarded

        return run_guarded(fn, sys.argv[1:] if argv is None else argv)
    return run


jobsub_q = _entry(q_main)
jobsub_hold = _entry(hold_main)
jobsub_release = _entry(release_main)
jobsub_rm = _entry(rm_main)
jobsub_fetchlog = _entry(fetchlog_main)
jobsub_wait = _entry(wait_main)
