"""What `jobsub status|analyze|report|rescue` are asked about: a job id (a DAG's DAGMan job,
or a single job), or a folder where DAGMan ran, and where that submission's files are.

A spooled submission's files live in the schedd's spool. While the job is queued they are
retrieved into a private folder for each look ("peeked": the retrieval is marked so that it
does not count as the fetch that lets a finished job leave the queue, see
submission.leave_in_queue); once it has finished they cannot change, and the copy is kept
with this machine's record of the submission. After `jobsub fetchlog` took a finished job
out of the queue, the record's copy of what was fetched serves.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from jobsub.compiler.base.conventions import outputs_tar
from jobsub.compiler.base.diagnostics import JobsubError

from . import records
from .dagman import OUTPUT_FOLDER_ATTR
from .fetchlog import peek
from .jobids import JobId, parse_ids
from .jobstatus import COMPLETED, REMOVED
from .nodemap import NodeMap
from .nodemap import load as load_map
from .pool import Pool, Schedd
from .targets import place

SCHEDULER_UNIVERSE = 7
DAG_ATTRS = ["ClusterId", "ProcId", "JobStatus", "JobUniverse", "ExitCode", "ExitBySignal",
             "ExitSignal", "HoldReason", "HoldReasonCode", "HoldReasonSubCode",
             "RemoveReason", "EnteredCurrentStatus", "QDate", "CompletionDate",
             "JobStartDate", "SUBMIT_Iwd", "Iwd", "JobsubCmd", "Cmd", "DAGManJobId",
             "DAGNodeName", "DAG_Status", "DAG_InRecovery", "DAG_AdUpdateTime",
             "DAG_NodesTotal", "DAG_NodesDone", "DAG_NodesFailed", "DAG_NodesFutile",
             "DAG_NodesQueued", "DAG_NodesReady", "DAG_NodesUnready", "DAG_NodesPrerun",
             "DAG_NodesPostrun", "DAG_JobsHeld", "DAG_JobsIdle", "DAG_JobsRunning",
             "DAG_JobsCompleted", "DAG_JobsSubmitted", "Owner", "JobsubPeeked", OUTPUT_FOLDER_ATTR,
             "JobsubFetched"]
#: Where finished submissions' files are kept once read, beside their record.
FILES = "files"


@dataclass
class Subject:
    """One submission: its job (first proc) ad, where it runs, what was recorded of it."""

    label: str  # how to name it to the user: the job id or the folder
    job: JobId | None = None
    schedd: Schedd | None = None
    ad: dict = field(default_factory=dict)  # empty for a folder
    procs: list[dict] = field(default_factory=list)  # every proc of a single job
    in_queue: bool = False
    folder: Path | None = None  # a local folder DAGMan ran in (by hand)
    record: dict | None = None

    @property
    def is_dag(self) -> bool:
        if self.folder is not None:
            return any(p.suffix == ".dag" for p in self.folder.iterdir())
        return self.ad.get("JobUniverse") == SCHEDULER_UNIVERSE

    @property
    def finished(self) -> bool:
        if self.folder is not None:
            return False  # a folder says it itself (its jobstate log)
        return all(ad.get("JobStatus") in (REMOVED, COMPLETED) for ad in self.procs or
                   [self.ad])

    @property
    def spooled(self) -> bool:
        return self.ad.get("SUBMIT_Iwd") is not None

    @property
    def top_file(self) -> str | None:
        if self.record and self.record.get("top_file"):
            return str(self.record["top_file"])
        cmd = self.ad.get("JobsubCmd")
        return str(cmd) if isinstance(cmd, str) and cmd.endswith(".dag") else None

    def workflow_base(self) -> str | None:
        """The folder the workflow file's paths are relative to."""
        if self.record and self.record.get("workflow"):
            return os.path.dirname(str(self.record["workflow"]))
        return None


def find(pool_factory, text: str) -> Subject:
    """The submission `text` names: a folder, or a job id (bare ids are looked for on every
    schedd of the site). A node job's id stands for its DAG."""
    if os.path.isdir(text) and not text.replace(".", "").replace("@", "").isdigit():
        folder = Path(text)
        if not any(p.suffix == ".dag" for p in folder.iterdir()):
            raise JobsubError(f"{text} holds no .dag file",
                              hint="give a DAG's job id, or the folder DAGMan ran in")
        return Subject(str(folder), folder=folder)
    [job] = parse_ids([text])
    pool: Pool = pool_factory()
    [(schedd, [job])] = place(pool, [job], history=True).items()
    ads, in_queue = _ads(schedd, job)
    first = ads[0]
    if first.get("DAGManJobId") is not None and first.get("JobUniverse") != SCHEDULER_UNIVERSE:
        dag = JobId(int(first["DAGManJobId"]), 0, schedd.name)
        ads, in_queue = _ads(schedd, dag)
        job = dag
    record = records.info(schedd.name, job.cluster)
    return Subject(str(JobId(job.cluster, 0 if job.proc is None else job.proc, schedd.name)),
                   job, schedd, ads[0], ads, in_queue, None, record)


def _ads(schedd: Schedd, job: JobId) -> tuple[list[dict], bool]:
    constraint = job.constraint()
    ads = schedd.call("querying the queue", schedd.schedd.query, constraint, DAG_ATTRS)
    if ads:
        return sorted((dict(a) for a in ads), key=lambda a: a["ProcId"]), True
    ads = schedd.call("reading the job history", schedd.schedd.history, constraint,
                      DAG_ATTRS, match=-1 if job.proc is None else 1,
                      since=f"ClusterId < {job.cluster}")
    if not ads:
        raise JobsubError(f"job {job} is not known to schedd {schedd.name} (neither in the "
                          "queue nor in its history)")
    return sorted((dict(a) for a in ads), key=lambda a: a["ProcId"]), False


@contextlib.contextmanager
def files(subject: Subject) -> Iterator[Path | None]:
    """A folder holding the submission's files as they are now (None when nothing can be
    had: not spooled and not on this machine, or gone with its job)."""
    if subject.folder is not None:
        yield subject.folder
        return
    assert subject.schedd is not None and subject.job is not None
    keep = records.record_dir(subject.schedd.name, subject.job.cluster) / FILES
    if subject.finished and (keep / records.MARKER_DONE).is_file():
        yield keep
        return
    fetched = records.fetched_archive(subject.schedd.name, subject.job.cluster)
    if not subject.in_queue or not subject.spooled:
        if fetched is not None:
            yield _unpacked(fetched, keep)
            return
        if not subject.spooled:
            iwd = Path(str(subject.ad.get("Iwd") or ""))
            yield iwd if iwd.is_dir() else None
            return
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=".jobsub-peek.") as staging:
        peek(subject.schedd, subject.job, subject.procs or [subject.ad], Path(staging))
        _add_submitted(subject, Path(staging))
        if subject.finished and _settled(subject, Path(staging)):
            yield _keep(Path(staging), keep)
        else:
            yield Path(staging)


def _settled(subject: Subject, folder: Path) -> bool:
    """Whether a finished submission's files are final: a removed DAGMan job is marked
    removed at once, but DAGMan still writes its rescue DAG and logs as it shuts down."""
    if not subject.is_dag:
        return True
    from .dagman_logs import read_jobstate

    found = load_map(str(folder))
    name = found.top.jobstate_log if found and found.dags else \
        f"{subject.top_file}.jobstate.log"
    log = read_jobstate(str(folder / name)) if name else None
    return log is not None and log.finished is not None


def _add_submitted(subject: Subject, folder: Path) -> None:
    """The files the job was submitted with (jobsub.json above all) from the record: the
    spool never sends them back."""
    assert subject.schedd is not None and subject.job is not None
    for rel, data in records.submitted_files(subject.schedd.name, subject.job.cluster).items():
        target = folder / rel
        if not target.exists() and ".." not in Path(rel).parts:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def _keep(staging: Path, keep: Path) -> Path:
    """A finished submission's files, kept beside its record (without -d outputs, which
    wait in the spool for fetchlog): later looks need no schedd."""
    for tar in staging.glob(outputs_tar("*", "*", "*")):
        tar.unlink()
    tmp = keep.with_name(f".{keep.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(staging, tmp)
    (tmp / records.MARKER_DONE).write_text("")
    shutil.rmtree(keep, ignore_errors=True)
    os.replace(tmp, keep)
    return keep


def _unpacked(archive: Path, keep: Path) -> Path:
    if (keep / records.MARKER_DONE).is_file():
        return keep
    tmp = keep.with_name(f".{keep.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and not member.name.startswith("/") and ".." not in parts:
                target = tmp / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "wb") as fh:
                    shutil.copyfileobj(tar.extractfile(member), fh)
    (tmp / records.MARKER_DONE).write_text("")
    shutil.rmtree(keep, ignore_errors=True)
    os.replace(tmp, keep)
    return keep


def node_map(subject: Subject, folder: Path | None) -> NodeMap | None:
    base = subject.workflow_base()
    if folder is not None:
        found = load_map(str(folder), base)
        if found is not None:
            return found
    return None
