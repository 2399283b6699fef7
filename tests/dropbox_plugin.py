"""A dropbox plugin for the tests: keeps files in a folder named by its options and gives
jobs their paths to fetch (as an object store would give URLs)."""

from __future__ import annotations

import os
import shutil

from jobsub.compiler.emit.dropbox import Location


class FolderStore:
    def __init__(self, options: dict):
        self.root = options["root"]
        self.stored: list[str] = []

    def locate(self, digest: str, name: str) -> Location:
        return Location(fetch=os.path.join(self.root, "by-hash", digest, name))

    def store(self, where: Location, data: bytes | None, source: str | None) -> None:
        os.makedirs(os.path.dirname(where.fetch), exist_ok=True)
        if data is not None:
            with open(where.fetch, "wb") as fh:
                fh.write(data)
        else:
            shutil.copyfile(source, where.fetch)


def make(options: dict) -> FolderStore:
    return FolderStore(options)


def broken(options: dict):
    raise RuntimeError("no credentials for the store")
