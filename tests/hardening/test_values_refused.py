"""Values that cannot reach a job unchanged are refused when compiling, with the reason and
the place: line breaks and NULs in any channel, file names a transfer list cannot hold, VARS
that HTCondor's text substitution would change inside `environment`."""

from __future__ import annotations

import json
import os

import pytest

from jobsub.cli.main import main
from tests.hardening.values import BAD_EXECUTABLE_NAMES, LINE_BREAKS
from tests.helpers import make_executable


@pytest.mark.parametrize("value", LINE_BREAKS)
@pytest.mark.parametrize("channel", ["arguments", "environment", "vars", "resource_provides"])
def test_line_breaks_are_refused(tmp_path, capsys, monkeypatch, channel, value):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    job = {"executable": "a.sh"}
    job[channel] = [value] if channel == "arguments" else {"v": value}
    (tmp_path / "w.yaml").write_text(json.dumps({"jobs": {"a": job}}))
    assert main(["compile", "w.yaml", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("w.yaml:"), err
    assert "line break" in err or "NUL" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", BAD_EXECUTABLE_NAMES)
def test_unlistable_executable_names_are_refused(tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / name)
    (tmp_path / "w.yaml").write_text(json.dumps(
        {"jobs": {"a": {"executable": name}}}))
    assert main(["compile", "w.yaml", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("w.yaml:") and "transfer_input_files" in err, err
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("value, ok", [("plain", True), ("a b", False), ('q"', False),
                                       ("back\\slash", False), ("it's", False)])
def test_vars_in_the_environment(tmp_path, capsys, monkeypatch, value, ok):
    """VARS reach `environment` by HTCondor's text substitution: only safe values pass."""
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    (tmp_path / "w.yaml").write_text(json.dumps({"jobs": {"a": {
        "executable": "a.sh", "vars": {"x": value}, "environment": {"E": "$(x)"}}}}))
    assert main(["compile", "w.yaml", "-o", "out"]) == (0 if ok else 1)
    err = capsys.readouterr().err
    if not ok:
        assert "w.yaml:1:11: error: VARS x of node a is used in the environment" in err, err
