"""Faults against the real pool: a DAG the schedd refuses, a collector or schedd that is not
there, a user the schedd does not know; and a bearer token that must not leak anywhere on
the way. Each failure is one clear line and exit 1, and nothing is submitted twice."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import make_executable
from tests.pool_support import jobs_submitted_from
from tests.tokens import fermilab_token

pytestmark = pytest.mark.pool

REFUSED = "dag:\n  set_job_attr: {JobsubTestRefuse: true}\njobs:\n  a: {executable: a.sh}\n"
ROOT = Path(__file__).resolve().parents[2]


def jobsub(cwd: Path, *argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobsub.cli", *argv], cwd=cwd,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if not ln.startswith("  hint:")]


@pytest.fixture
def work(pool_cwd):
    make_executable(pool_cwd / "a.sh")
    return pool_cwd


def test_a_refused_dag_is_one_line_and_never_submitted(work):
    (work / "r.yaml").write_text(REFUSED)
    for _attempt in range(2):  # the second run asks the schedd again; it refuses again
        proc = jobsub(work, "submit", "-o", "out", "--dag", "file://r.yaml")
        assert proc.returncode == 1
        assert len(error_lines(proc.stderr)) == 1, proc.stderr
        assert proc.stderr.startswith("jobsub: error: submitting on schedd ")
        assert "the test pool refuses jobs with JobsubTestRefuse" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert jobs_submitted_from(work / "out", ["ClusterId"]) == []


@pytest.mark.parametrize("flags, message", [
    (("--collector", "127.0.0.1:1"), "jobsub: error: cannot find the schedd through "
                                     "127.0.0.1:1"),
    (("--schedd", "nosuch@nowhere"), "jobsub: error: no schedd named 'nosuch@nowhere' is "
                                     "known"),
])
def test_an_unreachable_pool_is_one_line(work, flags, message):
    proc = jobsub(work, "submit", *flags, "-o", "out", "file://a.sh")
    assert proc.returncode == 1
    assert len(error_lines(proc.stderr)) == 1 and proc.stderr.startswith(message), proc.stderr
    assert jobs_submitted_from(work / "out", ["ClusterId"]) == []


def test_a_user_the_schedd_does_not_know(work, tmp_path):
    empty = tmp_path / "no-tokens"
    empty.mkdir()
    proc = jobsub(work, "submit", "-o", "out", "file://a.sh",
                  env={"_CONDOR_SEC_TOKEN_DIRECTORY": str(empty)})
    assert proc.returncode == 1
    assert len(error_lines(proc.stderr)) == 1 and "Traceback" not in proc.stderr
    assert jobs_submitted_from(work / "out", ["ClusterId"]) == []


def test_the_token_never_leaks(work, tmp_path):
    """Every command that sees the token, and a submission that fails after the private
    copy is made (the test pool has no credd): the token's text and its claims are in no
    output, no written file, no state file, and the private copy is gone."""
    token_file = fermilab_token(tmp_path / "token")
    token = token_file.read_text().strip()
    secrets = [token, *token.split(".")[:2]]  # the whole token, its header and its claims
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {"BEARER_TOKEN_FILE": str(token_file), "TMPDIR": str(scratch),
           "JOBSUB_SUBMIT_DIR": str(work / "submits")}
    site = ["--site-config", str(ROOT / "sites" / "fermilab.yaml")]
    runs = [
        jobsub(work, "submit", *site, "-G", "fermilab", "--emit-ir", "file://a.sh", "x",
               env=env),
        jobsub(work, "submit", *site, "-G", "fermilab", "-n", "-o", "compiled", "file://a.sh",
               "x", env=env),
        jobsub(work, "submit", *site, "-G", "fermilab", "--debug", "file://a.sh", "x",
               env=env),
    ]
    assert [r.returncode for r in runs] == [0, 0, 1], [r.stderr for r in runs]
    assert "storing the job's token" in runs[-1].stderr  # failed after the copy was made
    assert '"oauth"' in runs[0].stdout  # the IR names the service, never the token
    looked_at = 0
    for r in runs:
        for secret in secrets:
            assert secret not in r.stdout and secret not in r.stderr
    for folder in (work, scratch, tmp_path / "state"):
        for path in folder.rglob("*"):
            if path.is_file() and path != token_file:
                looked_at += 1
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, path
    assert looked_at >= 8  # two compiled folders and the journal were read
    assert list(scratch.iterdir()) == []  # the private copy's folder is gone


def test_the_token_goes_to_the_credd_of_the_schedd_chosen(pool, work, tmp_path):
    """condor_submit stores a job's OAuth token through SEC_CREDENTIAL_STORER with the credd
    of CREDD_HOST; jobsub points it at the host of the schedd it chose (as jobsub_lite does
    with _condor_CREDD_HOST). A storer that records what it was told stands in for
    jobsub_lite's condor_vault_storer (the test pool runs no credd, so the submission then
    stops, with one line)."""
    token_file = fermilab_token(tmp_path / "token")
    seen = tmp_path / "storer.txt"
    storer = tmp_path / "storer.sh"
    storer.write_text("#!/bin/sh\n"
                      f'{{ echo "credd=$_CONDOR_CREDD_HOST"; echo "args=$*"; '
                      f'test -r "$BEARER_TOKEN_FILE" && echo "token readable"; }} > {seen}\n')
    storer.chmod(0o755)
    site = ["--site-config", str(ROOT / "sites" / "fermilab.yaml")]
    proc = jobsub(work, "submit", *site, "-G", "fermilab", "--schedd", pool.schedds[1],
                  "file://a.sh", env={"BEARER_TOKEN_FILE": str(token_file),
                                      "_CONDOR_SEC_CREDENTIAL_STORER": str(storer)})
    assert proc.returncode == 1 and "storing the job's token on schedd" in proc.stderr
    machine = pool.schedds[1].split("@", 1)[1]
    lines = seen.read_text().splitlines()
    assert lines[0] == f"credd={machine}"
    assert lines[1].startswith("args=fermilab&handle=") and "scopes=" in lines[1]
    assert lines[2] == "token readable"  # the private copy, gone now
    assert "submitted to cluster" not in proc.stdout
