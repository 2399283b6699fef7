"""Where jobsub keeps what it can make again, so that a short command starts fast: the
dagnabbit parser's tables and the submit-file templates, compiled once, under
$XDG_CACHE_HOME/jobsub (default ~/.cache/jobsub), beside the submission folders. Each entry
carries what it was made from (Lark checks its grammar's hash, jinja2 its template's), so a
stale one is made again.

What is read back there is code (a pickle, marshalled bytecode), so a folder is used only if
every level of it from ~/.cache/jobsub down is a real folder (not a link) of this user that
no one else may write; made with no group or other permissions. Anything else: no cache."""

from __future__ import annotations

import os
import stat


def user_cache() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME")
                        or os.path.join(os.path.expanduser("~"), ".cache"), "jobsub")


def cache_folder(name: str) -> str | None:
    """`user_cache()/compiled/NAME`, made if need be; None unless it and the folders above
    it up to user_cache() are this user's own (see the module's note)."""
    top = user_cache()
    folder = os.path.join(top, "compiled", name)
    old = os.umask(0o077)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    finally:
        os.umask(old)
    for level in (top, os.path.join(top, "compiled"), folder):
        if not _own_private_folder(level):
            return None
    return folder


def _own_private_folder(path: str) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))
