"""The fermilab profile reproduces jobsub_lite: for dagTest, every submit file's
requirements, job attributes and OAuth lines mean what jobsub_lite 1.12 wrote."""

from __future__ import annotations

import re

import classad2
import htcondor2
import pytest

from jobsub.cli.main import main
from tests.helpers import CORPUS, CORPUS_ENV, make_executable
from tests.tokens import fermilab_token

GENERATED = CORPUS / "generated" / "dagTest"
#: Attributes that mean something (run-specific ones, like JobsubUUID or the client's IP
#: address, are left out; so is jobsub_lite's LeaveJobInQueue = False, deliberately not
#: written: jobsub fetches a job's logs from the schedd's spool, where they must wait).
ATTRIBUTES = ["AccountingGroup", "Jobsub_Group", "JOB_EXPECTED_MAX_LIFETIME", "DESIRED_SITES",
              "DESIRED_usage_model", "SingularityImage", "JobsubCmd", "Drain", "SpoolOnEvict"]


def _value(sub: htcondor2.Submit, key: str):
    """The ClassAd value of a submit key or attribute, evaluated, for comparison."""
    raw = sub.get(key) if key in sub else sub.get(f"MY.{key}")
    if raw is None:
        return None
    return classad2.ExprTree(raw).eval()


def _load(path) -> htcondor2.Submit:
    text = path.read_text()
    # jobsub_lite's run-specific placeholders are not submit syntax
    return htcondor2.Submit(re.sub(r"@[A-Z]+@", "X", text))


@pytest.fixture
def compiled(tmp_path, monkeypatch):
    work = tmp_path / "w"
    work.mkdir()
    (work / "dagTest").write_text((CORPUS / "dagnabbit" / "dagTest").read_text())
    for name in ("jobA", "jobB", "jobC", "jobD", "jobE"):
        make_executable(work / f"{name}.sh")
    for key, value in CORPUS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("BEARER_TOKEN_FILE", str(fermilab_token(tmp_path / "token")))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(work)
    assert main(["compile", "dagTest", "-o", "out", "-G", "fermilab",
                 "--site-config", "fermilab"]) == 0
    return work / "out"


@pytest.mark.parametrize("n", range(1, 6))
def test_dagtest_matches_jobsub_lite(compiled, n):
    ours = htcondor2.Submit((compiled / f"stage_{n}.sub").read_text())
    theirs = _load(GENERATED / f"stage_{n}.cmd")
    # requirements: the same expression (compared as parsed ClassAd expressions)
    assert str(classad2.ExprTree(ours["requirements"])) == \
        str(classad2.ExprTree(theirs["requirements"]))
    for attr in ATTRIBUTES:
        assert _value(ours, attr) == _value(theirs, attr), attr
    assert ours["notification"] == theirs["notification"]
    assert ours["notify_user"].strip('"') == theirs["notify_user"].strip('"')
    # OAuth: the same service and the same permissions line, to the character
    assert ours["use_oauth_services"] == theirs["use_oauth_services"] == "fermilab"
    ours_perm = {k: v for k, v in ours.items() if "_oauth_permissions_" in k}
    theirs_perm = {k: v for k, v in theirs.items() if "_oauth_permissions_" in k}
    assert ours_perm == theirs_perm == {
        "fermilab_oauth_permissions_996e58a689": '" compute.read compute.create '
        'compute.cancel compute.modify storage.read:/fermilab storage.create:/fermilab/users/'
        'testuser "'}
    assert "BEARER_TOKEN_FILE=.condor_creds/fermilab_996e58a689.use" in ours["environment"]


def test_the_token_is_never_written(compiled, tmp_path):
    secret = (tmp_path / "token").read_text().strip()
    for path in compiled.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
            assert secret.split(".")[1] not in path.read_text(errors="replace"), path
