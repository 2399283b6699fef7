"""Which schedd each job id a user typed is on.

`1234.0@name` names its schedd. A bare `1234.0` is looked for on every schedd of the site
(cluster numbers repeat across schedds): found on one, it is that one; found on several,
the user must say which; found on none, it is reported as such.
"""

from __future__ import annotations

from jobsub.compiler.base.diagnostics import JobsubError

from . import fanout
from .jobids import JobId, any_of
from .pool import Pool, Schedd


def _present(history: bool):
    def ask(item: tuple[Schedd, list[JobId]]) -> set[tuple[int, int]]:
        schedd, ids = item
        constraint = any_of(ids)
        ads = schedd.call("querying the queue", schedd.schedd.query, constraint,
                          ["ClusterId", "ProcId"])
        if history and not ads:
            oldest = min(j.cluster for j in ids)
            ads = schedd.call("reading the job history", schedd.schedd.history, constraint,
                              ["ClusterId", "ProcId"], match=len(ids),
                              since=f"ClusterId < {oldest}")
        return {(int(ad["ClusterId"]), int(ad["ProcId"])) for ad in ads}
    return ask


def _matches(job: JobId, found: set[tuple[int, int]]) -> bool:
    return any(c == job.cluster and (job.proc is None or p == job.proc) for c, p in found)


def place(pool: Pool, ids: list[JobId], history: bool = False) -> dict[Schedd, list[JobId]]:
    """Each id's schedd (every id comes back qualified with it). Raises JobsubError for an
    id whose schedd does not exist, or a bare id on no schedd or on several."""
    out: dict[Schedd, list[JobId]] = {}
    bare = []
    for job in ids:
        if job.schedd is not None:
            schedd = pool.schedd(job.schedd)
            out.setdefault(schedd, []).append(job)
        else:
            bare.append(job)
    if not bare:
        return out
    schedds = pool.schedds()
    if len(schedds) == 1:
        out.setdefault(schedds[0], []).extend(
            JobId(j.cluster, j.proc, schedds[0].name) for j in bare)
        return out
    answers = fanout.each([(s, bare) for s in schedds], _present(history))
    for answer in answers:
        if isinstance(answer, JobsubError):
            raise answer
    for job in bare:
        on = [s for s, found in zip(schedds, answers, strict=True) if _matches(job, found)]
        if not on:
            raise JobsubError(f"job {job} is on none of the site's schedds: "
                              + ", ".join(s.name for s in schedds),
                              hint="write the id as jobsub printed it: CLUSTER.PROC@SCHEDD")
        if len(on) > 1:
            raise JobsubError(f"job {job} is on several schedds: "
                              + ", ".join(f"{job}@{s.name}" for s in on),
                              hint="say which: CLUSTER.PROC@SCHEDD")
        out.setdefault(on[0], []).append(JobId(job.cluster, job.proc, on[0].name))
    return out
