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


def _clear_queues(htcondor2, all_schedds) -> None:
    """Every job of the test pool removed and its unfetched output let go: a finished
    spooled job otherwise waits days for a fetch (and a peek or fetch moves its SUBMIT_Iwd
    out of any folder a test could name), so queues grew from session to session."""
    try:
        for schedd in all_schedds():
            schedd.act(htcondor2.JobAction.Remove, "JobStatus != 3 && JobStatus != 4")
            finished = schedd.query("JobStatus == 4 || JobStatus == 3", ["ClusterId", "ProcId"])
            if finished:
                schedd.edit([f"{a['ClusterId']}.{a['ProcId']}" for a in finished],
                            "LeaveJobInQueue", "false")
    except Exception as err:  # the pool may be gone; say so, do not fail
        print(f"test pool: could not clear the queues: {err}")


@pytest.fixture(scope="session")
def pool(request, tmp_path_factory):
    """A running HTCondor pool shaped like a site (tests/pool/pool.sh: no folder shared with
    this machine, two schedds), started for the session if it was not running and stopped
    again at the end. If it cannot start, the tests that need it fail: they never skip."""
    import subprocess

    from tests.pool_support import Pool, all_schedds, pool_command, pool_environment

    command = pool_command()
    was_running = subprocess.run([*command, "status"], capture_output=True).returncode == 0
    started = subprocess.run([*command, "up"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"the test pool did not start ({' '.join(command)} up):\n"
                    f"{started.stderr[-4000:]}", pytrace=False)
    env = pool_environment()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    import htcondor2

    htcondor2.reload_config()
    names = subprocess.run([*command, "schedds"], capture_output=True, text=True,
                           check=True).stdout.split()
    _clear_queues(htcondor2, all_schedds)  # what an earlier session or a bench left
    try:
        yield Pool(command, names)
    finally:
        _clear_queues(htcondor2, all_schedds)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if not was_running:
            subprocess.run([*command, "down"], capture_output=True)


@pytest.fixture
def pool_cwd(pool, monkeypatch, tmp_path):
    """A fresh folder on this machine as working directory, where a user would keep a
    workflow; the CLI runs as user jobsub (the identity of the pool's token) with its own
    state and cache folders. Nothing here is visible to the pool."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("USER", "jobsub")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("JOBSUB_SUBMIT_DIR", raising=False)
    return folder


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium (Debian's), installed if missing; see tests/browser.py."""
    from tests.browser import find_or_install

    return find_or_install()
