"""Shell completion, generated from the commands' parsers (so from the option table), run
in real bash and zsh."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from jobsub.cli.main import main
from jobsub.compiler.options.table import OPTIONS, Kind


@pytest.fixture(scope="module")
def scripts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("completion")
    out = {}
    for shell in ("bash", "zsh"):
        done = subprocess.run([os.path.join(os.path.dirname(os.sys.executable), "jobsub"),
                               "completion", shell], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        (folder / shell).write_text(done.stdout)
        out[shell] = folder / shell
    return out


def bash_complete(script, *words: str) -> list[str]:
    line = " ".join(words)
    program = f"""source {script}
COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}
_shtab_{words[0]} {words[0]} {words[-1]} {words[-2]}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_and_the_tables_options(scripts):
    assert {"compile", "completion", "condor", "convert"} <= set(
        bash_complete(scripts["bash"], "jobsub", "co"))
    assert bash_complete(scripts["bash"], "jobsub", "compile", "--memo") == [
        "--memory", "--memory-retry", "--memory_retry"]
    assert "-hold" in bash_complete(scripts["bash"], "jobsub_q", "-ho")
    assert bash_complete(scripts["bash"], "jobsub_fetchlog", "--archive-f") == \
        ["--archive-format"]


def test_every_flag_of_the_table_completes_for_jobsub_submit(scripts):
    text = scripts["bash"].read_text()
    start = text.index("_shtab_jobsub_submit_option_strings=(")
    offered = set(text[start:text.index(")", start)].split("(", 1)[1].split())
    for option in OPTIONS:  # a choice is offered in one spelling (--mail-never)
        for flag in option.flags:
            shown = flag.replace("_", "-") if option.kind is Kind.CHOICE and \
                flag.startswith("--") else flag
            assert shown in offered, flag


@pytest.fixture(scope="module")
def zsh():
    path = shutil.which("zsh")
    if path is None and os.geteuid() == 0:  # a fresh machine: install it, as CI would
        subprocess.run(["apt-get", "install", "-y", "-q", "zsh"], capture_output=True)
        path = shutil.which("zsh")
    if path is None:
        pytest.skip("zsh is not installed and cannot be")
    return path


def test_zsh_registers_every_name(scripts, zsh):
    done = subprocess.run([zsh, "-c", "autoload -U compinit && compinit -u; "
                                      f"eval \"$(cat {scripts['zsh']})\"; "
                                      "print -l ${(k)_comps[(I)jobsub*]}"],
                          capture_output=True, text=True)
    assert sorted(done.stdout.split()) == sorted(
        ["jobsub", "jobsub_submit", "jobsub_submit_dag", "jobsub_q", "jobsub_history",
         "jobsub_hold", "jobsub_release", "jobsub_rm", "jobsub_fetchlog", "jobsub_wait"]), \
        done.stderr


def test_completion_usage(capsys):
    with pytest.raises(SystemExit) as usage:
        main(["completion", "fish"])
    assert usage.value.code == 2


def test_every_installed_jobsub_lite_name_completes():
    import re
    from pathlib import Path

    from jobsub.cli.completion import LITE_NAMES

    text = (Path(__file__).parents[2] / "pyproject.toml").read_text()
    section = text.split("[project.scripts]", 1)[1].split("\n[", 1)[0]
    scripts = re.findall(r"^(\w+) = ", section, re.M)  # (tomllib is Python 3.11+)
    assert {name for name in scripts if name != "jobsub"} == set(LITE_NAMES)
