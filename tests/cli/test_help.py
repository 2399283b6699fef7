"""Every command's help in one style, and the options commands share declared once: the
table's -G/--role/--subgroup and the CLI's --collector/--schedd/--site-config."""

from __future__ import annotations

import re

import pytest

from jobsub.cli.main import COMMANDS, main


def _help(command: str, capsys) -> str:
    try:
        assert main([command, "--help"]) == 0
    except SystemExit as e:  # argparse's --help
        assert e.code == 0
    return capsys.readouterr().out


def _entries(text: str) -> dict[str, str]:
    """Option entries: the flags' line -> the help under it."""
    entries, flags = {}, None
    for line in text.splitlines():
        if re.match(r"  -", line):
            flags = line.strip()
            entries[flags] = ""
        elif flags and line.startswith("     "):
            entries[flags] += " " + line.strip()
        else:
            flags = None
    return entries


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_lays_its_help_out_one_way(command, capsys):
    text = _help(command, capsys)
    assert text.startswith("usage: ")
    entries = _entries(text)
    assert "-h, --help" in entries
    for flags, help_text in entries.items():
        assert help_text.strip(), f"{command}: {flags} has no help under it"
        assert re.fullmatch(r"-[-\w]+(, -[-\w]+)*( \S.*)?", flags), flags


def test_shared_options_are_the_same_entries_everywhere(capsys):
    submit = _entries(_help("compile", capsys))
    for command in ("q", "rm", "hold", "release", "fetchlog", "wait", "status", "analyze"):
        entries = _entries(_help(command, capsys))
        for flags in ("-G, --group GROUP", "--role ROLE", "--subgroup SUBGROUP"):
            assert entries[flags] == submit[flags], (command, flags)
        assert "--collector, --pool HOST[:PORT]" in entries
        assert "--schedd NAME" in entries


def test_commands_on_jobs_check_a_role_as_jobsub_submit_does(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["rm", "--role", "a b", "1.0"])
    assert exit_.value.code == 2
    assert "'a b' is not a role name" in capsys.readouterr().err
    assert main(["compile", "--role", "a b", "x.yaml"]) == 2
    assert "'a b' is not a role name" in capsys.readouterr().err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_says_its_version(command, capsys):
    import jobsub

    try:
        code = main([command, "--version"])
    except SystemExit as e:  # argparse's action
        code = e.code
    assert code == 0
    assert capsys.readouterr().out == f"jobsub {jobsub.__version__}\n"


def test_the_entry_points_and_the_package_say_the_version(capsys):
    from importlib.metadata import version

    import jobsub
    from jobsub.cli.jobs import jobsub_q
    from jobsub.cli.main import jobsub_submit_main

    assert jobsub.__version__ == version("jobsub")
    assert main(["--version"]) == 0
    assert jobsub_submit_main(["--version"]) == 0
    with pytest.raises(SystemExit) as done:  # argparse's version action
        jobsub_q(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.splitlines() == [f"jobsub {jobsub.__version__}"] * 3


def test_a_mistyped_command_gets_a_suggestion(capsys):
    assert main(["stauts", "1.0"]) == 2
    assert "unknown command 'stauts'; did you mean `jobsub status`?" in capsys.readouterr().err


def test_at_most_fifty_diagnostics_are_printed_then_counted(tmp_path, capsys):
    jobs = "".join(f"  j{i}: {{executable: a.sh, memory: lots}}\n" for i in range(70))
    (tmp_path / "many.yaml").write_text("jobs:\n" + jobs)
    (tmp_path / "a.sh").write_text("#!/bin/sh\n")
    (tmp_path / "a.sh").chmod(0o755)
    assert main(["check", str(tmp_path / "many.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.count(": error: ") == 50
    assert "jobsub: ... and 20 more (20 error(s), 0 other)" in err
    assert main(["check", "--format", "json", str(tmp_path / "many.yaml")]) == 1
    import json

    assert len(json.loads(capsys.readouterr().out)) == 70


def test_usage_errors_have_one_prefix(capsys, tmp_path, monkeypatch):
    """COMMAND: error: MESSAGE, as argparse says it, for every command."""
    from jobsub.cli.main import jobsub_submit_main

    monkeypatch.chdir(tmp_path)
    assert main(["compile"]) == 2
    assert capsys.readouterr().err == "jobsub compile: error: give exactly one workflow file\n"
    assert main(["check"]) == 2
    assert capsys.readouterr().err.startswith("jobsub check: error: ")
    assert jobsub_submit_main(["-G", "g"]) == 2
    assert capsys.readouterr().err.startswith("jobsub_submit: error: no executable given")
    with pytest.raises(SystemExit):
        main(["q", "--bogus"])
    assert "jobsub q: error: unrecognized arguments: --bogus" in capsys.readouterr().err


def test_the_lazy_command_table_names_what_each_module_holds():
    import importlib

    from jobsub.cli.main import COMMANDS

    for module in ("jobs", "after", "tools", "wrappers"):
        held = importlib.import_module(f"jobsub.cli.{module}").COMMANDS
        assert {n for n in COMMANDS if COMMANDS._where.get(n) == module} == set(held), module
        assert all(COMMANDS[n] is held[n] for n in held)


def test_a_short_check_imports_no_other_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", (
        "import sys; from jobsub.cli.main import main; main(['check', '--help']); "
        "print(sorted(m for m in sys.modules if m.startswith('jobsub.cli.')))")],
        capture_output=True, text=True)
    loaded = done.stdout.splitlines()[-1]
    for other in ("jobs", "after", "tools", "wrappers"):
        assert f"jobsub.cli.{other}'" not in loaded, loaded
