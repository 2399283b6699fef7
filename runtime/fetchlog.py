"""`jobsub fetchlog`: a job's output, error and log files and the files it was submitted
with, as `ID.tgz` or copied into a folder. For a DAGMan job: the whole DAG's folder (every
node's outputs, the DAG and its DAGMan logs), without the copied executables."""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path

from jobsub.compiler.diagnostics import JobsubError

from .connection import Pool
from .jobids import JobId

_ATTRS = ["ClusterId", "ProcId", "Iwd", "Out", "Err", "UserLog", "Cmd", "JobUniverse",
          "DAGManJobId"]
SCHEDULER_UNIVERSE = 7
_SUBMITTED_WITH = (".sub", ".sh", ".dag", ".config")


def find_job(pool: Pool, job: JobId):
    proc = 0 if job.proc is None else job.proc
    constraint = f"ClusterId == {job.cluster} && ProcId == {proc}"
    ads = pool.call("querying the queue", pool.schedd.query, constraint, _ATTRS)
    if not ads:
        ads = pool.call("reading the job history", pool.schedd.history, constraint, _ATTRS,
                        match=1)
    if not ads:
        raise JobsubError(f"job {job.cluster}.{proc} is not known to schedd {pool.name} "
                          "(neither in the queue nor in its history)")
    return ads[0]


def files_of(ad) -> tuple[Path, list[Path]]:
    """(the job's folder, the files to fetch, relative to it)."""
    iwd = Path(str(ad.get("Iwd", "")))
    if not iwd.is_dir():
        raise JobsubError(f"the job's folder {iwd} is not readable on this machine",
                          hint="run fetchlog on the machine the job was submitted from")
    if ad.get("JobUniverse") == SCHEDULER_UNIVERSE:  # a DAGMan job: the whole DAG folder
        chosen = [p.relative_to(iwd) for p in sorted(iwd.iterdir()) if p.is_file()]
        return iwd, chosen
    chosen = []
    for key in ("Out", "Err", "UserLog"):
        value = ad.get(key)
        if value and value != "/dev/null":
            chosen.append(Path(str(value)))
    wrapper = Path(str(ad.get("Cmd", "")))
    stem = wrapper.name[:-3] if wrapper.name.endswith(".sh") else wrapper.stem
    chosen += [Path(wrapper.name), Path(f"{stem}.sub")]
    out = []
    for p in chosen:
        full = p if p.is_absolute() else iwd / p
        if full.is_file() and full.resolve().is_relative_to(iwd.resolve()):
            rel = full.resolve().relative_to(iwd.resolve())
            if rel not in out:
                out.append(rel)
    return iwd, out


def fetch(pool: Pool, job: JobId, name: str, destdir: str | None) -> tuple[str, int]:
    """(where the files went, how many)."""
    ad = find_job(pool, job)
    iwd, files = files_of(ad)
    if not files:
        raise JobsubError(f"job {job.local()} has no files in {iwd} yet")
    if destdir:
        dest = Path(destdir)
        dest.mkdir(parents=True, exist_ok=True)
        for rel in files:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(iwd / rel, dest / rel)
        return str(dest), len(files)
    target = Path(f"{name}.tgz")
    partial = target.with_name(target.name + ".part")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            for rel in files:
                tar.add(iwd / rel, arcname=str(rel))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return str(target), len(files)
