"""Write an output folder all at once: into a temporary sibling, then renamed into place.

On any error (or Ctrl-C) the temporary folder is removed and an earlier folder of the same
name is left as it was. A folder is only ever replaced if jobsub wrote it (it holds the marker
file), so `-o ~` cannot wipe a home directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from jobsub.compiler.base.conventions import MARKER
from jobsub.compiler.base.diagnostics import JobsubError

#: A spooled text stays in memory up to this size, and then goes to a temporary file.
SPOOL_IN_MEMORY = 8 * 2**20


@dataclass(frozen=True, slots=True)
class OutFile:
    """One file of a plan: `text` (or a `spool` of it), `data` or a `source` path to copy.
    A file with `store` goes to a site's dropbox, not into the folder: `store()` puts it
    there (once)."""

    path: str  # relative, '/'-separated; for a dropbox file, where the dropbox keeps it
    text: str | None = None
    source: str | None = None
    executable: bool = False
    data: bytes | None = None
    store: Callable[[], None] | None = None
    #: A big text, UTF-8, as `spooled` keeps it: a million-node DAG (200 MB) and its node
    #: map are then not held in memory beside the IR they were made from (see `body`).
    spool: IO[bytes] | None = None

    def body(self) -> str | None:
        """The whole text, for a reader who wants it as one string."""
        if self.spool is None:
            return self.text
        self.spool.seek(0)
        return self.spool.read().decode("utf-8")


def spooled(pieces: Iterable[str], path: str) -> IO[bytes]:
    """A text made in pieces (of the file `path`), kept in memory while small and in an
    unnamed temporary file (in $TMPDIR) once it passes SPOOL_IN_MEMORY; the file is gone
    when the plan is."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (returned)
    try:
        for piece in pieces:
            spool.write(piece.encode("utf-8"))
    except OSError as err:
        spool.close()
        raise JobsubError(f"cannot keep a big output file in {tempfile.gettempdir()} while "
                          f"it is planned: {err.strerror or err}",
                          hint="point TMPDIR to a folder with room") from None
    except UnicodeEncodeError as err:
        spool.close()
        raise not_text(path, err) from None
    return spool


def unwritable(path: str, text: str) -> JobsubError | None:
    """The refusal of a file's text that cannot be written as UTF-8, if it cannot."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        return not_text(path, err)
    return None


def not_text(path: str, err: UnicodeEncodeError) -> JobsubError:
    """A file would hold a lone surrogate: what Python makes of bytes that were not UTF-8
    (in the environment, or escaped in the input). Named with the line it is on."""
    text = err.object
    start = text.rfind("\n", 0, err.start) + 1
    end = text.find("\n", err.start)
    line = text[start:end if end >= 0 else len(text)]
    return JobsubError(f"{path} would hold {text[err.start]!r}, which is not a character (bytes "
                       f"that were not UTF-8): in {line[:200]!r}",
                       hint="look at the environment variables and values this line takes: "
                            "jobsub writes its files as UTF-8")


def check_replaceable(final_dir: str) -> None:
    """Raise unless `final_dir` is absent, empty, or an earlier jobsub output folder holding
    only what jobsub wrote: what DAGMan and the jobs left there (logs, outputs, rescue DAGs)
    and the user's own files are never deleted by a recompile."""
    if not os.path.lexists(final_dir):
        return
    if os.path.islink(final_dir) or not os.path.isdir(final_dir):
        raise JobsubError(f"output path {final_dir} exists and is not a folder",
                          hint="choose another folder with -o")
    marker = os.path.join(final_dir, MARKER)
    if not os.path.isfile(marker):
        if os.listdir(final_dir):
            raise JobsubError(f"output folder {final_dir} exists and was not written by "
                              "jobsub; refusing to replace it",
                              hint="choose another folder with -o")
        return
    with open(marker, encoding="utf-8", errors="replace") as fh:
        ours = {line for line in fh.read().splitlines() if line} | {MARKER}
    others = sorted(_files_under(final_dir) - ours)
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5
                                         else "")
        raise JobsubError(f"output folder {final_dir} holds {len(others)} file(s) jobsub "
                          f"did not write ({shown}); a recompile would delete them",
                          hint="they are what a run left (logs, outputs, rescue DAGs) or "
                               "yours: move them, or compile into another folder with -o")


def _files_under(folder: str) -> set[str]:
    out = set()
    for root, dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        for name in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            out.add(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return out


def write_folder(final_dir: str, files: list[OutFile]) -> None:
    """Write `files` under `final_dir`, replacing an earlier jobsub folder atomically."""
    final_dir = os.path.abspath(final_dir)
    check_replaceable(final_dir)
    parent = os.path.dirname(final_dir)
    tmp = None
    try:
        try:
            os.makedirs(parent, exist_ok=True)
            with signals_deferred():  # the folder exists only once `tmp` names it
                tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(final_dir)}.",
                                       suffix=".tmp", dir=parent)
        except OSError as err:
            _name_fits(parent, os.path.basename(final_dir))
            raise JobsubError(f"cannot create output folder in {parent}: "
                              f"{err.strerror}") from None
        os.chmod(tmp, _mode(0o777))
        inside = [f for f in files if f.store is None]
        for f in inside:
            _write_one(tmp, f)
        _write_one(tmp, OutFile(MARKER, "".join(f"{f.path}\n" for f in inside)))
        for f in files:
            if f.store is not None:
                _store(f)
        with signals_deferred():
            _swap_into_place(tmp, final_dir)
    except BaseException as err:
        if tmp is not None:
            with signals_deferred():
                shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError):
            raise JobsubError(f"cannot write output folder {final_dir}: "
                              f"{err.strerror or err}") from None
        raise


def _name_fits(parent: str, name: str) -> None:
    """The output folder's name, with the room its temporary sibling's name needs, must be
    one the filesystem takes."""
    try:
        most = os.pathconf(parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        most = 255
    room = len(".") + len(".12345678.tmp")
    if len(name.encode()) + room > most:
        raise JobsubError(f"the output folder's name ({name[:30]}...) is {len(name.encode())} "
                          f"bytes long; in {parent} a name can have at most {most - room}",
                          hint="choose a shorter name with -o")


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done: a step that must not be cut in
    half (create and remember a folder, swap two folders, remove one) runs whole, and the
    interruption takes effect right after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _mode(requested: int) -> int:
    """`requested` less the user's umask, as for any file a program creates (the temporary
    folder's 0700 must not leak into the result)."""
    mask = os.umask(0)
    os.umask(mask)
    return requested & ~mask


def _store(f: OutFile) -> None:
    try:
        f.store()
    except OSError:
        raise
    except Exception as err:  # a dropbox plugin's failure
        raise JobsubError(f"the dropbox could not store {f.path}: {err}") from None


def _write_one(root: str, f: OutFile) -> None:
    parts = f.path.split("/")
    if os.path.isabs(f.path) or any(p in ("", ".", "..") for p in parts):
        # Names are checked where they are written; this is the last line of defence.
        raise JobsubError(f"refusing to write {f.path!r}: it is not a plain path inside the "
                          "output folder")
    target = os.path.join(root, *parts)
    os.makedirs(os.path.dirname(target), mode=_mode(0o777), exist_ok=True)
    if f.source is not None:
        shutil.copyfile(f.source, target)
    elif f.data is not None:
        with open(target, "wb") as fh:
            fh.write(f.data)
    elif f.spool is not None:
        f.spool.seek(0)
        with open(target, "wb") as fh:
            shutil.copyfileobj(f.spool, fh, 2**20)
    else:
        with open(target, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(f.text or "")
    os.chmod(target, _mode(0o777 if f.executable else 0o666))


def _swap_into_place(tmp: str, final_dir: str) -> None:
    if not os.path.exists(final_dir):
        os.rename(tmp, final_dir)
        return
    old = tempfile.mkdtemp(prefix=f".{os.path.basename(final_dir)}.", suffix=".old",
                           dir=os.path.dirname(final_dir))
    os.rmdir(old)
    os.rename(final_dir, old)
    try:
        os.rename(tmp, final_dir)
    except BaseException:
        os.rename(old, final_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)
