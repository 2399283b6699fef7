"""`jobsub fetchlog`: what a job or a whole DAG wrote, from the schedd's spool, as `ID.tgz`
or copied into a folder; its -d folders and -L log put where the job asked.

A spooled job (every job jobsub submits) writes into its spool directory on the schedd, and
`Schedd.retrieve` sends back what changed there: a job's `.out`, `.err` and log, and for a
DAGMan job everything its nodes and DAGMan wrote (node outputs and logs, `dagman.out`,
`nodes.log`, rescue DAGs). HTCondor writes what it retrieves into the job's `SUBMIT_Iwd`, the
folder it was submitted from, which may be gone or hold the user's files: fetchlog points
that attribute (and the log's) at a fresh staging folder first. The files the job was
submitted with never come back from the spool; they come from this machine's record of the
submission (records.py). A finished job that was fetched leaves the queue; fetching it again
serves the copy the record kept.

A job submitted by hand without spooling (`condor_submit_dag` in a compiled folder on the
schedd host) is read straight from its folder when this machine can see it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from jobsub.compiler.base.conventions import (
    FOLDER_KEEPER,
    NODE_OUTPUT_FOLDER,
    OUTPUTS_TAR_JOB,
    outputs_tar,
)
from jobsub.compiler.base.diagnostics import JobsubError

from . import records
from .dagman import OUTPUT_FOLDER_ATTR
from .jobids import JobId, quote
from .jobstatus import FINISHED
from .pool import Schedd
from .submission import FETCHED_ATTR, PEEKED_ATTR

SCHEDULER_UNIVERSE = 7
_ATTRS = ["ClusterId", "ProcId", "JobStatus", "JobUniverse", "Iwd", "SUBMIT_Iwd", "UserLog",
          "SUBMIT_UserLog", "Out", "Err", "Cmd", "DAGManJobId", "DAGNodeName",
          "JobsubOutputs", "EnteredCurrentStatus", "CompletionDate", OUTPUT_FOLDER_ATTR]
_SKIP = frozenset({".empty_file", FOLDER_KEEPER})


@dataclass
class Fetched:
    where: str  # the archive, or the folder the files were copied into
    files: list[str]
    placed: list[str] = field(default_factory=list)  # -d/-L destinations filled
    problems: list[str] = field(default_factory=list)
    note: str | None = None  # e.g. served from the copy of an earlier fetch


def _query(schedd: Schedd, constraint: str, history: bool = False) -> list:
    if history:
        return schedd.call("reading the job history", schedd.schedd.history, constraint,
                           _ATTRS, match=1)
    return schedd.call("querying the queue", schedd.schedd.query, constraint, _ATTRS)


def _constraint(job: JobId) -> str:
    return f"ClusterId == {job.cluster}" if job.proc is None else \
        f"ClusterId == {job.cluster} && ProcId == {job.proc}"


#: --archive-format: the archive's kind and its file name's ending.
ARCHIVES = {"tar": ".tgz", "zip": ".zip"}


def fetch(schedd: Schedd, job: JobId, name: str, destdir: str | None,
          archive_format: str = "tar", partial: bool = False) -> Fetched:
    """Fetch `job` (a whole cluster when no proc is given) into `destdir`, else `name`.tgz
    (or .zip) in the current folder. `partial`: the logs and submitted files only, neither
    the outputs tars nor their -d/-L outputs, and a finished job stays unfetched (a later
    whole fetch still has everything); a running job's are always what exists so far."""
    ads = sorted(_query(schedd, _constraint(job)), key=lambda a: a["ProcId"])
    if not ads:
        return _from_record(schedd, job, name, destdir, archive_format, partial)
    first = ads[0]
    if first.get("DAGManJobId") is not None and first.get("SUBMIT_Iwd") is None:
        dag = f"{int(first['DAGManJobId'])}.0@{schedd.name}"
        raise JobsubError(f"job {job.local()} is node {first.get('DAGNodeName')} of DAG {dag}; "
                          "its files are kept with the DAG's", hint=f"jobsub fetchlog {dag}")
    finished = all(ad.get("JobStatus") in FINISHED for ad in ads)
    with tempfile.TemporaryDirectory(prefix=".jobsub-fetch.", dir=_staging_parent(destdir)) \
            as staging_dir:
        staging = Path(staging_dir)
        if first.get("SUBMIT_Iwd") is not None:
            # Read as a peek: the retrieval alone would let a finished job leave the queue
            # before this machine has kept its copy (and the edit below would then fail).
            peek(schedd, job, ads, staging, whole=True)
        else:
            _copy_unspooled(first, ads, staging)
        result = _collect(schedd, job, first, staging, partial)
        archive = staging / ".archive.tgz"
        _write_archive(archive, staging, result.files)
        if finished and first.get("SUBMIT_Iwd") is not None and not partial:
            records.save_fetched(schedd.name, job.cluster, archive)
            # Kept here now: the job may leave the queue (see submission.leave_in_queue).
            schedd.call("marking the job fetched", schedd.schedd.edit, _constraint(job),
                        FETCHED_ATTR, "true")
        result.where = _deliver(archive, staging, result.files, name, destdir, archive_format)
    return result


def _staging_parent(destdir: str | None) -> str:
    """Stage beside the destination when it can be made, so nothing large crosses
    file systems twice."""
    base = Path(destdir).resolve().parent if destdir else Path.cwd()
    return str(base) if os.access(base, os.W_OK) else tempfile.gettempdir()


def _retrieve(schedd: Schedd, job: JobId, ads: list, staging: Path,
              whole: bool = True) -> None:
    """The job's spool into `staging`: what changed at its top, then (a DAG whose nodes
    write into output folders) those folders, asked for by name in TransferOutput (which
    then sends only them). `whole`: a failed second retrieval is an error, else the top
    alone is kept (a peek of a running DAG)."""
    constraint = _constraint(job)
    folder = ads[0].get(OUTPUT_FOLDER_ATTR)
    edit = functools.partial(schedd.call, "preparing to fetch", schedd.schedd.edit, constraint)
    if folder:
        # left set by a retrieval that was interrupted: the first would get the folder only
        edit("TransferOutput", "undefined")
    edit("SUBMIT_Iwd", quote(str(staging)))
    log = ads[0].get("SUBMIT_UserLog") or ads[0].get("UserLog")
    if log:
        edit("SUBMIT_UserLog", quote(str(staging / os.path.basename(str(log)))))
    schedd.call("fetching the job's files", schedd.schedd.retrieve, constraint)
    if not folder:
        return
    try:
        edit("TransferOutput", quote(str(folder)))
        schedd.call("fetching the nodes' outputs", schedd.schedd.retrieve, constraint)
    except JobsubError:
        if whole:
            raise
    finally:
        with contextlib.suppress(JobsubError):  # an error above is the one to tell
            edit("TransferOutput", "undefined")


def peek(schedd: Schedd, job: JobId, ads: list, dest: Path, whole: bool = False) -> None:
    """A spooled job's files as they are now, into `dest`: marked as read, not fetched, so
    that a finished job stays in the queue until `jobsub fetchlog` has kept them. `whole`:
    the nodes' output folders must come too (see _retrieve)."""
    if any(ad.get("JobStatus") in FINISHED for ad in ads):
        schedd.call("preparing to read the job's files", schedd.schedd.edit, _constraint(job),
                    PEEKED_ATTR, "true")
    _retrieve(schedd, job, ads, dest, whole)


def _copy_unspooled(first, ads: list, staging: Path) -> None:
    iwd = Path(str(first.get("Iwd", "")))
    if not iwd.is_dir():
        raise JobsubError(f"job {first['ClusterId']} was not spooled and its folder {iwd} is "
                          "not on this machine", hint="fetch it where it was submitted from")
    if first.get("JobUniverse") == SCHEDULER_UNIVERSE:
        chosen = [p.name for p in iwd.iterdir() if p.is_file()]
    else:
        chosen = []
        for ad in ads:
            for key in ("Out", "Err", "UserLog"):
                value = ad.get(key)
                if value and value != "/dev/null":
                    chosen.append(str(value))
            chosen += [p.name for p in iwd.glob(outputs_tar("*", ad["ClusterId"],
                                                            ad["ProcId"]))]
    for rel in dict.fromkeys(chosen):
        full = Path(rel) if os.path.isabs(rel) else iwd / rel
        if full.is_file() and full.resolve().parent == iwd.resolve():
            shutil.copyfile(full, staging / full.name)
    outputs = iwd / NODE_OUTPUT_FOLDER
    if first.get("JobUniverse") == SCHEDULER_UNIVERSE and outputs.is_dir() \
            and not outputs.is_symlink():  # a big DAG's node outputs (its own folders)
        shutil.copytree(outputs, staging / NODE_OUTPUT_FOLDER, symlinks=True,
                        ignore=shutil.ignore_patterns(*_SKIP))


def _collect(schedd: Schedd, job: JobId, first, staging: Path, partial: bool = False) -> Fetched:
    """Put outputs in place, add the submitted files; what goes into the archive.
    `partial`: outputs tars are left out, and nothing is put in place."""
    placed: list[str] = []
    problems: list[str] = []
    tars = sorted(p for p in staging.iterdir() if OUTPUTS_TAR_JOB.search(p.name))
    if partial:
        for tar in tars:
            tar.unlink()
    elif tars:
        where = _destinations(schedd, first)
        for tar in sorted(tars, key=lambda p: tuple(map(int, OUTPUTS_TAR_JOB.search(p.name)
                                                         .groups()))):
            c, p = map(int, OUTPUTS_TAR_JOB.search(tar.name).groups())
            record = where.get((c, p))
            if record is None:
                problems.append(f"{tar.name}: no destination known for it; kept in the archive")
                continue
            got, failed = unpack_outputs(tar, record)
            placed += [d for d in got if d not in placed]
            problems += failed
            if not failed:
                tar.unlink()
    for rel, data in records.submitted_files(schedd.name, job.cluster).items():
        target = staging / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    files = sorted(str(p.relative_to(staging)) for p in staging.rglob("*")
                   if p.is_file() and p.name not in _SKIP and not p.name.startswith(".archive"))
    return Fetched("", files, placed, problems)


def _destinations(schedd: Schedd, first) -> dict[tuple[int, int], dict]:
    """(cluster, proc) -> the JobsubOutputs of the job that wrote an outputs tar: the job
    itself, or for a DAG every node job (queued or finished)."""
    if first.get("JobUniverse") != SCHEDULER_UNIVERSE:
        constraint = f"ClusterId == {first['ClusterId']}"
    else:
        constraint = f"DAGManJobId == {first['ClusterId']}"
    constraint += " && JobsubOutputs =!= undefined"
    projection = ["ClusterId", "ProcId", "JobsubOutputs"]
    ads = [*schedd.call("querying the queue", schedd.schedd.query, constraint, projection),
           *schedd.call("reading the job history", schedd.schedd.history, constraint,
                        projection, match=-1, since=f"ClusterId < {first['ClusterId']}")]
    out = {}
    for ad in ads:
        try:
            out[(int(ad["ClusterId"]), int(ad["ProcId"]))] = json.loads(ad["JobsubOutputs"])
        except (ValueError, TypeError, KeyError):
            continue
    return out


def unpack_outputs(tar_path: Path, record: dict) -> tuple[list[str], list[str]]:
    """Unpack a job's outputs tar: `jobsub_out_TAG/...` into the folder of -d TAG,
    `jobsub_joblog` to the -L file. Only plain files and folders, only below those names;
    anything else is refused and named. (destinations filled, problems)"""
    dirs = {str(k): str(v) for k, v in (record.get("dirs") or {}).items()}
    log = record.get("log")
    placed: list[str] = []
    problems: list[str] = []
    try:
        with tarfile.open(tar_path, "r:") as tar:
            _unpack_members(tar, tar_path.name, dirs, log, placed, problems)
    except (OSError, tarfile.TarError) as err:
        problems.append(f"{tar_path.name}: not a readable tar file ({err})")
    return placed, problems


def _unpack_members(tar: tarfile.TarFile, name: str, dirs: dict[str, str], log: str | None,
                    placed: list[str], problems: list[str]) -> None:
    for member in tar:
        target = _target(member.name, dirs, log)
        if target is None:
            problems.append(f"{name}: {member.name!r} is not an output jobsub asked for; "
                            "left out")
            continue
        dest, path = target
        if _is_root_of(dirs, path) and not member.isdir():
            problems.append(f"{name}: {member.name!r} should be the -d folder itself; left out")
            continue
        if member.isdir():
            path.mkdir(parents=True, exist_ok=True)
        elif member.isfile():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.jobsub-part")
                with open(tmp, "wb") as fh:
                    shutil.copyfileobj(tar.extractfile(member), fh)
                os.chmod(tmp, _mode(0o777 if member.mode & 0o111 else 0o666))
                os.replace(tmp, path)
            except OSError as err:
                problems.append(f"cannot write {path}: {err.strerror or err}")
                continue
        else:
            problems.append(f"{name}: {member.name!r} is not a plain file or folder; "
                            "left out")
            continue
        if dest not in placed:
            placed.append(dest)


def _target(name: str, dirs: dict[str, str], log: str | None) -> tuple[str, Path] | None:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or name.startswith("/") or ".." in parts:
        return None
    if parts == ["jobsub_joblog"] and log:
        return log, Path(log)
    head = parts[0]
    if head.startswith("jobsub_out_") and head[len("jobsub_out_"):] in dirs:
        root = dirs[head[len("jobsub_out_"):]]
        return root, Path(root, *parts[1:])
    return None


def _is_root_of(dirs: dict[str, str], path: Path) -> bool:
    return str(path) in dirs.values()


def _mode(requested: int) -> int:
    mask = os.umask(0)
    os.umask(mask)
    return requested & ~mask


def _write_archive(archive: Path, staging: Path, files: list[str]) -> None:
    with tarfile.open(archive, "w:gz") as tar:
        for rel in files:
            tar.add(staging / rel, arcname=rel, recursive=False)


def _deliver(archive: Path, staging: Path, files: list[str], name: str,
             destdir: str | None, archive_format: str = "tar") -> str:
    if destdir:
        dest = Path(destdir)
        dest.mkdir(parents=True, exist_ok=True)
        for rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staging / rel, dest / rel)
        return str(dest)
    target = Path(f"{name}{ARCHIVES[archive_format]}")
    partial = target.with_name(target.name + ".part")
    try:
        if archive_format == "zip":
            _write_zip(partial, staging, files)
        else:
            shutil.copyfile(archive, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return str(target)


def _write_zip(path: Path, staging: Path, files: list[str]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel in files:
            archive.write(staging / rel, arcname=rel)


def _from_record(schedd: Schedd, job: JobId, name: str, destdir: str | None,
                 archive_format: str = "tar", partial: bool = False) -> Fetched:
    """The job has left the queue: serve the copy kept when it was fetched, if any."""
    kept = records.fetched_archive(schedd.name, job.cluster)
    if kept is None:
        gone = _query(schedd, _constraint(job), history=True)
        if not gone:
            raise JobsubError(f"job {job.local()} is not known to schedd {schedd.name} "
                              "(neither in the queue nor in its history)")
        raise JobsubError(f"job {job.local()} has left the queue of schedd {schedd.name}, and "
                          "its files with it (fetched from another machine, removed, or "
                          "unfetched for longer than the site keeps them)")
    with tempfile.TemporaryDirectory(prefix=".jobsub-fetch.", dir=_staging_parent(destdir)) \
            as staging_dir:
        staging = Path(staging_dir)
        with tarfile.open(kept, "r:gz") as tar:
            files = [m.name for m in tar.getmembers() if m.isfile()]
            for member in tar.getmembers():
                if member.isfile() and _plain(member.name):
                    (staging / member.name).parent.mkdir(parents=True, exist_ok=True)
                    with open(staging / member.name, "wb") as fh:
                        shutil.copyfileobj(tar.extractfile(member), fh)
        files = [f for f in files if _plain(f)
                 and not (partial and OUTPUTS_TAR_JOB.search(f.rsplit("/", 1)[-1]))]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(kept.stat().st_mtime))
        archive = kept
        if partial and archive_format == "tar" and not destdir:
            # the kept archive holds more: an archive of what was chosen
            archive = staging / ".archive.tgz"
            _write_archive(archive, staging, files)
        where = _deliver(archive, staging, files, name, destdir, archive_format)
    return Fetched(where, files, note=f"the job has left the queue; these are the files "
                                      f"fetched on {when}")


def _plain(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and ".." not in parts and "" not in parts
