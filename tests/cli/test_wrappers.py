"""The condor_* wrappers: HTCondor's own tool, found past the wrappers on PATH, with the
pool, the schedd and the token added (the pool test runs them against two schedds)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from jobsub.cli.main import main
from tests.helpers import make_executable

#: A stand-in for HTCondor's tool: what it was given.
FAKE = """#!/bin/sh
echo "$(basename "$0") $*"
echo "collector=${_condor_COLLECTOR_HOST:-} credd=${_condor_CREDD_HOST:-}"
"""


@pytest.fixture
def bins(tmp_path, monkeypatch):
    real = tmp_path / "condor" / "bin"
    for tool in ("condor_q", "condor_wait", "condor_rm"):
        make_executable(real / tool, FAKE)
    wrap = tmp_path / "wrap"
    monkeypatch.setenv("PATH", f"{wrap}:{real}:/usr/bin:/bin")
    monkeypatch.delenv("JOBSUB_CONDOR_BIN", raising=False)
    monkeypatch.delenv("JOBSUB_SITE_CONFIG", raising=False)
    return wrap, real


def test_install_writes_wrappers_and_never_over_a_real_tool(bins, capsys):
    wrap, real = bins
    assert main(["wrappers", "install", str(wrap)]) == 0
    out = capsys.readouterr().out
    assert f"to use them: export PATH={wrap}:$PATH" in out
    assert sorted(os.listdir(wrap)) == sorted(
        f"condor_{t}" for t in ("q", "rm", "hold", "release", "transfer_data", "submit",
                                "submit_dag", "wait"))
    assert main(["wrappers", "install", str(wrap)]) == 0  # again: its own files
    capsys.readouterr()
    assert main(["wrappers", "install", str(real)]) == 1
    assert "is not a jobsub wrapper; nothing written over it" in capsys.readouterr().err
    assert (real / "condor_q").read_text() == FAKE


def test_an_installed_wrapper_runs_the_real_tool_with_the_pool(bins):
    wrap, _real = bins
    assert main(["wrappers", "install", str(wrap)]) == 0
    done = subprocess.run([str(wrap / "condor_q"), "--collector", "cm.example:9618",
                           "-name", "s1", "-af", "Owner"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["condor_q -name s1 -af Owner",
                                        "collector=cm.example:9618 credd="]
    done = subprocess.run([str(wrap / "condor_wait"), "job.log"], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.splitlines()[0] == "condor_wait job.log", done.stderr


def test_without_htcondors_tools_the_wrapper_says_so(bins, capsys, monkeypatch):
    wrap, _real = bins
    monkeypatch.setenv("PATH", f"{wrap}:/usr/bin:/bin")
    assert main(["condor", "q", "-name", "s1"]) == 1
    err = capsys.readouterr().err
    assert "condor_q: HTCondor's own tool is not on PATH" in err and "jobsub q" in err


def test_submit_refuses_a_schedd_of_the_users(bins, capsys):
    assert main(["condor", "submit", "-name", "s1", "job.sub"]) == 1
    assert "the wrapper chooses the schedd" in capsys.readouterr().err
