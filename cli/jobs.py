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
from .voice import Activity, voice_of_args


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


def _ids_and_names(args) -> tuple[list, list[str]]:
    """The job ids and the user names among the words (`jobsub_rm -G G USER`)."""
    from jobsub.runtime.jobids import looks_like_id

    names = [w for w in args.ids if not looks_like_id(w)]
    args.ids = [w for w in args.ids if looks_like_id(w)]
    return _ids(args), names



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

def q_parser(prog: str = "jobsub q", description: str | None = None) -> argparse.ArgumentParser:
    p = _parser(prog, description or (
                "Jobs in the queue, as jobsub_q: your own, or with -G GROUP "
                "every user's jobs of the group (as jobsub_lite); condor_q's filters and "
                "output forms with one dash or two."),
                ids="job ids (CLUSTER[.PROC][@SCHEDD], comma lists) or user names")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--user", help="jobs of this owner (default: you, $USER; with -G: "
                     "every user of the group)")
    who.add_argument("-me", "--me", action="store_true", help="only your own jobs, also "
                     "with -G")
    who.add_argument("--all", "-allusers", "--allusers", action="store_true",
                     help="everyone's jobs")
    p.add_argument("--dag", "-dag", metavar="ID", help="a DAGMan job and all its node jobs")
    p.add_argument("--constraint", "-constraint", help="an extra ClassAd constraint")
    p.add_argument("--history", action="store_true", help="finished jobs, from the history")
    state = p.add_argument_group("which jobs (condor_q's; several: any of them)")
    state.add_argument("-hold", "--hold", dest="states", action="append_const", const="held",
                       help="held jobs (the table then ends each line with why)")
    state.add_argument("-run", "--run", dest="states", action="append_const",
                       const="running", help="running jobs")
    state.add_argument("-idle", "--idle", dest="states", action="append_const", const="idle",
                       help="idle jobs")
    form = p.add_argument_group("output (condor_q's; default: jobsub_q's table)")
    shown = form.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON array")
    shown.add_argument("-long", "--long", "-l", action="store_true",
                       help="every attribute of each job (condor_q -long)")
    shown.add_argument("-af", "-autoformat", "--autoformat", nargs="+", metavar="EXPR",
                       dest="autoformat", help="these attributes or expressions, one job a "
                       "line")
    shown.add_argument("-format", "--format", nargs=2, action="append", metavar=("FMT", "EXPR"),
                       dest="format", help="printf FMT of EXPR, repeatable (condor_q -format)")
    shown.add_argument("-totals", "--totals", action="store_true", help="only the totals line")
    shown.add_argument("-better-analyze", "--better-analyze", "-analyze", "--analyze",
                       action="store_true", dest="analyze",
                       help="for each idle or held job: which clause of its requirements no "
                            "slot of the pool meets, and how many slots each rules out")
    form.add_argument("-nobatch", "--nobatch", action="store_true",
                      help="accepted: the table shows every job on its own line already")
    p.add_argument("-name", dest="schedd_name", metavar="SCHEDD", help="= --schedd")
    p.add_argument("--jobsub_server", "--jobsub-server", metavar="URL",
                   help="accepted and not used (jobsub_lite's, for the old servers)")
    pool_arguments(p)
    return p


def q_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime import fanout, queue
    from jobsub.runtime.jobids import parse_ids
    from jobsub.runtime.targets import place

    if args.schedd_name:
        if args.schedd and args.schedd != args.schedd_name:
            p.error("-name and --schedd name different schedds")
        args.schedd = args.schedd_name
    ids, names = _ids_and_names(args)  # jobsub_q -G G USER
    dag = parse_ids([args.dag])[0] if args.dag else None
    user = names or q_owner(args, ids or dag)
    pool = pool_of(args)
    if dag is not None:
        [(schedd, [dag])] = place(pool, [dag], history=args.history).items()
        groups = {schedd: ids}
    elif ids:
        groups = place(pool, ids, history=args.history)
    else:
        groups = {s: [] for s in _everywhere(pool, args)}
    raw = bool(args.long or args.autoformat or args.format or args.analyze)

    def ask(item):
        schedd, wanted = item
        # the group constraint comes from an explicit -G only (jobsub_lite took $GROUP too)
        constraint = queue.constraint_for(wanted, user, args.group, dag, args.constraint,
                                          args.states or ())
        limit = getattr(args, "limit", None)
        if raw:  # (schedd name, ad): what comes back from a fan-out child is pickled
            return [(schedd.name, ad) for ad in queue.fetch_ads(
                schedd, constraint, args.history, projection=None, limit=limit)]
        return queue.fetch(schedd, constraint, history=args.history, limit=limit)
    answers, problems = _answers("q", fanout.each(list(groups.items()), ask))
    found = [item for items in answers for item in items]
    if raw:
        _raw_forms(args, pool, found)
    else:
        rows = queue.grouped(found)
        if args.json:
            print(json.dumps([r.as_json() for r in rows], indent=2))
        else:
            print(queue.format_table(rows, totals_only=args.totals))
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


def history_parser() -> argparse.ArgumentParser:
    p = q_parser("jobsub history", "Finished jobs from the history of every schedd of the "
                 "site (jobsub_history, condor_history): the same table, filters and forms "
                 "as jobsub q.")
    dates = p.add_argument_group("when they were submitted (local time, inclusive)")
    dates.add_argument("--qdate-ge", "--qdate_ge", type=_when, metavar="DATE",
                       help="on or after YYYY-MM-DD[ hh:mm[:ss]]")
    dates.add_argument("--qdate-le", "--qdate_le", type=_until, metavar="DATE",
                       help="on or before YYYY-MM-DD[ hh:mm[:ss]] (a date alone: the whole day)")
    p.add_argument("-limit", "--limit", "-match", "--match", type=int, metavar="N",
                   dest="limit", help="at most N jobs from each schedd, the latest first")
    return p


def history_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    args.history = True
    dates = [f"QDate >= {args.qdate_ge}" if args.qdate_ge is not None else None,
             f"QDate <= {args.qdate_le}" if args.qdate_le is not None else None]
    wanted = [c for c in (*dates, args.constraint and f"({args.constraint})") if c]
    args.constraint = " && ".join(wanted) or None
    return q_run(args, p)


_FORMS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


def _parse_when(text: str) -> tuple[int, bool]:
    """(epoch seconds, whether only a date was given) of a local date and time."""
    import time

    for form in _FORMS:
        try:
            return int(time.mktime(time.strptime(text.strip(), form))), form == "%Y-%m-%d"
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date: write YYYY-MM-DD, or "
                                     "'YYYY-MM-DD hh:mm:ss'")


def _when(text: str) -> int:
    return _parse_when(text)[0]


def _until(text: str) -> int:
    import time

    epoch, date_only = _parse_when(text)
    if not date_only:
        return epoch
    day = time.localtime(epoch)  # the last second of that day, summer time or not
    return int(time.mktime((day.tm_year, day.tm_mon, day.tm_mday + 1, 0, 0, 0, 0, 0, -1))) - 1


def q_owner(args, named) -> str | None:
    """Whose jobs q lists: --user's; yours with -me; everyone's with --all, job ids or
    --dag; with -G GROUP every user's jobs of the group (jobsub_lite's -allusers with the
    group constraint); else yours."""
    if args.user:
        return args.user
    if args.me:
        return current_user()
    if args.all or named or args.group:
        return None
    return current_user()


def _raw_forms(args, pool, found: list) -> None:
    """condor_q's other forms of the ads found."""
    from jobsub.runtime import adforms

    found = sorted(found, key=lambda f: (f[1].get("ClusterId", 0), f[1].get("ProcId", 0)))
    ads = [ad for _schedd, ad in found]
    if args.long:
        print(adforms.long_form(ads), end="")
    elif args.autoformat:
        for line in adforms.autoformat(ads, args.autoformat):
            print(line)
    elif args.format:
        print(adforms.printf(ads, [tuple(pair) for pair in args.format]), end="")
    else:
        _better_analyze(pool, found)


def _better_analyze(pool, found: list) -> None:
    """For each job that waits (idle or held): why no slot runs it."""
    from jobsub.runtime.jobstatus import HELD, IDLE
    from jobsub.runtime.match import check_queued, slots

    waiting = [(s, ad) for s, ad in found if ad.get("JobStatus") in (IDLE, HELD)]
    if not waiting:
        print("no job of these waits (idle or held): nothing to analyze")
        return
    slot_ads = slots(pool)
    for schedd, ad in waiting:
        job = f"{ad['ClusterId']}.{ad['ProcId']}@{schedd}"
        if ad.get("JobStatus") == HELD:
            print(f"{job}: held: {' '.join(str(ad.get('HoldReason') or '').split())}")
            continue
        if ad.get("JobUniverse") == 7:  # the schedd runs it: no slot needed
            print(f"{job}: a scheduler-universe job (DAGMan): the schedd starts it itself")
            continue
        print(f"{job}: {check_queued(job, ad, slot_ads).explain()}")


# --- hold / release / rm --------------------------------------------------------------------

def act_parser(verb: str) -> argparse.ArgumentParser:
    p = _parser(f"jobsub {verb}", f"{verb.capitalize()} jobs, as jobsub_{verb} and condor_{verb}"
                " take them: ids, a user name (every job of that user), a constraint, -all.",
                ids="job ids (CLUSTER[.PROC][@SCHEDD], comma lists) or user names")
    p.add_argument("--constraint", "-constraint", help="every job matching this ClassAd "
                   "constraint")
    p.add_argument("--user", help="every job of this owner")
    p.add_argument("-all", "--all", action="store_true", dest="all_mine",
                   help="every job of yours on every schedd of the site")
    p.add_argument("--reason", "-reason", help="recorded with the action")
    if verb == "hold":
        p.add_argument("-subcode", "--subcode", type=int, metavar="N",
                       help="HoldReasonSubCode recorded with the hold")
    if verb == "rm":
        p.add_argument("-forcex", "--forcex", action="store_true",
                       help="also drop jobs already marked for removal (X) that the schedd "
                            "still keeps (condor_rm -forcex)")
    pool_arguments(p)
    return p


def act_run(args: argparse.Namespace, p: argparse.ArgumentParser, *, verb: str) -> int:
    from jobsub.runtime import fanout
    from jobsub.runtime.actions import act
    from jobsub.runtime.targets import place
    ids, names = _ids_and_names(args)
    users = list(dict.fromkeys([*names, *([args.user] if args.user else []),
                                *([current_user()] if args.all_mine else [])]))
    if not ids and not args.constraint and not users:
        p.error("name the jobs: ids, a user name, --constraint or -all")
    pool = pool_of(args)
    groups = place(pool, ids) if ids else {s: [] for s in _everywhere(pool, args)}
    how = {"subcode": getattr(args, "subcode", None),
           "forcex": getattr(args, "forcex", False)}

    def one(item):
        schedd, wanted = item
        return act(schedd, verb, wanted, args.constraint, users, args.reason, **how)
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
    p.add_argument("--archive-format", "--archive_format", choices=("tar", "zip"),
                   default="tar", help="ID.tgz (default) or ID.zip")
    p.add_argument("--partial", action="store_true",
                   help="the logs and submitted files only (no outputs tars, nothing put in "
                        "place), leaving a finished job unfetched; a running job's are what "
                        "exists so far in any case")
    p.add_argument("--condor", action="store_true",
                   help="accepted: jobsub always fetches from the schedd (jobsub_lite's "
                        "condor_transfer_data path)")
    pool_arguments(p)
    return p


def fetchlog_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime.targets import place

    ids = _ids(args)
    if len(ids) != 1:
        p.error("give exactly one job id")
    [(schedd, [job])] = place(pool_of(args), ids, history=True).items()
    return _fetch_one(schedd, job, args.destdir, args.archive_format, args.partial)


def _fetch_one(schedd, job, destdir: str | None, archive_format: str = "tar",
               partial: bool = False) -> int:
    from jobsub.runtime.fetchlog import fetch

    fetched = fetch(schedd, job, str(job), destdir, archive_format, partial)
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
    with Activity(voice_of_args(args), "waiting", delay=0) as activity:
        result = wait(targets, args.timeout, lambda line: activity.update(f"waiting: {line}"))
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
            "wait": Command(wait_parser, wait_run),
            "history": Command(history_parser, history_run)}




jobsub_q = entry(COMMANDS["q"])
jobsub_hold = entry(COMMANDS["hold"])
jobsub_release = entry(COMMANDS["release"])
jobsub_rm = entry(COMMANDS["rm"])
jobsub_fetchlog = entry(COMMANDS["fetchlog"])
jobsub_wait = entry(COMMANDS["wait"])
jobsub_history = entry(COMMANDS["history"])
