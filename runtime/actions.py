"""`jobsub hold|release|rm`: act on jobs named by id, by constraint or by owner, and say what
happened to each one (jobsub_lite: "Job 1234.0 held").

A finished job whose output still waits in the spool for `jobsub fetchlog` is completed
and in the queue (a removed DAG too: its spool holds its rescue DAG): `rm` lets it go (what
it left is discarded) instead of refusing."""

from __future__ import annotations

from dataclasses import dataclass

from jobsub.compiler.base.diagnostics import JobsubError

from .jobids import JobId, any_of, owners
from .jobstatus import FINISHED, HELD, REMOVED, WORD
from .pool import Schedd

VERBS = {
    "hold": ("Hold", "held", lambda status: status not in (*FINISHED, HELD)),
    "release": ("Release", "released", lambda status: status == HELD),
    "rm": ("Remove", "marked for removal", lambda status: status not in FINISHED),
}
_WHY_NOT = {"hold": "cannot be held (it is {state})", "release": "is not held (it is {state})",
            "rm": "cannot be removed (it is {state})"}
_STATE = {**WORD, REMOVED: "already removed"}


@dataclass
class Outcome:
    messages: list[str]
    problems: list[str]


def act(schedd: Schedd, verb: str, ids: list[JobId], constraint: str | None = None,
        users: str | list[str] | None = None, reason: str | None = None, *,
        subcode: int | None = None, forcex: bool = False) -> Outcome:
    """Apply `verb` to the selected jobs of this schedd (ids, and those of `constraint`
    and of `users`); every job gets a line. `subcode`: the HoldReasonSubCode of a hold;
    `forcex`: rm also drops jobs already removed that the schedd still keeps."""
    action_name, done, allowed = VERBS[verb]
    users = [users] if isinstance(users, str) else list(users or [])
    parts = []
    if ids:
        parts.append(f"({any_of(ids)})")
    if constraint:
        parts.append(f"({constraint})")
    if users:
        parts.append(owners(users))
    if not parts:
        raise JobsubError(f"jobsub {verb}: name the jobs (ids, --constraint or --user)")
    ads = schedd.call("querying the queue", schedd.schedd.query, " && ".join(parts),
                      ["ClusterId", "ProcId", "JobStatus"])
    found = {(ad["ClusterId"], ad["ProcId"]): ad["JobStatus"] for ad in ads
             if ids or ad["JobStatus"] not in FINISHED
             or (forcex and ad["JobStatus"] == REMOVED)}  # ended: only if named
    problems = []
    for job in ids:
        if not any(c == job.cluster and (job.proc is None or p == job.proc) for c, p in found):
            problems.append(f"job {job.local()} is not in the queue of schedd {schedd.name}")
    if not found and not ids:
        problems.append(f"no job matches on schedd {schedd.name}")
    targets, finished, forced = [], [], []
    for (cluster, proc), status in sorted(found.items()):
        if allowed(status):
            targets.append(f"{cluster}.{proc}")
        elif verb == "rm" and forcex and status == REMOVED:
            forced.append(f"{cluster}.{proc}")
        elif verb == "rm" and status in FINISHED:
            finished.append(f"{cluster}.{proc}")
        else:
            problems.append(f"job {cluster}.{proc} "
                            + _WHY_NOT[verb].format(state=_STATE.get(status, "unknown")))
    messages = []
    if finished:
        schedd.call("letting finished jobs go", schedd.schedd.edit, finished,
                    "LeaveJobInQueue", "false")
        messages += [f"Job {t} removed (it had ended; what it left unfetched is discarded)"
                     for t in finished]
    if targets:
        action = getattr(schedd.htcondor.JobAction, action_name)
        # (reason, code): the bindings drop a reason given as a plain string
        result = schedd.call(f"{verb} of {len(targets)} job(s)", schedd.schedd.act, action,
                             targets, (reason or f"by jobsub {verb}", subcode))
        _said(result, targets, verb, done, schedd, messages, problems)
    if forced:
        result = schedd.call(f"rm -forcex of {len(forced)} job(s)", schedd.schedd.act,
                             schedd.htcondor.JobAction.RemoveX, forced,
                             (reason or "by jobsub rm -forcex", None))
        _said(result, forced, "rm -forcex", "removed from the queue (forced)", schedd,
              messages, problems)
    return Outcome(messages, problems)


def _said(result, targets: list[str], verb: str, done: str, schedd: Schedd,
          messages: list[str], problems: list[str]) -> None:
    """What the schedd's answer to an action says: each job's line, or the problem."""
    succeeded = int(result.get("TotalSuccess", 0))
    denied = int(result.get("TotalPermissionDenied", 0))
    if denied:
        problems.append(f"not allowed to {verb} {denied} job(s) on schedd {schedd.name}")
    if succeeded == len(targets):
        messages += [f"Job {t} {done}" for t in targets]
    elif not denied:
        problems.append(f"schedd {schedd.name} acted on {succeeded} of {len(targets)} jobs")
