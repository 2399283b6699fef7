"""Run handles: a compiled workflow spooled to one of the site's schedds, then looked at,
waited for and fetched, as `jobsub submit`, `status`, `analyze`, `wait` and `fetchlog` do
it, with Python values instead of printed text."""

from __future__ import annotations

import os
from dataclasses import dataclass
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
    from jobsub.compiler.site.config import load_site
    from jobsub.runtime.pool import PoolSettings
    from jobsub.runtime.submission import pool_for, record_submission, submission_folder

    compiled.write(folder)
    loaded = load_site(site)
    settings = PoolSettings.resolve(collector, schedd, site=loaded)
    wf = compiled.workflow
    assert wf is not None
    spooled = submission_folder(wf, Path(folder), wf.source if os.path.isfile(wf.source)
                                else None)
    pool = pool_for(wf, settings)
    token = compiled.token_files[0] if compiled.token_files else None
    done, _warning = record_submission(pool, wf, spooled, loaded, token=token, record=None)
    return Run(done.job_id, done.again, collector, site)
