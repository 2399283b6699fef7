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


@pytest.fixture(scope="session")
def pool(request):
    """A running personal HTCondor pool (tests/pool/pool.sh), started for the session if it
    was not running and stopped again at the end. If it cannot start, the tests that need it
    fail: they never skip."""
    import subprocess

    from tests.pool_support import Pool, pool_command, pool_environment

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
    import shutil
    import tempfile

    session_dir = Path(tempfile.mkdtemp(prefix="session-", dir=env["JOBSUB_POOL_SHARED"]))
    session_dir.chmod(0o777)
    try:
        yield Pool(session_dir, command)
    finally:
        # Jobs a test left behind would be held once their folder is gone: remove them.
        prefix = str(session_dir)
        try:
            htcondor2.Schedd().act(htcondor2.JobAction.Remove,
                                   f'substr(Iwd, 0, {len(prefix)}) == "{prefix}"')
        except Exception as err:  # the pool may already be gone; say so, do not fail
            print(f"pool teardown: could not remove leftover jobs: {err}")
        if not request.session.testsfailed:  # keep job folders of a failed run to look at
            shutil.rmtree(session_dir, ignore_errors=True)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if not was_running:
            subprocess.run([*command, "down"], capture_output=True)


@pytest.fixture
def pool_cwd(pool, monkeypatch, tmp_path):
    """A fresh job folder in the pool's shared directory, as working directory; the CLI runs
    in it as user jobsub (the identity of the pool's token) with umask 0, so the pool's
    user can write what we create."""
    folder = pool.job_dir(tmp_path.name[:20])
    monkeypatch.chdir(folder)
    monkeypatch.setenv("USER", "jobsub")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    old = os.umask(0)
    try:
        yield folder
    finally:
        os.umask(old)
