"""Front ends: each reads one input format into the IR."""

from __future__ import annotations

import os
import re


def workflow_stem(path: str, suffixes: tuple[str, ...] | None = None) -> str:
    """The workflow's name from its file name, less one of `suffixes` (default: any
    extension). It is the stem of every file written: only characters safe in a file name,
    never starting with '.' or '-' (no `..`, nothing read as an option)."""
    base = os.path.basename(path)
    if suffixes is None:
        base = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    else:
        for suffix in suffixes:
            if base.endswith(suffix):
                base = base[: -len(suffix)]
                break
    return re.sub(r"^[.-]+", "", re.sub(r"[^A-Za-z0-9_.-]", "_", base)) or "workflow"
