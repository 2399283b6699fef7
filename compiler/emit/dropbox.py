"""The dropbox: where `dropbox://` files and `tardir://` tarballs are kept, by content hash,
and how a job gets them. A site chooses the backend (`dropbox:` in its site file):

- unset: the compiled folder's own `dropbox/` (HTCondor transfers the files);
- a path: a folder the schedd can read, shared by every workflow (written once per content);
- `{plugin: "package.module:factory", options: {...}}`: anything else (an object store,
  CVMFS publishing, dCache). `factory(options)` returns an object with the two methods of
  `Backend`; the job fetches what `locate` names with the site's copy command.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jobsub.compiler.base.diagnostics import JobsubError


@dataclass(frozen=True)
class Location:
    """Where one stored file is: `transfer` for transfer_input_files (relative: inside the
    compiled folder), or `fetch` for the wrapper's copy command."""

    transfer: str | None = None
    fetch: str | None = None


class Backend(Protocol):
    def locate(self, digest: str, name: str) -> Location:
        """Where the file of this content hash and name is (or will be) kept."""

    def store(self, where: Location, data: bytes | None, source: str | None) -> None:
        """Keep `data` (or a copy of the file `source`) at `where`, unless it is already
        there; called when the compiled folder is written."""


class FolderDropbox:
    """A folder; None: the compiled folder's own dropbox/ (written with the folder)."""

    def __init__(self, root: str | None = None):
        self.root = os.path.abspath(os.path.expanduser(root)) if root else None

    def locate(self, digest: str, name: str) -> Location:
        if self.root is None:
            return Location(transfer=f"dropbox/{digest}/{name}")
        return Location(transfer=os.path.join(self.root, digest, name))

    def store(self, where: Location, data: bytes | None, source: str | None) -> None:
        """Write once: beside the final name, then renamed, so no job sees half a file."""
        path = where.transfer
        if path is None or not os.path.isabs(path) or os.path.exists(path):
            return
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".partial.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                if data is not None:
                    fh.write(data)
                else:
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, fh)
            os.chmod(tmp, 0o644)
            os.rename(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise


def backend(setting: str | Mapping[str, Any] | None) -> Backend:
    """The backend a site's `dropbox:` setting names. JobsubError if a plugin cannot load."""
    if setting is None or isinstance(setting, str):
        return FolderDropbox(setting)
    spec = str(setting.get("plugin", ""))
    module_name, _, attr = spec.partition(":")
    hint = "dropbox: {plugin: 'package.module:factory'} names an importable factory"
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as err:
        raise JobsubError(f"cannot load the dropbox plugin {spec}: {err}", hint=hint) \
            from None
    try:
        made = factory(dict(setting.get("options") or {}))
    except Exception as err:  # a plugin's own failure, reported as one line
        raise JobsubError(f"the dropbox plugin {spec} failed to start: {err}") from None
    if not all(callable(getattr(made, m, None)) for m in ("locate", "store")):
        raise JobsubError(f"the dropbox plugin {spec} made no dropbox (it needs locate() "
                          "and store())", hint=hint)
    return made
