"""jobsub_lite's submission flags and variables: their meaning here, or a refusal that
says why (never "unknown option")."""

from __future__ import annotations

import pytest

from jobsub.cli.main import jobsub_submit_main, main
from tests.helpers import make_executable
from tests.tokens import make_token


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USER", "tester")
    for var in ("JOBSUB_AUTH_METHODS", "JOBSUB_EXTRA_ENVIRONMENT", "JOBSUB_EXTRA_LINES",
                "JOBSUB_POOL_MAP", "JOBSUB_GLOBAL_POOL", "JOBSUB_MANAGED_TOKEN",
                "JOBSUB_SITE_CONFIG", "BEARER_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "site.yaml").write_text(
        "name: lab\nonsite_site: LabGrid\nsupport: \"Ask the lab's help desk: help@lab.example\"\n"
        "usage_models: {default: 'DEDICATED,OFFSITE', onsite: DEDICATED, offsite: OFFSITE,"
        " onsite_sites: DEDICATED, mixed_sites: 'DEDICATED,OFFSITE'}\n"
        "pools:\n  other: {collector: cm.other.example, onsite: OtherGrid}\n")
    return tmp_path


def submit(capsys, *argv: str) -> tuple[int, str, str]:
    code = jobsub_submit_main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_support_email_says_the_sites_contact(work, capsys):
    assert submit(capsys, "--site-config", "site.yaml", "--support-email")[:2] == \
        (0, "Ask the lab's help desk: help@lab.example\n")
    code, out, _ = submit(capsys, "--support-email")
    assert code == 0 and "names no support contact" in out
    with pytest.raises(SystemExit):  # argparse commands take it too
        main(["q", "--site-config", "site.yaml", "--support-email", "--help"])
    capsys.readouterr()
    assert main(["q", "--site-config", "site.yaml", "--support-email"]) == 0
    assert capsys.readouterr().out == "Ask the lab's help desk: help@lab.example\n"


@pytest.mark.parametrize("methods, message", [
    ("proxy", "jobsub authenticates with tokens only"),
    ("tokn", "did you mean token?"),
])
def test_auth_methods_must_name_token(work, capsys, methods, message):
    code, _, err = submit(capsys, "-n", "--auth-methods", methods, "file://a.sh")
    assert code == 2 and message in err, err


def test_auth_methods_proxy_beside_token_is_said_not_used(work, capsys, monkeypatch):
    code, _, err = submit(capsys, "-n", "-q", "--auth-methods", "token,proxy", "file://a.sh")
    assert code == 0 and "proxy is not used" in err
    monkeypatch.setenv("JOBSUB_AUTH_METHODS", "proxy")
    code, _, err = submit(capsys, "-n", "file://a.sh")
    assert code == 2 and "$JOBSUB_AUTH_METHODS: jobsub authenticates with tokens only" in err


def test_skip_check_takes_rcds_only(work, capsys):
    assert submit(capsys, "-n", "-q", "--skip-check", "rcds", "file://a.sh")[0] == 0
    code, _, err = submit(capsys, "-n", "--skip-check", "cvmfs", "file://a.sh")
    assert code == 2 and "the one check jobsub_lite can skip is rcds" in err


def test_extra_environment_and_lines_come_before_the_command_lines(work, capsys, monkeypatch):
    monkeypatch.setenv("JOBSUB_EXTRA_ENVIRONMENT", "FROM_ENV=1,,SHARED=env")
    monkeypatch.setenv("JOBSUB_EXTRA_LINES", "+FromEnv = 7")
    assert submit(capsys, "-n", "-q", "-o", "out", "-e", "SHARED=cli", "file://a.sh")[0] == 0
    import htcondor2

    sub = htcondor2.Submit((work / "out" / "simple.sub").read_text())
    env = sub["environment"]
    assert "FROM_ENV=1" in env and env.index("SHARED=env") < env.index("SHARED=cli")
    assert sub["MY.FromEnv"] == "7"


def test_a_bad_extra_variable_is_named(work, capsys, monkeypatch):
    monkeypatch.setenv("JOBSUB_EXTRA_ENVIRONMENT", "1BAD=x")
    code, _, err = submit(capsys, "-n", "file://a.sh")
    assert code == 2 and err.startswith("$JOBSUB_EXTRA_ENVIRONMENT: error: "), err


def test_global_pool_takes_the_pools_collector_and_onsite_site(work, capsys, monkeypatch):
    import htcondor2

    def usage_model(*pool: str) -> str:
        code, _, err = submit(capsys, "-n", "-q", "-o", "out", "--site-config", "site.yaml",
                              *pool, "--site", "OtherGrid", "file://a.sh")
        assert code == 0, err
        return htcondor2.Submit((work / "out" / "simple.sub").read_text())[
            "MY.DESIRED_usage_model"]

    # OtherGrid is the onsite site of pool `other`, an offsite one of the site's own
    assert usage_model() == '"OFFSITE"'
    assert usage_model("--global-pool", "other") == '"DEDICATED"'
    monkeypatch.setenv("JOBSUB_GLOBAL_POOL", "other")
    assert usage_model() == '"DEDICATED"'
    monkeypatch.delenv("JOBSUB_GLOBAL_POOL")
    argv = ("-n", "--site-config", "site.yaml", "file://a.sh")
    code, _, err = submit(capsys, "--global-pool", "othr", *argv)
    assert code == 1 and "--global-pool othr: no such pool" in err and "did you mean other?" in err
    monkeypatch.setenv("JOBSUB_POOL_MAP", '{"third": {"collector": "cm3.example"}}')
    assert submit(capsys, "--global-pool", "third", "-q", *argv)[0] == 0
    monkeypatch.setenv("JOBSUB_POOL_MAP", "not json")
    code, _, err = submit(capsys, "--global-pool", "third", *argv)
    assert code == 1 and "$JOBSUB_POOL_MAP is not a pool map" in err


def test_managed_token_never_runs_htgettoken(work, capsys, monkeypatch):
    bindir = work / "bin"
    record = work / "htgettoken.args"
    make_executable(bindir / "htgettoken", f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\n"
                                           "exit 3\n")
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(work))
    argv = ("-n", "-G", "fermilab", "--site-config", "fermilab", "file://a.sh")
    code, _, err = submit(capsys, "--managed-token", *argv)
    assert code == 1 and "no bearer token fits group fermilab" in err and \
        "--managed-token" in err, err
    assert not record.exists()
    monkeypatch.setenv("JOBSUB_MANAGED_TOKEN", "1")
    assert submit(capsys, *argv)[0] == 1 and not record.exists()
    monkeypatch.setenv("JOBSUB_MANAGED_TOKEN", "false")
    code, _, err = submit(capsys, *argv)
    assert code == 1 and "htgettoken failed" in err and record.exists()
    # a token the service wrote is used
    token = work / "managed.token"
    token.write_text(make_token(**{"wlcg.groups": ["/fermilab"]}))
    token.chmod(0o600)
    monkeypatch.setenv("BEARER_TOKEN_FILE", str(token))
    code, _, err = submit(capsys, "--managed-token", "-q", *argv)
    assert code == 0, err


def test_jobsub_submit_dag_is_jobsub_submit_dash_dash_dag(work, capsys):
    from jobsub.cli.main import jobsub_submit_dag_main

    (work / "w.dagnabbit").write_text("<serial>\njobsub_submit file://a.sh 1\n"
                                      "jobsub_submit file://a.sh 2\n</serial>\n")
    assert jobsub_submit_dag_main(["-n", "-q", "-o", "out", "file://w.dagnabbit"]) == 0
    assert (work / "out" / "w.dag").read_text().count("\nJOB ") == 2
    assert main(["submit_dag", "-n", "-q", "-o", "out2", "file://w.dagnabbit"]) == 0
    assert (work / "out2" / "w.dag").read_text().count("\nJOB ") == 2


def test_history_dates_are_local_and_inclusive():
    import argparse

    from jobsub.cli.jobs import _until, _when

    assert _until("2026-03-30") - _when("2026-03-30") == 86399  # the whole day
    assert _until("2026-03-30 10:00") == _when("2026-03-30 10:00:00")
    with pytest.raises(argparse.ArgumentTypeError, match="is not a date"):
        _when("30/03/2026")


def test_resume_passes_its_options_on_and_ignores_the_jobs_environment(work, capsys,
                                                                      monkeypatch):
    from jobsub.cli import after

    got = []
    monkeypatch.setattr(after, "rescue_main", lambda argv: got.append(argv) or 0)
    monkeypatch.setenv("JOBSUB_EXTRA_ENVIRONMENT", "FOO=1")
    assert submit(capsys, "--resume", "12.0@s", "-v", "--json", "--global-pool", "other",
                  "--collector", "cm:9618")[0] == 0
    assert got == [["12.0@s", "--collector", "cm:9618", "--global-pool", "other", "-v",
                    "--json"]]
    code, _, err = submit(capsys, "--resume", "12.0@s", "--memory", "2GB")
    assert code == 2 and "--resume takes a job id" in err
