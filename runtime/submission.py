"""Submitting a compiled folder: one job through `Schedd.submit`, a DAG through
`Submit.from_dag` + `Schedd.submit`, each exactly once.

"Exactly once": before submitting, a journal entry keyed by the folder's content (and the
schedd and user) is written; the job ad carries the same key as `JobsubSubmitId`. If a
previous attempt left its entry behind (it failed or its reply was lost), the schedd is asked
whether a job with that key exists, and it is reported instead of being submitted again.
Submitting the same workflow again on purpose, after a confirmed submission, is allowed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from jobsub.compiler.diagnostics import JobsubError
from jobsub.compiler.output import MARKER

from .connection import Pool
from .jobids import quote


@dataclass(frozen=True)
class Submitted:
    cluster: int
    procs: int
    schedd: str
    again: bool = False  # found from an earlier attempt, not submitted now

    @property
    def job_id(self) -> str:
        return f"{self.cluster}.0@{self.schedd}"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return Path(base) / "jobsub" / "submitting"


def submission_key(folder: Path, schedd: str, user: str) -> str:
    """Same folder content, schedd and user: same key."""
    digest = hashlib.sha256(f"{schedd}\0{user}\0".encode())
    listing = (folder / MARKER).read_text().splitlines() if (folder / MARKER).exists() else []
    for rel in sorted(listing):
        digest.update(rel.encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256((folder / rel).read_bytes()).digest())
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """HTCondor takes relative paths (and the job's Iwd) from the submitting directory."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _credentials(pool: Pool, description, token: str | None) -> Iterator[None]:
    """Store the job's token with the credd (as condor_submit does for use_oauth_services),
    from a private copy that is gone when this block ends."""
    if token is None:
        yield
        return
    from .tokens import private_copy

    saved = os.environ.get("BEARER_TOKEN_FILE")
    with private_copy(token) as copy:
        os.environ["BEARER_TOKEN_FILE"] = copy
        try:
            url = pool.call("storing the job's token", description.issue_credentials)
            if url:
                raise JobsubError("the credd asks for a login before it can store the token",
                                  hint=f"visit {url}, then submit again")
            yield
        finally:
            if saved is None:
                os.environ.pop("BEARER_TOKEN_FILE", None)
            else:
                os.environ["BEARER_TOKEN_FILE"] = saved


def _find_existing(pool: Pool, key: str) -> Submitted | None:
    constraint = f"JobsubSubmitId == {quote(key)}"
    projection = ["ClusterId", "ProcId"]
    ads = pool.call("looking for an earlier submission", pool.schedd.query, constraint,
                    projection)
    if not ads:
        ads = pool.call("looking for an earlier submission", pool.schedd.history, constraint,
                        projection, match=1000)
    if not ads:
        return None
    clusters = sorted({ad["ClusterId"] for ad in ads})
    first = clusters[0]
    return Submitted(first, sum(1 for ad in ads if ad["ClusterId"] == first), pool.name,
                     again=True)


def submit_folder(pool: Pool, folder: Path, top_file: str, is_dag: bool, user: str,
                  token: str | None = None) -> Submitted:
    """Submit the compiled `folder`; `top_file` is its .dag (is_dag) or its one .sub.
    With `token` (the jobs use OAuth services), a private 0600 copy of it is handed to the
    credd first and removed afterwards, whatever happens."""
    htcondor2 = pool.htcondor
    folder = folder.resolve()
    key = submission_key(folder, pool.name, user)
    journal = state_dir() / key
    if journal.exists():
        earlier = _find_existing(pool, key)
        if earlier is not None:
            journal.unlink(missing_ok=True)
            return earlier
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_text(f"{folder}\n")
    with _working_directory(folder):
        if is_dag:
            if shutil.which("condor_dagman") is None:
                raise JobsubError("cannot submit a DAG: condor_dagman is not on PATH",
                                  hint="install HTCondor's DAGMan on this machine, or put "
                                       "condor_dagman on PATH")
            description = pool.call("preparing the DAGMan job", htcondor2.Submit.from_dag,
                                    top_file, {"force": True})
        else:
            description = htcondor2.Submit((folder / top_file).read_text())
        description["MY.JobsubSubmitId"] = quote(key)
        with _credentials(pool, description, token):
            result = pool.call("submitting", pool.schedd.submit, description)
    journal.unlink(missing_ok=True)
    return Submitted(result.cluster(), result.num_procs(), pool.name)
