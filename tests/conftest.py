"""Fixtures: the jobsub_lite corpus in a scratch folder with dummy executables, and a stub
`condor_dagman` so that `htcondor2.Submit.from_dag` can parse DAG files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import CORPUS, CORPUS_EXECUTABLES, make_executable


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder with every corpus input and the executables they name."""
    for sub in ("dagnabbit", "edge"):
        for f in (CORPUS / sub).iterdir():
            shutil.copy(f, tmp_path / f.name)
    for name in CORPUS_EXECUTABLES:
        make_executable(tmp_path / name)
    (tmp_path / "testdir").mkdir()
    return tmp_path


@pytest.fixture
def dagman_stub(tmp_path_factory, monkeypatch) -> Path:
    """`condor_dagman` on PATH: Submit.from_dag only needs the file to exist."""
    bindir = tmp_path_factory.mktemp("stubbin")
    make_executable(bindir / "condor_dagman", "#!/bin/sh\nexit 0\n")
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    return bindir




@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    """The submitting environment feeds defaults (-G from $GROUP); tests start without it."""
    for name in ("GROUP", "JOBSUB_GROUP", "SUBMIT_FLAGS", "JOBSUB_EXPORTS"):
        monkeypatch.delenv(name, raising=False)
