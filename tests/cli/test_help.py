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
        elif flags and line.startswith("      "):
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
