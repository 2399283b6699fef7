"""Helpers shared by the tests: the corpus location, dummy executables, compiling."""

from __future__ import annotations

import stat
from pathlib import Path

from jobsub.compiler.diagnostics import Sink
from jobsub.compiler.pipeline import compile_path
from jobsub.compiler.siteconfig import load_site

DATA = Path(__file__).parent / "data"
CORPUS = DATA / "jobsub_lite"

#: Executables the corpus files name.
CORPUS_EXECUTABLES = [f"{n}.sh" for n in (
    "jobA", "jobB", "jobC", "jobD", "jobE", "jobF", "jobG", "jobH", "jobI", "initjobA",
    "initjobB", "ckjobA", "ckjobB", "job", "pre", "post", "check_jobsub_pre")]

#: Corpus inputs whose -f/--tar_file_name files are /pnfs paths: only a worker with the
#: fermilab profile's copy command can fetch them (the local profile needs them here).
CORPUS_SITE = {"dagTestH": "fermilab", "dagTestHS": "fermilab"}

#: The environment jobsub_lite's outputs were produced with.
CORPUS_ENV = {
    "USER": "testuser",
    "SUBMIT_FLAGS": "--resource-provides=usage_model=DEDICATED,OPPORTUNISTIC",
    "JOBSUB_EXPORTS": "--mail-on-error",
    "HOME_SET_VAR": "expanded",
}


def make_executable(path: Path, text: str = "#!/bin/sh\necho \"$0\" \"$@\"\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def compile_file(path: Path, env: dict | None = None, cmdline: dict | None = None,
                 site: str | None = None, policy=None):
    """(workflow, files, sink) for a workflow file, compiled from its own folder as the CLI
    does it."""
    sink = Sink()
    wf, files = compile_path(str(path), env={"PWD": str(path.parent), **CORPUS_ENV,
                                             **(env or {})},
                             cwd=str(path.parent), cmdline=cmdline, sink=sink,
                             policy=policy or load_site(
                                 site or CORPUS_SITE.get(path.name.split(".")[0]), {}).policy)
    return wf, files, sink


def compile_text(tmp_path: Path, text: str, name: str = "wf.dagnabbit", **kw):
    path = tmp_path / name
    path.write_text(text)
    return compile_file(path, **kw)
