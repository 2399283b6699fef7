"""Run handles: a compiled workflow spooled to one of the site's schedds, then looked at,
waited for and fetched, as `jobsub submit`, `status`, `analyze`, `wait` and `fetchlog` do
it, with Python values instead of printed text."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobsub.compiler.base.diagnostics import JobsubError

from .results import Compiled


@dataclass
class Run:
    """A submission: `job_id` is `CLUSTER.0@SCHEDD` (the DAGMan job of a DAG)."""

    job_id: str
    #: True when an earlier, unfinished attempt to submit the same folder had queued it
    earlier: bool = False
    collector: str | None = None
    site: str | None = None
    #: what went wrong beside the submission (it was not recorded on this machine: a
    #: rescue or fetchlog from here has no record to start from)
    warnings: list[str] = field(default_factory=list)

    def _pool(self):
        from jobsub.compiler.site.config import load_site
        from jobsub.runtime.pool import Pool, PoolSettings

        return Pool(PoolSettings.resolve(self.collector, site=load_site(self.site)))

    def _subject(self):
        from jobsub.runtime.subject import find

        return find(self._pool, self.job_id)

    def status(self) -> dict[str, Any]:
        """What `jobsub status ID --json` prints: state, totals, per job group."""
        from jobsub.runtime.overview import current_status

        current, _ = current_status(self._subject())
        return current.as_json()

    def analyze(self) -> dict[str, Any]:
        """What `jobsub analyze ID --json` prints: each failed or held node, its cause and
        the line of the workflow that made it."""
        from jobsub.runtime.overview import analysis

        return analysis(self._subject()).as_json()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until it has ended (or `timeout` seconds); True if it succeeded. Raises
        JobsubError when it cannot go on by itself (held, or DAGMan could not start)."""
        from jobsub.runtime.jobids import parse_ids
        from jobsub.runtime.targets import place
        from jobsub.runtime.wait import wait

        result = wait(place(self._pool(), parse_ids([self.job_id]), history=True), timeout)
        if not result.ok and not result.finished:
            raise JobsubError(f"{self.job_id}: " + "; ".join(result.lines))
        return result.ok

    def rescue(self, *, workflow: str | os.PathLike | None = None, dry_run: bool = False,
               folder: str | os.PathLike | None = None) -> Rescue:
        """Run a failed (or removed) DAG again from DAGMan's rescue DAG, as `jobsub rescue`:
        its workflow file compiled again the same way (or `workflow`), done nodes kept.
        `dry_run`: only say what would run. The new submission's files go to `folder`
        (default: a new folder under jobsub's cache)."""
        plan = plan_rescue(self._subject(), workflow=workflow, obtain_tokens=not dry_run)
        if dry_run:
            return plan
        out = Path(folder) if folder is not None else Path(cache_dir())
        plan.compiled.write(out)
        site = plan.record["compile"].get("site_config") or self.site  # as it was compiled
        plan.run = _spool(plan.compiled, out, self.collector, None, site, plan.record,
                          plan.workflow)
        return plan

    def fetch(self, destdir: str | os.PathLike | None = None) -> Path:
        """Its files from the schedd's spool, as `jobsub fetchlog` fetches them: into
        `destdir`, else as ID.tgz here; -d/-L outputs put in place. Returns where."""
        from jobsub.runtime.fetchlog import fetch
        from jobsub.runtime.jobids import parse_ids
        from jobsub.runtime.targets import place

        [(schedd, [job])] = place(self._pool(), parse_ids([self.job_id]), history=True).items()
        fetched = fetch(schedd, job, str(job), os.fspath(destdir) if destdir else None)
        if fetched.problems:
            raise JobsubError(f"{self.job_id}: " + "; ".join(fetched.problems))
        return Path(fetched.where)


def submit(compiled: Compiled, folder: str | os.PathLike, *, collector: str | None = None,
           schedd: str | None = None, site: str | None = None) -> Run:
    """Write `compiled` into `folder` and spool it to a schedd of the site (exactly once:
    calling again after a failure finishes that attempt, never doubles it), with the token
    its jobs' OAuth lines came from (compile with obtain_tokens=True to get one)."""
    compiled.write(folder)
    wf = compiled.workflow
    assert wf is not None
    source = wf.source if os.path.isfile(wf.source) else None
    record = {"compile": compiled.recorded} if compiled.recorded else None
    return _spool(compiled, Path(folder), collector, schedd, site, record, source)


def _spool(compiled: Compiled, folder: Path, collector: str | None, schedd: str | None,
           site: str | None, record: dict | None, source: str | None) -> Run:
    from jobsub.compiler.site.config import load_site, with_pool
    from jobsub.runtime.pool import PoolSettings
    from jobsub.runtime.submission import pool_for, record_submission, submission_folder

    # the pool it was compiled for (--global-pool, kept in the record), as jobsub rescue does
    pool_name = ((record or {}).get("compile") or {}).get("global_pool")
    loaded = with_pool(load_site(site), pool_name, os.environ)
    settings = PoolSettings.resolve(collector, schedd, site=loaded)
    wf = compiled.workflow
    spooled = submission_folder(wf, folder, source)
    done, warning = record_submission(pool_for(wf, settings), wf, spooled, loaded,
                                      token=compiled.token, record=record)
    # a chosen pool's collector is kept: the run's later questions go there too
    return Run(done.job_id, done.again, settings.collector if loaded.pool else collector,
               site, [warning] if warning else [])


def cache_dir() -> str:
    """Where a submission's folder goes unless told: $JOBSUB_SUBMIT_DIR, else
    ~/.cache/jobsub, one js_DATE_ID folder each (jobsub_lite used ~/.cache/jobsub_lite)."""
    import time
    import uuid

    from jobsub.compiler.base.cache import user_cache

    base = os.environ.get("JOBSUB_SUBMIT_DIR") or user_cache()
    return os.path.join(base, f"js_{time.strftime('%Y_%m_%d_%H%M%S')}_{uuid.uuid4().hex[:12]}")


@dataclass
class Rescue:
    """A rescue of a DAG: the rescue DAG it starts from, the nodes it keeps and runs again;
    `run` is the new submission (None when only planned)."""

    rescue_of: str
    rescue_file: str
    done: int
    to_run: int
    failed: list[str]
    workflow: str
    compiled: Compiled
    record: dict
    run: Run | None = None

    def as_json(self) -> dict[str, Any]:
        return {"rescue_of": self.rescue_of, "rescue_file": self.rescue_file,
                "done": self.done, "to_run": self.to_run, "failed": self.failed,
                "job_id": self.run.job_id if self.run else None}


def plan_rescue(subject, *, workflow: str | os.PathLike | None = None,
                obtain_tokens: bool = False) -> Rescue:
    """What a rescue of `subject` (a DAG that ended) would run: its workflow compiled again
    as its submission's record says, checked against the nodes DAGMan finished. Raises
    JobsubError when there is nothing to rescue or the workflow no longer fits."""
    from jobsub.compiler.base.diagnostics import Sink
    from jobsub.compiler.emit.nodemap import MAP_FILE
    from jobsub.compiler.emit.output import OutFile
    from jobsub.runtime import rescue
    from jobsub.runtime import subject as subjects
    from jobsub.runtime.nodemap import parse

    from .results import compile_with

    if not subject.is_dag:
        raise JobsubError(f"{subject.label} is a single job, not a DAG: there is no rescue",
                          hint="submit it again")
    if subject.in_queue and not subject.finished:
        raise JobsubError(f"DAG {subject.label} is still in the queue; a rescue would run its "
                          "nodes twice", hint=f"wait for it (jobsub wait {subject.label}) or "
                                              f"remove it first (jobsub rm {subject.label}), "
                                              "which writes the rescue DAG")
    record = subject.record or {}
    how = record.get("compile")
    workflow = os.fspath(workflow) if workflow else record.get("workflow")
    if not workflow or not how:
        raise JobsubError(f"this machine has no record of how {subject.label} was compiled",
                          hint="rescue it where it was submitted from (or give the workflow "
                               "file, compiled with no extra options)")
    compiled = compile_with(workflow, dict(how.get("options") or {}), Sink(),
                            site=how.get("site_config"),
                            condor_version=how.get("condor_version"),
                            obtain_tokens=obtain_tokens, global_pool=how.get("global_pool"))
    if compiled.errors:  # every diagnostic, warnings too, as a compile prints them
        raise JobsubError(diagnostics=compiled.diagnostics)
    wf = compiled.workflow
    new = parse(compiled.text(MAP_FILE), os.path.dirname(os.path.abspath(workflow)))
    with subjects.files(subject) as folder:
        if folder is None:
            raise JobsubError(f"the files of {subject.label} are gone (removed from the "
                              "schedd and never fetched here): there is no rescue DAG to "
                              "start from", hint="submit the workflow again")
        old = subjects.node_map(subject, folder)
        planned = rescue.plan(folder, subject.top_file or f"{wf.name}.dag", old, new)
    compiled.files = [*compiled.files, *(OutFile(n, data=d) for n, d in planned.extra_files)]
    name = os.path.basename(planned.rescue.path)
    return Rescue(subject.label, name, planned.done, planned.to_run, planned.failed, workflow,
                  compiled, {"compile": how, "rescue_of": subject.label, "rescue_from": name})
