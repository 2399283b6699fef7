"""What this machine keeps of each submission, under `$XDG_STATE_HOME/jobsub`
(default `~/.local/state/jobsub`).

- `submitting/KEY`: the journal of a submission under way (see submission.py); one whose
  submission never finished is kept until the next attempt, or RECORD_DAYS.
- `jobs/SCHEDD/CLUSTER/`: the record of a submitted job or DAG: `submitted.tgz`, the text
  files jobsub wrote for it (DAG, submit files, wrappers, DAGMan config, jobsub.json) and
  the jobs' executables up to EXECUTABLE_BYTES each (fetchlog's archive holds them, as
  jobsub_lite's did; not -f inputs or dropbox files, which the user has), `job.json` (when, from
  which workflow file and folder), once fetched, `fetched.tgz` (what the last `fetchlog`
  brought back), and once a report read a finished submission, `files/` (its files as the
  spool had them, so later reports need no schedd).

The schedd's spool holds what the jobs wrote; it never sends back the files a job was
submitted with, and a fetched job leaves the queue. The record is what lets `fetchlog` hand
out the submit files and wrappers after the compiled folder is gone, and the logs again
later. Records older than RECORD_DAYS are removed when the next submission is recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import time
from pathlib import Path

from jobsub.compiler.base.conventions import MARKER

RECORD_DAYS = 30
#: In a record's `files/` (a finished submission's files, kept once read): the copy is whole.
MARKER_DONE = ".complete"
#: Folders of a compiled folder (at any level) that hold the user's data, not jobsub's text.
_DATA_FOLDERS = frozenset({"files", "dropbox"})
#: An executable larger than this (a whole binary) is not kept in the record.
EXECUTABLE_BYTES = 16 << 20


def state_base() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return Path(base) / "jobsub"


def _safe(name: str) -> str:
    return name.replace("/", "_") or "_"


def record_dir(schedd: str, cluster: int) -> Path:
    return state_base() / "jobs" / _safe(schedd) / str(int(cluster))


def _written_text_files(folder: Path) -> list[str]:
    """The compiled folder's own files (from its listing), without the user's data, and
    the jobs' executables (named in each jobsub.json, copied into a `files/` folder)."""
    listing = folder / MARKER
    if not listing.is_file():
        return []
    listed = [rel for rel in listing.read_text().splitlines() if rel]
    executables = _executables(folder, listed)
    out = []
    for rel in listed:
        parts = rel.split("/")
        if any(p in _DATA_FOLDERS for p in parts[:-1]) and rel not in executables:
            continue
        if (folder / rel).is_file():
            out.append(rel)
    return sorted(out)


def _executables(folder: Path, listed: list[str]) -> set[str]:
    from jobsub.compiler.emit.nodemap import MAP_FILE

    from .nodemap import parse

    present = set(listed)
    named: set[str] = set()
    for rel in listed:
        if rel.rsplit("/", 1)[-1] != MAP_FILE:
            continue
        try:
            found = parse((folder / rel).read_text())
        except OSError:
            continue
        here = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        named.update(f"{here}files/{group.executable}" for dag in (found.dags if found else [])
                     for group in dag.groups.values() if group.executable)
    out = set()
    for candidate in named & present:  # each file looked at once, however many groups
        try:
            if (folder / candidate).stat().st_size <= EXECUTABLE_BYTES:
                out.add(candidate)
        except OSError:
            continue
    return out


def save(schedd: str, cluster: int, folder: Path, info: dict) -> Path:
    """Record a submission (replacing an older record of the same id, as after a schedd
    lost its queue and counts from 1 again)."""
    final = record_dir(schedd, cluster)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{cluster}.", dir=final.parent))
    try:
        with tarfile.open(tmp / "submitted.tgz", "w:gz") as tar:
            for rel in _written_text_files(folder):
                tar.add(folder / rel, arcname=rel, recursive=False)
        (tmp / "job.json").write_text(json.dumps({**info, "recorded": int(time.time())},
                                                 indent=2) + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    prune()
    return final


def info(schedd: str, cluster: int) -> dict | None:
    try:
        return json.loads((record_dir(schedd, cluster) / "job.json").read_text())
    except (OSError, ValueError):
        return None


def submitted_files(schedd: str, cluster: int) -> dict[str, bytes]:
    """The recorded text files of a submission, by path in its folder (empty if none)."""
    path = record_dir(schedd, cluster) / "submitted.tgz"
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for member in tar.getmembers():
                if member.isfile():
                    data = tar.extractfile(member)
                    if data is not None:
                        out[member.name] = data.read()
    except (OSError, tarfile.TarError):
        return {}
    return out


def save_fetched(schedd: str, cluster: int, archive: Path) -> None:
    """Keep a copy of what fetchlog brought back: the job may leave the queue now."""
    folder = record_dir(schedd, cluster)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".fetched.tgz.part"
    shutil.copyfile(archive, tmp)
    os.replace(tmp, folder / "fetched.tgz")


def fetched_archive(schedd: str, cluster: int) -> Path | None:
    path = record_dir(schedd, cluster) / "fetched.tgz"
    return path if path.is_file() else None


def prune(days: float = RECORD_DAYS, now: float | None = None) -> None:
    """Remove records, and journals of submissions that never finished, older than `days`
    (best effort: one in use is just kept)."""
    cutoff = (time.time() if now is None else now) - days * 86400
    jobs = state_base() / "jobs"
    old = [*(r for s in _folders(jobs) for r in _folders(s)),
           *_entries(state_base() / "submitting")]
    for path in old:
        try:
            if path.stat().st_mtime < cutoff:
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        except OSError:
            continue


def _entries(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _folders(folder: Path) -> list[Path]:
    return [p for p in _entries(folder) if p.is_dir()]
