"""Where jobsub keeps what it can make again, so that a short command starts fast: the
dagnabbit parser's tables and the submit-file templates, compiled once, under
$XDG_CACHE_HOME/jobsub (default ~/.cache/jobsub), beside the submission folders. Each entry
carries what it was made from (Lark checks its grammar's hash, jinja2 its template's), so a
stale one is made again; a folder that cannot be made (a read-only home) means no cache."""

from __future__ import annotations

import os


def user_cache() -> str:
    return os.path.join(os.environ.get("XDG_CACHE_HOME")
                        or os.path.join(os.path.expanduser("~"), ".cache"), "jobsub")


def cache_folder(name: str) -> str | None:
    """`user_cache()/compiled/NAME`, made if need be and writable; else None."""
    folder = os.path.join(user_cache(), "compiled", name)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
