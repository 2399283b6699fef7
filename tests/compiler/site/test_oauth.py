"""Compile-time token scoping: a job's token keeps only the scopes its group, role and paths
cover (jobsub_lite's rules and handles)."""

from __future__ import annotations

import json

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.site import oauth
from jobsub.compiler.site.config import load_site
from tests.helpers import CORPUS
from tests.tokens import SCOPE

POLICY = load_site("fermilab", {}).policy.tokens
CLAIMS = json.loads((CORPUS / "vectors" / "token_claims.json").read_text())


def test_storage_modify_rules():
    mp1 = CLAIMS["tests/decode_token_tests/mp1"]["claims"]["scope"].split()
    scopes = oauth.job_scopes(mp1, ["/mu2e/scratch/users/username/out1/d1/x",
                                     "/pnfs/mu2e/scratch/users/username/new"],
                               ["storage.stage:/mu2e"], POLICY)
    assert "storage.modify:/mu2e/scratch/users/username" not in scopes  # dropped...
    assert "storage.modify:/mu2e/scratch/users/username/out1/d1/x" in scopes  # ...added back
    assert "storage.modify:/mu2e/scratch/users/username/new" in scopes  # /pnfs/ accepted
    assert "storage.stage:/mu2e" in scopes
    assert [len(s) for s in scopes] == sorted(len(s) for s in scopes)
    with pytest.raises(JobsubError, match=r"no storage\.modify scope covering /mu2e/data"):
        oauth.job_scopes(mp1, ["/mu2e/data"], [], POLICY)
    da1 = CLAIMS["tests/decode_token_tests/da1"]["claims"]["scope"].split()
    with pytest.raises(JobsubError) as info:
        oauth.job_scopes(da1, ["/dune/scratch/users/username"], [], POLICY)
    assert info.value.diagnostics[0].hint == "storage.modify paths this token holds: none"


def test_oauth_handles_match_jobsub_lite():
    scopes = oauth.job_scopes(SCOPE.split(), [], [], POLICY)
    assert " ".join(scopes) == ("compute.read compute.create compute.cancel compute.modify "
                                "storage.read:/fermilab storage.create:/fermilab/users/testuser")
    assert oauth.oauth_handle(scopes) == "996e58a689"
    more = oauth.job_scopes(SCOPE.split(), ["/fermilab/users/testuser/out"], [], POLICY)
    assert oauth.oauth_handle(more) == "9e4d8f8835"
    with pytest.raises(JobsubError):  # jobsub_lite's need_storage_modify_bad
        oauth.job_scopes(SCOPE.split(), ["/dune/data"], [], POLICY)


def test_storage_modify_paths_are_normalised_before_the_containment_check():
    held = ["storage.modify:/fermilab/users/testuser", "storage.read:/fermilab"]
    with pytest.raises(JobsubError) as info:
        oauth.job_scopes(held, ["/fermilab/users/testuser/../../../dune/data"], [], POLICY)
    d = info.value.diagnostics[0]
    assert "covering /dune/data" in d.message
    assert d.hint == "storage.modify paths this token holds: /fermilab/users/testuser"
    for sneaky in ("/fermilab/users/testuser/..", "/fermilab/users/testuser/../other",
                   "//fermilab/users/testuser/../../x", "fermilab/users/testuser/x",
                   "/fermilab/users/testuserX"):
        with pytest.raises(JobsubError):
            oauth.job_scopes(held, [sneaky], [], POLICY)
    scopes = oauth.job_scopes(held, ["/fermilab/users/testuser/./out/",
                                      "/pnfs/fermilab/users/testuser//x/../y"], [], POLICY)
    assert "storage.modify:/fermilab/users/testuser/out" in scopes
    assert "storage.modify:/fermilab/users/testuser/y" in scopes


def test_role_on_a_site_without_tokens_is_a_warning(tmp_path):
    from tests.helpers import compile_text, make_executable

    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, "jobsub_submit --role Production file://a.sh\n",
                              site="local")
    assert any("--role has no effect: the site policy gives jobs no tokens" in d.message
               for d in sink.warnings)
