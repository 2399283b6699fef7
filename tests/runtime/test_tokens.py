"""Bearer tokens: decoding, checks, where they are found, the role, htgettoken, scopes."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import time
from pathlib import Path

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.site.config import load_site
from jobsub.runtime import tokens
from tests.helpers import CORPUS, make_executable
from tests.tokens import SCOPE, fermilab_token, make_token, write_token

POLICY = load_site("fermilab", {}).policy.tokens
CLAIMS = json.loads((CORPUS / "vectors" / "token_claims.json").read_text())
UID = 987_654  # no real token files belong to it


def test_decode_the_vectors():
    for name, case in CLAIMS.items():
        if case.get("undecodable"):
            for bad in ("not-a-token", "a.b", "a.!!!.c", "a..c"):
                with pytest.raises(tokens.TokenError):
                    tokens.decode(bad)
            continue
        assert tokens.decode(make_token(**case["claims"])) == {
            "aud": "https://wlcg.cern.ch/jwt/v1/any", "iss": "https://demo.scitokens.org",
            "ver": "scitoken:2.0", "iat": pytest.approx(time.time(), abs=60),
            **case["claims"]}, name


def test_checks():
    now = 1_800_000_000
    fermilab = CLAIMS["tests/fake_ifdh_tokens/fermilab.token"]["claims"]
    production = CLAIMS["tests/fake_ifdh_tokens/fermilab_production.token"]["claims"]
    expired = CLAIMS["tests/fake_ifdh_tokens/expired.token"]["claims"]
    assert tokens.problems(fermilab, "fermilab", "Analysis", POLICY, now) == []
    assert tokens.problems(production, "fermilab", "production", POLICY, now) == []
    assert tokens.problems(fermilab, "fermilab", "production", POLICY, now) == [
        "its wlcg.groups do not hold /fermilab/production"]
    assert tokens.problems(fermilab, "dune", "Analysis", POLICY, now) == [
        "its wlcg.groups do not hold /dune"]
    assert tokens.problems({**expired, "wlcg.groups": ["/fermilab"]}, "fermilab", "Analysis",
                           POLICY, now) == ["it has expired"]
    soon = {**fermilab, "exp": now + 30}
    assert tokens.problems(soon, "fermilab", "Analysis", POLICY, now) == [
        "it expires in 30 s (less than 60 s)"]
    strict = dataclasses.replace(POLICY, issuer_url="https://cilogon.org/{issuer}",
                                 issuers={"fermilab-test": "fermilab"})
    assert tokens.problems({**fermilab, "iss": "https://cilogon.org/dune"}, "fermilab",
                           "Analysis", strict, now) == [
        "it was not issued by https://cilogon.org/fermilab"]
    assert tokens.problems({**fermilab, "iss": "https://cilogon.org/fermilab",
                            "wlcg.groups": ["/fermilab-test"]}, "fermilab-test", "Analysis",
                           strict, now) == []  # a group alias shares its issuer


def test_found_where_users_keep_them(tmp_path):
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run")}
    assert tokens.candidates(env, UID, "fermilab", "Analysis") == [
        f"{tmp_path}/run/bt_u{UID}", f"/tmp/bt_u{UID}",
        f"{tmp_path}/run/bt_token_fermilab_Analysis_{UID}",
        f"/tmp/bt_token_fermilab_Analysis_{UID}"]
    stale = write_token(tmp_path / "run" / f"bt_u{UID}", **{"wlcg.groups": ["/fermilab"]},
                        exp=int(time.time()) - 5)
    good = fermilab_token(tmp_path / "run" / f"bt_token_fermilab_Analysis_{UID}")
    found, reasons = tokens.find("fermilab", "Analysis", POLICY, env, UID)
    assert found.path == str(good)
    assert reasons == [f"{stale}: it has expired"]
    explicit = fermilab_token(tmp_path / "mine")
    found, _ = tokens.find("fermilab", "Analysis", POLICY,
                           {**env, "BEARER_TOKEN_FILE": str(explicit)}, UID)
    assert found.path == str(explicit)


def test_role_order(tmp_path):
    env = {"HOME": str(tmp_path), "BEARER_TOKEN_FILE": str(tmp_path / "bt")}
    assert tokens.role_for("fermilab", None, env, os.getuid(), POLICY) == "Analysis"
    write_token(tmp_path / "bt", **{"wlcg.groups": ["/fermilab/production", "/fermilab"]})
    assert tokens.role_for("fermilab", None, env, os.getuid(), POLICY) == "production"
    role_file = tmp_path / ".config" / f"jobsub_default_role_fermilab_{os.getuid()}"
    role_file.parent.mkdir()
    role_file.write_text("calibration\n")
    assert tokens.role_for("fermilab", None, env, os.getuid(), POLICY) == "calibration"
    assert tokens.role_for("fermilab", "Production", env, os.getuid(), POLICY) == "Production"


@pytest.fixture
def fake_htgettoken(tmp_path):
    """An htgettoken that records its arguments and writes the token in $FAKE_TOKEN."""
    bindir = tmp_path / "bin"
    record = tmp_path / "htgettoken.args"
    make_executable(bindir / "htgettoken", f"""#!/bin/sh
printf '%s\\n' "$@" > {record}
[ -n "$FAKE_FAIL" ] && exit 3
while [ $# -gt 0 ]; do
  if [ "$1" = -o ]; then printf '%s' "$FAKE_TOKEN" > "$2"; fi
  shift
done
""")
    return bindir, record


def test_missing_token_runs_htgettoken(tmp_path, fake_htgettoken):
    bindir, record = fake_htgettoken
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp_path),
           "HTGETTOKENOPTS": "--credkey=fermilabpro/managedtokens/host.example --nooidc",
           "FAKE_TOKEN": make_token(**{"wlcg.groups": ["/fermilab/production", "/fermilab"]},
                                    scope=SCOPE)}
    found = tokens.obtain("fermilab", "Production", POLICY, env, UID)
    out = f"{tmp_path}/bt_token_fermilab_Production_{UID}"
    assert found.path == out
    assert record.read_text().split("\n")[:-1] == [
        "-a", "htvaultprod.fnal.gov", "-i", "fermilab", "-r", "production",
        "--credkey=fermilabpro/managedtokens/host.example", "--nooidc", "-o", out]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_stale_token_is_replaced_and_failures_are_clear(tmp_path, fake_htgettoken):
    bindir, record = fake_htgettoken
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp_path),
           "BEARER_TOKEN_FILE": str(write_token(tmp_path / "old", exp=int(time.time()) - 1,
                                                **{"wlcg.groups": ["/fermilab"]})),
           "FAKE_TOKEN": make_token(**{"wlcg.groups": ["/fermilab"]})}
    # refreshed where the user keeps it ($BEARER_TOKEN_FILE), as jobsub_lite did
    assert tokens.obtain("fermilab", "Analysis", POLICY, env, UID).path == \
        env["BEARER_TOKEN_FILE"]
    assert "-r" not in record.read_text().split("\n")  # Analysis is the default role
    write_token(tmp_path / "old", exp=int(time.time()) - 1, **{"wlcg.groups": ["/fermilab"]})
    with pytest.raises(JobsubError, match=r"htgettoken failed \(exit 3\)"):
        tokens.obtain("fermilab", "Analysis", POLICY, {**env, "FAKE_FAIL": "1"}, UID)
    with pytest.raises(JobsubError, match=r"does not fit: its wlcg\.groups do not hold /dune"):
        tokens.obtain("dune", "Analysis", POLICY, env, UID)
    with pytest.raises(JobsubError, match="htgettoken is not installed"):
        tokens.obtain("dune", "Analysis", POLICY, {**env, "PATH": "/nonexistent"}, UID)


def test_private_copy_is_0600_and_always_removed(tmp_path):
    src = fermilab_token(tmp_path / "t")
    with tokens.private_copy(str(src)) as copy:
        assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
        assert Path(copy).read_text() == src.read_text()
        folder = os.path.dirname(copy)
    assert not os.path.exists(folder)
    with pytest.raises(RuntimeError), tokens.private_copy(str(src)) as copy:
        raise RuntimeError("submission failed")
    assert not os.path.exists(os.path.dirname(copy))


# --- Hardening II: the token holes ---------------------------------------------------------

def test_a_token_is_used_only_for_its_own_role():
    now = 1_800_000_000
    both = {"exp": now + 3600, "wlcg.groups": ["/fermilab", "/fermilab/production"]}
    assert tokens.problems(both, "fermilab", "Analysis", POLICY, now) == [
        "it is for role production of group fermilab, not Analysis"]
    assert tokens.problems(both, "fermilab", "Production", POLICY, now) == []
    assert tokens.problems(both, "fermilab", "calibration", POLICY, now) == [
        "its wlcg.groups do not hold /fermilab/calibration"]
    two = {**both, "wlcg.groups": ["/fermilab", "/fermilab/production", "/fermilab/calib"]}
    assert tokens.problems(two, "fermilab", "production", POLICY, now) == [
        "it is for roles calib, production of group fermilab, not production alone"]
    other = {**both, "wlcg.groups": ["/fermilab", "/dune/production"]}
    assert tokens.problems(other, "fermilab", "Analysis", POLICY, now) == []


def test_a_production_token_is_not_handed_to_an_analysis_job(tmp_path, fake_htgettoken):
    bindir, _record = fake_htgettoken
    mine = write_token(tmp_path / "prod", **{"wlcg.groups": ["/fermilab",
                                                            "/fermilab/production"]})
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "XDG_RUNTIME_DIR": str(tmp_path),
           "BEARER_TOKEN_FILE": str(mine), "FAKE_TOKEN": make_token(**{"wlcg.groups":
                                                                      ["/fermilab"]})}
    found = tokens.obtain("fermilab", "Analysis", POLICY, env, UID)
    assert found.path == f"{tmp_path}/bt_token_fermilab_Analysis_{UID}"  # a new one...
    assert tokens.read_claims(str(mine))["wlcg.groups"] == [
        "/fermilab", "/fermilab/production"]  # ...and theirs is left as it was


def test_an_expired_bearer_token_file_is_refreshed_in_place(tmp_path, fake_htgettoken):
    bindir, record = fake_htgettoken
    old = write_token(tmp_path / "mine", exp=int(time.time()) - 1,
                      **{"wlcg.groups": ["/fermilab"]})
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "BEARER_TOKEN_FILE": str(old),
           "TMPDIR": str(tmp_path), "FAKE_TOKEN": make_token(**{"wlcg.groups": ["/fermilab"]})}
    assert tokens.obtain("fermilab", "Analysis", POLICY, env, UID).path == str(old)
    assert record.read_text().split("\n")[-2] == str(old)  # htgettoken -o $BEARER_TOKEN_FILE
    assert tokens.problems(tokens.read_claims(str(old)), "fermilab", "Analysis", POLICY) == []


def test_without_xdg_runtime_dir_tokens_go_under_tmpdir(tmp_path):
    env = {"TMPDIR": str(tmp_path)}
    assert tokens.default_token_path(env, UID, "fermilab", "Analysis") == \
        f"{tmp_path}/bt_token_fermilab_Analysis_{UID}"
    assert f"{tmp_path}/bt_token_fermilab_Analysis_{UID}" in tokens.candidates(
        env, UID, "fermilab", "Analysis")
    assert tokens.default_token_path({}, UID, "fermilab", "Analysis") == \
        f"/tmp/bt_token_fermilab_Analysis_{UID}"


def test_a_group_or_role_htcondor_cannot_carry_is_a_located_error(tmp_path, monkeypatch,
                                                                  capsys):
    from jobsub.cli.main import main

    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    monkeypatch.setenv("BEARER_TOKEN_FILE", str(fermilab_token(tmp_path / "t")))
    site = ["--site-config", "fermilab"]
    (tmp_path / "w.dagnabbit").write_text("jobsub_submit -G fermilab --role 'a b' "
                                          "file://a.sh\n")
    assert main(["compile", *site, "w.dagnabbit", "-o", "o"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("w.dagnabbit:1:") and "'a b' is not a role name" in err
    (tmp_path / "g.dagnabbit").write_text("jobsub_submit -G 'fer milab' file://a.sh\n")
    assert main(["compile", *site, "g.dagnabbit", "-o", "o"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("g.dagnabbit:1:") and "which HTCondor cannot carry" in err
    role_file = tmp_path / ".config" / f"jobsub_default_role_fermilab_{os.getuid()}"
    role_file.parent.mkdir()
    role_file.write_text("pro;duction\n")
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "r.dagnabbit").write_text("jobsub_submit -G fermilab file://a.sh\n")
    assert main(["compile", *site, "r.dagnabbit", "-o", "o"]) == 1
    err = capsys.readouterr().err
    assert "role 'pro;duction'" in err and not (tmp_path / "o").exists()
