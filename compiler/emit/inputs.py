"""What a job receives besides its executable (-f files, tarballs) and what it sends back
(-d folders, the -L log): where each comes from and how it gets there.

- `dropbox://PATH` files and tarballs go into the dropbox (see dropbox.py), named by their
  content's hash (a file already there is reused).
- `tardir://DIR` is tarred reproducibly (sorted, owner and times cleared, exclusion
  patterns applied), so the same folder always makes the same tarball and the same name.
- Plain paths are copied by the wrapper on the worker if the site names a `copy_command`
  (jobsub_lite's `ifdh cp`: the file need only exist where the worker can reach it);
  otherwise they are taken along like `dropbox://` files, so that the compiled folder holds
  everything its jobs need and can be spooled to a schedd that cannot see this machine.
- -d folders and the -L log go back through the site's `copy_command`; without one they
  come back with the job's output (see outputs_tar) and `jobsub fetchlog` puts them in place.
"""

from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import os
import re
import tarfile
from dataclasses import dataclass

from jobsub.compiler.base.diagnostics import JobsubError, Span
from jobsub.compiler.emit.dropbox import Backend
from jobsub.compiler.ir.model import JobSpec

DROPBOX = "dropbox://"
TARDIR = "tardir://"


@dataclass(frozen=True)
class Shipped:
    """A file the job gets: `transfer` for transfer_input_files, or `fetch` for the wrapper's
    copy command; `name` is what the job finds it called, `stored` what it is called on the
    way (see stored_name)."""

    name: str
    transfer: str | None = None
    fetch: str | None = None
    content: bytes | None = None  # to be written into the dropbox at `transfer`
    source: str | None = None  # to be copied into the dropbox at `transfer`
    stored: str | None = None  # its name in the dropbox and the sandbox, if not `name`

    @property
    def arrives_as(self) -> str:
        return self.stored or self.name


_TRANSFERABLE = re.compile(r"[^\s,]+")


def stored_name(name: str) -> str | None:
    """The name a file travels under when its own cannot: HTCondor's file lists split on
    commas, and the spooling client on blanks too. None when `name` travels as it is; the
    wrapper gives the file its real name in the job's sandbox."""
    if _TRANSFERABLE.fullmatch(name):
        return None
    return "jobsub_in_" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]


@dataclass(frozen=True)
class JobFiles:
    inputs: list[Shipped]
    tarballs: list[Shipped]
    outputs: list[tuple[str, str]] = ()  # (TAG, destination) of each -d
    log_file: str | None = None


def destination(path: str, base_dir: str) -> str:
    """Where a -d folder or -L log goes. A relative path would name a place in the job's
    sandbox, which is thrown away; it means the folder the workflow was written in."""
    if "://" in path or os.path.isabs(path):
        return path
    return _resolve(path, base_dir)


def tarball_stem(name: str) -> str:
    """code.tgz -> code: the name jobsub_lite links in $CONDOR_DIR_INPUT for a tarball."""
    for ext in (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".tar"):
        if name.endswith(ext) and len(name) > len(ext):
            return name[:-len(ext)]
    return name


def _resolve(path: str, base_dir: str) -> str:
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(path)))


def _digest_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def exclusion_patterns(path: str | None, base_dir: str, span: Span | None = None) -> list[str]:
    if not path:
        return []
    full = _resolve(path, base_dir)
    try:
        with open(full, encoding="utf-8") as fh:
            return [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
    except OSError as err:
        raise JobsubError(f"cannot read the tarball exclusion file {path}: {err.strerror}",
                          span) from None


class _Hashing:
    """Passes the tar stream on to gzip, hashing it: a tarball is named by what it holds,
    not by the bytes of one zlib version's compression."""

    def __init__(self, out):
        self.out = out
        self.sha = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        return self.out.write(data)


class NotTarrable(Exception):
    """A file a tarball cannot hold (a socket); `args[0]` is its path in the folder."""


def tar_directory(folder: str, exclude: list[str]) -> tuple[bytes, str]:
    """A gzipped tar of `folder`'s contents, and its name hash: both depend only on names,
    contents and whether each file is executable."""
    def excluded(rel: str) -> bool:
        parts = rel.split("/")
        return any(fnmatch.fnmatch(rel, p) or any(fnmatch.fnmatch(x, p) for x in parts)
                   for p in exclude)

    out = io.BytesIO()
    # gzip level 6 (gzip's own default) and no name or time in its header.
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, filename="", compresslevel=6) as gz:
        hashing = _Hashing(gz)
        with tarfile.open(fileobj=hashing, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            _write_tar(tar, folder, excluded)
    return out.getvalue(), hashing.sha.hexdigest()[:16]


def _write_tar(tar: tarfile.TarFile, folder: str, excluded) -> None:
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        rel_root = os.path.relpath(root, folder)
        for name in sorted(dirs) + sorted(files):
            full = os.path.join(root, name)
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if excluded(rel):
                if name in dirs:
                    dirs.remove(name)
                continue
            info = tar.gettarinfo(full, arcname=rel)
            if info is None:  # a socket or a door: not something a tarball holds
                raise NotTarrable(rel)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            info.pax_headers = {}
            # As git does: executable or not; the umask of a checkout is not content.
            info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
            if info.isfile():
                with open(full, "rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)


#: Names the wrapper itself uses in the job's sandbox, and the prefixes of its own folders
#: and files there (jobsub_out_TAG, jobsub_tar_N, jobsub_in_HASH).
SANDBOX_NAMES = frozenset({".empty_file", "jobsub_joblog", "jobsub_input"})
SANDBOX_PREFIXES = ("jobsub_out_", "jobsub_tar_", "jobsub_in_")


def sandbox_name_taken(name: str) -> bool:
    """Whether the wrapper writes `name` in the job's sandbox itself (a file of the user's
    called so would be clobbered before or after the executable runs)."""
    return name in SANDBOX_NAMES or name.startswith(SANDBOX_PREFIXES) or \
        name.endswith(".outputs.tar")



def job_files(spec: JobSpec, base_dir: str, dropbox: Backend, copy_command: bool,
              span: Span | None, taken: frozenset[str] = frozenset()) -> JobFiles:
    """Where each -f file and tarball of `spec` comes from, and where -d and -L go. Raises
    JobsubError (with the spec's location) for a file that is not there or a name that is
    `taken` in the sandbox (the executable, the wrapper)."""
    o = spec.options
    inputs = [_one(value, base_dir, dropbox, copy_command, span)
              for value in o.get("input_file", [])]
    tarballs = []
    for value in o.get("tar_file_name", []):
        if value.startswith(TARDIR):
            folder = _resolve(value[len(TARDIR):], base_dir)
            if not os.path.isdir(folder):
                raise JobsubError(f"tardir:// folder {value[len(TARDIR):]} does not exist",
                                  span)
            patterns = exclusion_patterns(o.get("tarball_exclusion_file"), base_dir, span)
            try:
                data, digest = tar_directory(folder, patterns)
            except OSError as err:
                raise JobsubError(f"cannot tar {value}: {err.filename}: {err.strerror}",
                                  span) from None
            except NotTarrable as err:
                raise JobsubError(f"cannot tar {value}: {err.args[0]} is a socket or another "
                                  "special file a tarball cannot hold", span,
                                  "leave it out with --tarball-exclusion-file") from None
            name = f"{os.path.basename(folder.rstrip('/')) or 'dir'}.tgz"
            stored = stored_name(name)
            where = dropbox.locate(digest, stored or name)
            tarballs.append(Shipped(name, where.transfer, where.fetch, content=data,
                                    stored=stored))
        else:
            tarballs.append(_one(value, base_dir, dropbox, copy_command, span))
    names = [s.name for s in [*inputs, *tarballs]]
    names += [tarball_stem(t.name) for t in tarballs if tarball_stem(t.name) != t.name]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash:
        raise JobsubError(f"two input files (or a tarball's folder) are both called {clash} "
                          "in the job's sandbox", span, "rename one of them")
    clash = next((n for n in names if n in taken or sandbox_name_taken(n)), None)
    if clash:
        raise JobsubError(f"input file {clash} has the name of a file jobsub puts in the "
                          "job's sandbox (the executable or its wrapper)", span,
                          "rename the input file")
    outputs = []
    for tag, dest in o.get("output_dir", []):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tag):
            raise JobsubError(f"-d {tag}: the tag names the variable $CONDOR_DIR_{tag}",
                              span, "use letters, digits and _ (not first) only")
        _reachable(f"-d {tag}", dest, copy_command, span)
        outputs.append((tag, destination(dest, base_dir)))
    tags = [t for t, _ in outputs]
    if len(set(tags)) != len(tags):
        raise JobsubError(f"-d {next(t for t in tags if tags.count(t) > 1)} is given twice",
                          span, "each tag names one folder")
    log = o.get("log_file")
    if log:
        _reachable("-L", log, copy_command, span)
    return JobFiles(inputs, tarballs, outputs, destination(log, base_dir) if log else None)


def _reachable(what: str, dest: str, copy_command: bool, span: Span | None) -> None:
    """Without a copy command, outputs come back to this machine: a URL cannot be filled."""
    if "://" in dest and not copy_command:
        raise JobsubError(f"{what} {dest}: a URL needs the site's copy command to reach it "
                          "from the worker, and this site has none", span,
                          "give a folder on this machine (outputs come back with "
                          "jobsub fetchlog), or use a site with a copy_command")


def _one(value: str, base_dir: str, dropbox: Backend, copy_command: bool,
         span: Span | None) -> Shipped:
    if value.startswith(DROPBOX) or not copy_command:
        plain = not value.startswith(DROPBOX)
        given = value if plain else value[len(DROPBOX):]
        path = _resolve(given, base_dir)
        if not os.path.isfile(path):
            if plain:
                raise JobsubError(f"input file {value} does not exist", span,
                                  "input files are taken along from this machine when you "
                                  "compile or submit; the file must be here")
            raise JobsubError(f"dropbox file {given} does not exist", span)
        name = os.path.basename(path)
        try:
            digest = _digest_file(path)
        except OSError as err:
            raise JobsubError(f"cannot read dropbox file {path}: {err.strerror}", span) \
                from None
        stored = stored_name(name)
        where = dropbox.locate(digest, stored or name)
        return Shipped(name, where.transfer, where.fetch, source=path, stored=stored)
    return Shipped(os.path.basename(value.rstrip("/")), fetch=value)
