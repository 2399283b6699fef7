"""Submitting a compiled folder to a schedd that shares no files with this machine: spooled,
exactly once.

Spooled: the job (or, for a DAG, a scheduler-universe DAGMan job, see dagman.py) is queued
held ("spooling input", hold code 16), then the folder's files are sent into its spool
directory; the schedd releases it when they are there. From then on the folder is not
needed: DAGMan and the jobs run from the spool, and their output waits there for
`jobsub fetchlog` (fetchlog.py).

Exactly once: before submitting, a journal entry named by the folder's content and the user
records the schedd chosen and a fresh attempt id; the job ad carries the id as
`JobsubSubmitId`. A later attempt that finds the entry asks that schedd for the id: a job
found is reported instead of being submitted again (a finished submission of the same
content has another id: submitting a folder again on purpose is a new submission); a job
left held in "spooling input" (the files never arrived: the client died or the connection
broke) is removed and the folder submitted anew. A spool step that
fails removes its own held job at once; should even that fail, the next attempt does it,
and the job itself is removed after SPOOL_TIMEOUT_S should nobody ever try again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jobsub.compiler.base.conventions import MARKER
from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.emit.nodemap import MAP_FILE

from . import dagman, records
from .jobids import quote
from .jobstatus import COMPLETED as STATUS_COMPLETED
from .jobstatus import HELD as STATUS_HELD
from .jobstatus import REMOVED as STATUS_REMOVED
from .pool import Pool, Schedd

#: Held for spooling input (HTCondor's CONDOR_HOLD_CODE::SpoolingInput).
SPOOLING_INPUT = 16
SPOOL_TIMEOUT_S = 3600
RELEASE_WAIT_S = 30.0
SCHEDULER_UNIVERSE = 7


@dataclass(frozen=True)
class Submitted:
    cluster: int
    procs: int
    schedd: str
    again: bool = False  # found from an earlier attempt, not submitted now

    @property
    def job_id(self) -> str:
        return f"{self.cluster}.0@{self.schedd}"


@dataclass(frozen=True)
class Folder:
    """A compiled folder, as the runtime submits it."""

    path: Path
    top_file: str  # its .dag (kind "dag") or its one .sub
    is_dag: bool
    user: str
    group: str | None = None
    source: str | None = None  # the workflow file it was compiled from
    #: (service, handle, scopes) of the OAuth tokens its jobs use
    oauth: tuple[tuple[str, str, tuple[str, ...]], ...] = field(default=())
    #: the DAG's SET_JOB_ATTR: attributes of the DAGMan job itself (name, ClassAd value)
    dag_attributes: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class SpoolPolicy:
    dagman: str = "/usr/bin/condor_dagman"  # on the schedd host
    keep_unfetched_days: float = 10.0


def journal_dir() -> Path:
    return records.state_base() / "submitting"


def submission_key(folder: Path, user: str) -> str:
    """Same folder content and user: same journal entry (wherever the folder is)."""
    digest = hashlib.sha256(f"{user}\0".encode())
    listing = (folder / MARKER).read_text().splitlines() if (folder / MARKER).exists() else []
    for rel in sorted(listing):
        digest.update(rel.encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(hashlib.sha256((folder / rel).read_bytes()).digest())
    return digest.hexdigest()[:32]


def top_level_inputs(folder: Path) -> list[str]:
    """What a DAGMan job takes along: the folder's top-level entries (folders whole),
    without jobsub's listing of it and its node map (read only on this side)."""
    return sorted(e.name for e in folder.iterdir() if e.name not in (MARKER, MAP_FILE))


#: Set by `jobsub fetchlog` on a finished job it fetched: the job may leave the queue now.
FETCHED_ATTR = "JobsubFetched"
#: Set by commands that only read a finished job's files (status, analyze, report, rescue):
#: their retrieval must not count as the fetch that lets it go.
PEEKED_ATTR = "JobsubPeeked"


def leave_in_queue(days: float) -> str:
    """A finished job waits in the queue (its output in the spool) until its output is
    fetched after it finished, or for `days`. Fetched means: by `jobsub fetchlog`, or by
    another tool (condor_transfer_data) unless jobsub has read its files for a report,
    which a later fetch must still find. A removed DAG waits too: its spool holds the
    rescue DAG that `jobsub rescue` starts from. (HTCondor's own default for spooled jobs
    is alike for completed jobs, but only from 25.8.2 on does it let a fetched job go.)"""
    fetched = "ifThenElse(isUndefined(StageOutFinish), 0, StageOutFinish)"
    finished = (f"(JobStatus == {STATUS_COMPLETED} || (JobStatus == {STATUS_REMOVED} && "
                f"JobUniverse == {SCHEDULER_UNIVERSE}))")
    return (f"{finished} && {FETCHED_ATTR} =!= true && "
            f"({PEEKED_ATTR} =?= true || {fetched} < EnteredCurrentStatus) && "
            f"(time() - EnteredCurrentStatus) < {int(days * 86400)}")


def _unspooled() -> str:
    return (f"(JobStatus == {STATUS_HELD} && HoldReasonCode == {SPOOLING_INPUT} && "
            f"(time() - QDate) > {SPOOL_TIMEOUT_S})")


def spool_settings(description, key: str, policy: SpoolPolicy) -> None:
    """What every spooled submission gets: its key, how long its output waits, and the
    removal of a job whose files never arrived. A user's own leave_in_queue wins; a user's
    own periodic_remove still applies."""
    description["MY.JobsubSubmitId"] = quote(key)
    if "leave_in_queue" not in description and "MY.LeaveJobInQueue" not in description:
        description["leave_in_queue"] = leave_in_queue(policy.keep_unfetched_days)
    own = description.get("periodic_remove")
    description["periodic_remove"] = f"({own}) || {_unspooled()}" if own else _unspooled()


def _dagman_description(htcondor2, schedd: Schedd, folder: Folder, path: Path,
                        policy: SpoolPolicy):
    attributes = {"JobsubCmd": quote(folder.top_file)}
    if folder.group:
        attributes["Jobsub_Group"] = quote(folder.group)
    attributes.update(folder.dag_attributes)  # as condor_submit_dag puts them in
    config = f"{folder.top_file.removesuffix('.dag')}.config"
    keys = dagman.description(folder.top_file, top_level_inputs(path), policy.dagman,
                              schedd.version, attributes,
                              (path / config).read_text() if (path / config).is_file() else None)
    for service, handle, scopes in folder.oauth:
        services = keys.get("use_oauth_services")
        keys["use_oauth_services"] = f"{services}, {service}" if services else service
        keys[f"{service}_oauth_permissions_{handle}"] = f'" {" ".join(scopes)} "'
    return htcondor2.Submit(keys)


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """HTCondor takes relative paths (and the job's submit-side Iwd) from the submitting
    directory."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _credentials(schedd: Schedd, description, token: str | None) -> Iterator[None]:
    """Store the job's token with the credd of the chosen schedd's host (as condor_submit
    does for use_oauth_services; jobsub_lite points CREDD_HOST at the schedd), from a
    private copy that is gone when this block ends."""
    if token is None:
        yield
        return
    from .tokens import private_copy

    htcondor2 = schedd.htcondor
    saved_env = {k: os.environ.get(k) for k in ("BEARER_TOKEN_FILE", "_CONDOR_CREDD_HOST")}
    saved_param = htcondor2.param.get("CREDD_HOST")
    with private_copy(token) as copy:
        os.environ["BEARER_TOKEN_FILE"] = copy
        os.environ["_CONDOR_CREDD_HOST"] = schedd.machine  # for a credential storer it runs
        htcondor2.param["CREDD_HOST"] = schedd.machine
        try:
            url = schedd.call("storing the job's token", description.issue_credentials)
            if url:
                raise JobsubError("the credd asks for a login before it can store the token",
                                  hint=f"visit {url}, then submit again")
            yield
        finally:
            for k, v in saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            if saved_param is None:
                with contextlib.suppress(Exception):
                    del htcondor2.param["CREDD_HOST"]
            else:
                htcondor2.param["CREDD_HOST"] = saved_param


def _remove(schedd: Schedd, clusters: list[int], why: str) -> None:
    constraint = " || ".join(f"ClusterId == {c}" for c in clusters)
    schedd.call("removing an unfinished submission", schedd.schedd.act,
                schedd.htcondor.JobAction.Remove, constraint, (why, None))


def _find_existing(schedd: Schedd, key: str) -> Submitted | None:
    """The job an earlier attempt queued with `key`, if it is there; one left waiting for
    its files is removed (and not reported)."""
    constraint = f"JobsubSubmitId == {quote(key)}"
    projection = ["ClusterId", "ProcId", "JobStatus", "HoldReasonCode"]
    ads = schedd.call("looking for an earlier submission", schedd.schedd.query, constraint,
                      projection)
    unspooled = sorted({ad["ClusterId"] for ad in ads if ad.get("JobStatus") == STATUS_HELD
                        and ad.get("HoldReasonCode") == SPOOLING_INPUT})
    if unspooled:
        _remove(schedd, unspooled, "jobsub: its files never arrived; submitted again")
    live = [ad for ad in ads if ad["ClusterId"] not in unspooled
            and ad.get("JobStatus") != STATUS_REMOVED]
    if not live:
        live = schedd.call("looking for an earlier submission", schedd.schedd.history,
                           f"{constraint} && JobStatus == {STATUS_COMPLETED}", projection,
                           match=1000)
    if not live:
        return None
    first = min(ad["ClusterId"] for ad in live)
    return Submitted(first, sum(1 for ad in live if ad["ClusterId"] == first), schedd.name,
                     again=True)


def _read_journal(path: Path) -> dict | None:
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    good = isinstance(entry, dict) and all(isinstance(entry.get(k), str)
                                           for k in ("schedd", "attempt"))
    return entry if good else None


def _write_journal(path: Path, folder: Path, schedd: str, attempt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps({"folder": str(folder), "schedd": schedd, "attempt": attempt,
                               "started": int(time.time())}) + "\n")
    os.replace(tmp, path)


def _resume(pool: Pool, earlier: dict | None) -> tuple[Schedd, Submitted | None]:
    """The schedd for this attempt, and the job an unfinished earlier attempt queued there,
    if it is. That schedd must be asked (its job may be there), unless the user names
    another."""
    if earlier is None or (pool.settings.schedd and pool.settings.schedd != earlier["schedd"]):
        return pool.choose(), None
    try:
        schedd = pool.schedd(earlier["schedd"])
        return schedd, _find_existing(schedd, earlier["attempt"])
    except JobsubError as err:
        raise JobsubError(
            f"an earlier attempt to submit this workflow to schedd {earlier['schedd']} did not "
            "finish, and that schedd cannot be asked now whether its job is there: "
            + err.diagnostics[0].message,
            hint="submit again when it is back, or choose another schedd with --schedd "
                 "(if the earlier job did reach it, it will then run twice)") from None


def submit_folder(pool: Pool, folder: Folder, policy: SpoolPolicy,
                  token: str | None = None) -> Submitted:
    """Spool `folder` to one of the pool's schedds. With `token` (the jobs use OAuth
    services) a private 0600 copy of it is handed to the credd first and removed
    afterwards, whatever happens."""
    htcondor2 = pool.htcondor
    path = folder.path.resolve()
    journal = journal_dir() / submission_key(path, folder.user)
    earlier = _read_journal(journal)
    schedd, found = _resume(pool, earlier)
    if found is not None:
        journal.unlink(missing_ok=True)
        return found
    # The same id again on the same schedd: a lost reply of this attempt is found next time.
    same = earlier is not None and earlier["schedd"] == schedd.name
    key = earlier["attempt"] if same else uuid.uuid4().hex
    _write_journal(journal, path, schedd.name, key)
    with _working_directory(path):
        if folder.is_dag:
            description = _dagman_description(htcondor2, schedd, folder, path, policy)
        else:
            description = htcondor2.Submit((path / folder.top_file).read_text())
        spool_settings(description, key, policy)
        with _credentials(schedd, description, token):
            result = schedd.call("submitting", schedd.schedd.submit, description, spool=True)
            try:
                schedd.call("sending the job's files", schedd.schedd.spool, result)
            except BaseException as err:
                if not _arrived(schedd, result.cluster()):
                    _abandon(schedd, result.cluster(), journal, err)
                    raise
            else:
                # Return once the schedd has released it: then the job is queued like any
                # other (a hold or rm right after submitting does what it says).
                _arrived(schedd, result.cluster(), patience=RELEASE_WAIT_S)
    journal.unlink(missing_ok=True)
    return Submitted(result.cluster(), result.num_procs(), schedd.name)


def _arrived(schedd: Schedd, cluster: int, patience: float = 10.0) -> bool:
    """Did the files reach the schedd? It releases the job a moment after they are there
    (a second, so that no file's time can equal the job's own writes), and removes it if
    they broke off; wait for one or the other. After a spool step that failed on this side,
    True means only the reply was lost."""
    deadline = time.monotonic() + patience
    while True:
        try:
            ads = schedd.schedd.query(f"ClusterId == {cluster}",
                                      ["JobStatus", "HoldReasonCode", "StageInFinish"])
        except Exception:  # the schedd is gone too: nothing can be known
            return False
        if not ads or any(ad.get("JobStatus") == STATUS_REMOVED for ad in ads):
            return False
        if all(ad.get("JobStatus") != STATUS_HELD or ad.get("HoldReasonCode") != SPOOLING_INPUT
               or isinstance(ad.get("StageInFinish"), int) for ad in ads):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)


def _abandon(schedd: Schedd, cluster: int, journal: Path, err: BaseException) -> None:
    """The job is queued but its files did not arrive: remove it now, or leave the journal
    so that the next attempt does, and say which."""
    try:
        _remove(schedd, [cluster], "jobsub: sending its files failed")
    except JobsubError:
        note = (f"job {cluster}.0@{schedd.name} may be left held without its files; "
                "submitting again removes it (or the schedd does, after "
                f"{SPOOL_TIMEOUT_S // 60} min)")
    else:
        journal.unlink(missing_ok=True)
        note = f"job {cluster}.0@{schedd.name}, queued without its files, was removed"
    if isinstance(err, JobsubError) and err.diagnostics and not err.diagnostics[0].hint:
        err.diagnostics[0] = dataclasses.replace(err.diagnostics[0], hint=note)


def submission_folder(wf, path: Path, source: str | None) -> Folder:
    """The compiled folder of workflow `wf` (the IR), as it is submitted. A sub-DAG that is
    a file on this machine cannot be read by a schedd elsewhere: refused, at its line."""
    from jobsub.compiler.emit.plan import top_file, workflows_in

    for node in (n for one in workflows_in(wf) for n in one.nodes):
        if node.subdag is not None and os.path.isabs(node.subdag):
            raise JobsubError(f"subdag {node.subdag} is a DAG file on this machine, which the "
                              "schedd cannot read", node.span,
                              "write the sub-workflow as a manifest (subdag: FILE.yaml): "
                              "jobsub compiles it into the folder it sends; or copy the "
                              "compiled folder to the schedd host and run condor_submit_dag "
                              "there")
    groups = _groups(wf)
    oauth = sorted({(s.oauth.service, s.oauth.handle, tuple(s.oauth.scopes))
                    for s in wf.specs if s.oauth is not None})
    return Folder(path, top_file(wf), wf.kind == "dag", wf.user or "",
                  groups[0] if len(groups) == 1 else None,
                  os.path.abspath(source) if source else None, tuple(oauth),
                  tuple(wf.settings.set_job_attr.items()))


def _groups(wf) -> list[str]:
    return sorted({s.options["group"] for s in wf.specs if s.options.get("group")})


def pool_for(wf, settings) -> Pool:
    """The site's pool, acting for the workflow's group (its first, if several)."""
    groups = _groups(wf)
    return Pool(settings, groups[0] if groups else None)


def record_submission(pool: Pool, wf, folder: Folder, site, token: str | None,
                      record: dict | None) -> tuple[Submitted, str | None]:
    """Spool `folder` (exactly once) and keep the submission's record on this machine;
    (what was submitted, a warning if the record could not be written)."""
    done = submit_folder(pool, folder, SpoolPolicy(site.dagman, site.keep_unfetched_days),
                         token=token)
    try:
        records.save(done.schedd, done.cluster, folder.path.resolve(),
                     {"job_id": done.job_id, "kind": wf.kind, "workflow": folder.source,
                      "folder": str(folder.path.resolve()), "procs": done.procs,
                      "top_file": folder.top_file, **(record or {})})
    except OSError as err:
        return done, f"could not record the submission: {err}"
    return done, None
