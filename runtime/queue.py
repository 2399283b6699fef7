"""`jobsub q`: jobs in the queue (or history) as jobsub_q shows them, DAG nodes grouped
under their DAGMan job, with jobsub_lite's totals line."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from .adforms import duration
from .jobids import JobId, any_of, owners, quote
from .jobstatus import HELD, IDLE, LETTER, RUNNING, WORD
from .pool import Schedd

STATUS_NAME = {LETTER[status]: word for status, word in WORD.items()}
PROJECTION = ["ClusterId", "ProcId", "Owner", "QDate", "JobStatus", "JobPrio", "ImageSize",
              "Cmd", "Args", "Arguments", "JobsubCmd", "DAGManJobId", "DAGNodeName",
              "RemoteWallClockTime", "JobCurrentStartDate", "EnteredCurrentStatus",
              "ExitCode", "HoldReason", "JobUniverse", "Jobsub_Group", "AcctGroup"]


@dataclass
class Row:
    jobsubjobid: str
    cluster: int
    proc: int
    owner: str
    submitted: int  # epoch seconds
    runtime: int  # seconds
    status: str  # one letter, as condor_q
    priority: int
    size_mb: float
    command: str
    dag: str | None  # JOBSUBJOBID of the DAGMan job that runs this node
    node: str | None
    exit_code: int | None
    hold_reason: str | None

    def as_json(self) -> dict:
        data = asdict(self)
        data["status_name"] = STATUS_NAME.get(self.status, "unknown")
        return data


#: condor_q's state filters (-hold, -run, -idle).
STATES = {"idle": IDLE, "running": RUNNING, "held": HELD}


def constraint_for(ids: list[JobId], user: str | list[str] | None, group: str | None,
                   dag: JobId | None, extra: str | None, states: tuple = ()) -> str:
    parts = []
    if states:
        parts.append("(" + " || ".join(f"JobStatus == {STATES[s]}"
                                       for s in dict.fromkeys(states)) + ")")
    if ids:
        parts.append(f"({any_of(ids)})")
    if dag is not None:
        parts.append(f"(ClusterId == {dag.cluster} || DAGManJobId == {dag.cluster})")
    users = [user] if isinstance(user, str) else list(user or [])
    if users:
        parts.append(owners(users))
    if group:
        parts.append(f"(Jobsub_Group == {quote(group)} || AcctGroup == {quote('group_' + group)}"
                     f" || AcctGroup == {quote(group)})")
    if extra:
        parts.append(f"({extra})")
    return " && ".join(parts) or "true"


def _command(ad) -> str:
    if ad.get("JobsubCmd"):
        return str(ad["JobsubCmd"])
    cmd = os.path.basename(str(ad.get("Cmd", "")))
    args = ad.get("Arguments") or ad.get("Args") or ""
    return f"{cmd} {args}".strip()


def to_row(ad, schedd: str, now: float | None = None) -> Row:
    now = time.time() if now is None else now
    status = LETTER.get(ad.get("JobStatus"), "?")
    runtime = int(ad.get("RemoteWallClockTime") or 0)
    if status == "R" and ad.get("JobCurrentStartDate"):
        runtime += max(0, int(now - ad["JobCurrentStartDate"]))
    dag = _defined(ad.get("DAGManJobId"), int)
    return Row(
        jobsubjobid=f"{ad['ClusterId']}.{ad['ProcId']}@{schedd}",
        cluster=int(ad["ClusterId"]), proc=int(ad["ProcId"]), owner=str(ad.get("Owner", "")),
        submitted=int(ad.get("QDate") or 0), runtime=runtime, status=status,
        priority=int(ad.get("JobPrio") or 0),
        size_mb=round(float(ad.get("ImageSize") or 0) / 1024.0, 1),
        command=_command(ad), dag=f"{int(dag)}.0@{schedd}" if dag is not None else None,
        node=_defined(ad.get("DAGNodeName"), str),
        exit_code=_defined(ad.get("ExitCode"), int),
        hold_reason=_defined(ad.get("HoldReason"), str))


def _defined(value, kind):
    """`value` if it is a `kind`; None for a missing or `undefined` attribute (the schedd
    sends `HoldReason = undefined` for a job that was held and released)."""
    return value if isinstance(value, kind) and not isinstance(value, bool) else None


def fetch(schedd: Schedd, constraint: str, history: bool = False,
          limit: int | None = None) -> list[Row]:
    return [to_row(ad, schedd.name) for ad in fetch_ads(schedd, constraint, history,
                                                        limit=limit)]


def fetch_ads(schedd: Schedd, constraint: str, history: bool = False,
              projection: list[str] | None = PROJECTION, limit: int | None = None) -> list:
    """The job ads (every attribute with `projection=None`), from the queue or history;
    at most `limit` (the history's latest first)."""
    wanted = projection or []
    count = -1 if limit is None else limit
    if history:
        return list(schedd.call("reading the job history", schedd.schedd.history, constraint,
                                wanted, match=count))
    return list(schedd.call("querying the queue", schedd.schedd.query, constraint, wanted,
                            limit=count))


def grouped(rows: list[Row]) -> list[Row]:
    """Rows ordered by job id, each DAG's node jobs right after its DAGMan job."""
    rows = sorted(rows, key=lambda r: (r.cluster, r.proc))
    present = {r.jobsubjobid for r in rows}
    children: dict[str, list[Row]] = {}
    top = []
    for r in rows:
        if r.dag and r.dag in present:
            children.setdefault(r.dag, []).append(r)
        else:
            top.append(r)
    out = []

    def add(row: Row) -> None:
        out.append(row)
        for child in children.get(row.jobsubjobid, []):
            add(child)
    for r in top:
        add(r)
    return out


def _depth(row: Row, by_id: dict[str, Row]) -> int:
    depth, seen = 0, set()
    while row.dag and row.dag in by_id and row.dag not in seen:
        seen.add(row.dag)
        row = by_id[row.dag]
        depth += 1
    return depth


#: jobsub_q's header line, as jobsub_lite prints it above its -format columns.
HEADER_LINE = ("JOBSUBJOBID                             OWNER       \tSUBMITTED     RUNTIME   "
               "ST PRIO   SIZE  COMMAND")


def format_table(rows: list[Row], totals_only: bool = False) -> str:
    """jobsub_q's table (its header and -format columns), the totals line last;
    `totals_only`: the totals line alone (condor_q -totals)."""
    if totals_only:
        return totals(rows)
    by_id = {r.jobsubjobid: r for r in rows}
    lines = [HEADER_LINE]
    for r in rows:
        depth = _depth(r, by_id)
        command = ("  " * (depth - 1) + f"|-{r.node} " if depth else "") + r.command
        if r.status == "H" and r.hold_reason:
            command += f"  [held: {' '.join(str(r.hold_reason).split())}]"
        lines.append(_line(r, time.strftime("%m/%d %H:%M", time.localtime(r.submitted)),
                           command))
    lines.append(totals(rows))
    return "\n".join(lines)


def _line(r: Row, submitted: str, command: str) -> str:
    """jobsub_q's -format columns: %-40s id, %-10s\\t owner, %-11s submitted, %T runtime,
    ' %s ' status, ' %3d ' priority, %6.1f size in MB, then the command."""
    return (f"{r.jobsubjobid:<40}{r.owner:<10}\t{submitted:<11} {duration(r.runtime)} "
            f" {r.status}  {r.priority:3d} {r.size_mb:6.1f} {command}").rstrip()


def totals(rows: list[Row]) -> str:
    count = {k: sum(1 for r in rows if r.status == k) for k in "CXIRHS"}
    return (f"{len(rows)} total; {count['C']} completed, {count['X']} removed, "
            f"{count['I']} idle, {count['R']} running, {count['H']} held, "
            f"{count['S']} suspended")
