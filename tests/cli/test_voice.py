"""-q/--quiet, -v/--verbose and --json: how much a command says, and in which form."""

from __future__ import annotations

import json
import re

import pytest

from jobsub.cli.main import jobsub_submit_main, main
from tests.helpers import make_executable

GOOD = "<serial>\njobsub_submit file://a.sh one\njobsub_submit file://a.sh two\n</serial>\n"
WARNS = "jobs:\n  one: {executable: a.sh, arguments: [$UNSET_FOR_THE_TEST]}\n"


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    (tmp_path / "w.dagnabbit").write_text(GOOD)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USER", "tester")
    return tmp_path


def test_quiet_compile_says_nothing_but_writes(work, capsys):
    assert main(["compile", "w.dagnabbit", "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    assert (work / "w.jobsub" / "w.dag").is_file()


def test_quiet_still_prints_warnings(work, capsys):
    (work / "w.yaml").write_text(WARNS)
    assert main(["compile", "w.yaml", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "w.yaml:2:" in err and "warning: $UNSET_FOR_THE_TEST" in err


def test_verbose_names_the_site_and_every_file_on_stderr(work, capsys):
    assert main(["compile", "w.dagnabbit", "-v"]) == 0
    out, err = capsys.readouterr()
    assert "wrote w.jobsub/w.dag (2 nodes, 1 dependencies)" in out
    assert "jobsub: site local, for HTCondor the default version" in err
    assert "jobsub: wrote w.jobsub/files/a.sh (from " in err
    assert "jobsub: wrote w.jobsub/stage_1.sub" in err
    # jobsub_lite's spelling takes a level
    assert main(["compile", "w.dagnabbit", "--verbose", "1", "-o", "again"]) == 0
    assert "jobsub: wrote again/w.dag" in capsys.readouterr().err


def test_quiet_and_verbose_together_are_a_usage_error(work, capsys):
    assert main(["compile", "w.dagnabbit", "-q", "-v"]) == 2
    assert "ask for opposite things" in capsys.readouterr().err
    assert not (work / "w.jobsub").exists()


def test_compile_json_is_one_document(work, capsys):
    (work / "w.yaml").write_text(WARNS)
    assert main(["compile", "w.yaml", "--json", "-o", "out"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    doc = json.loads(out)
    assert (doc["ok"], doc["output"], doc["top_file"], doc["kind"], doc["nodes"]) == \
        (True, "out", "w.dag", "dag", 1)
    assert "one.sub" in doc["files"] and doc["copied"] == ["files/a.sh"]
    [warning] = doc["diagnostics"]
    assert (warning["severity"], warning["line"]) == ("warning", 2)


def test_compile_json_with_errors(work, capsys):
    (work / "w.dagnabbit").write_text("<serial>\njobsub_submit --memroy 2GB file://a.sh\n")
    assert main(["compile", "w.dagnabbit", "--json", "-o", "out"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["ok"] is False and doc["diagnostics"][0]["severity"] == "error"
    assert err == "" and not (work / "out").exists()


def test_json_and_emit_ir_are_one_too_many(work, capsys):
    assert main(["compile", "w.dagnabbit", "--json", "--emit-ir"]) == 2
    assert "--emit-ir prints the IR as JSON already" in capsys.readouterr().err


def test_quiet_check_drops_the_ok_line(work, capsys):
    assert main(["check", "w.dagnabbit"]) == 0
    assert "ok: 1 file(s) checked" in capsys.readouterr().err
    assert main(["check", "w.dagnabbit", "-q"]) == 0
    assert capsys.readouterr() == ("", "")


def test_submit_no_submit_json(work, capsys):
    assert jobsub_submit_main(["--no-submit", "--json", "-o", "out", "file://a.sh", "x"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["ok"], doc["kind"], doc["output"]) == (True, "job", "out")
    assert "job_id" not in doc


def test_help_topics_and_commands(capsys):
    assert main(["help", "ids"]) == 0
    assert "CLUSTER.PROC@SCHEDD" in capsys.readouterr().out
    assert main(["help", "q"]) == 0
    assert capsys.readouterr().out.startswith("usage: jobsub q")
    assert main(["help", "compile"]) == 0
    assert "job options (jobsub_submit)" in capsys.readouterr().out
    assert main(["help", "environmnet"]) == 2
    assert "did you mean `jobsub help environment`?" in capsys.readouterr().err
    assert main(["help"]) == 0
    assert "help [COMMAND|TOPIC]" in capsys.readouterr().out


def test_diagnostics_are_coloured_on_a_terminal_only(work, capsys, monkeypatch):
    (work / "w.dagnabbit").write_text("<serial>\njobsub_submit --memroy 2GB file://a.sh\n")
    assert main(["compile", "w.dagnabbit"]) == 1
    plain = capsys.readouterr().err
    assert "\x1b[" not in plain  # not a terminal: no colour
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert main(["compile", "w.dagnabbit"]) == 1
    coloured = capsys.readouterr().err
    assert "\x1b[1;31merror:\x1b[0m unknown option --memroy" in coloured
    assert "\x1b[36mhint:\x1b[0m did you mean --memory?" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain  # the same text, painted
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["compile", "w.dagnabbit"]) == 1
    assert capsys.readouterr().err == plain


def test_activity_shows_only_what_runs_long_on_a_terminal_to_a_speaking_voice():
    import io
    import time

    from rich.console import Console

    from jobsub.cli.voice import NORMAL, QUIET, Activity, Voice

    def shown(voice, delay, seconds) -> str:
        screen = io.StringIO()
        console = Console(file=screen, force_terminal=True, width=60)
        with Activity(voice, "compiling big.yaml", delay=delay, console=console) as a:
            time.sleep(seconds)
            a.update("compiling big.yaml: writing")
        return screen.getvalue()

    assert "compiling big.yaml" in shown(Voice(NORMAL), 0.05, 0.3)
    assert shown(Voice(NORMAL), 2.0, 0.05) == ""  # done before it was worth showing
    assert shown(Voice(QUIET), 0.0, 0.2) == ""
    assert shown(Voice(NORMAL, json=True), 0.0, 0.2) == ""
