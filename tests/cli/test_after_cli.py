"""status, analyze, graph and report of a folder a DAG ran in (the recorded failures DAG),
through the command line: text, --json, exit statuses, --watch on a pipe."""

from __future__ import annotations

import json
import shutil

import pytest

from jobsub.cli.main import main
from tests.runtime.test_after import FIXTURE


@pytest.fixture
def run(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "run")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "run"


def test_status_of_a_folder(run, capsys):
    assert main(["status", "run"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("run: DAG failed (exit 2)")
    assert main(["status", "run", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["totals"]["failed"] == 4 and data["source"] == "logs"
    assert data["exit_status"] == 1 and data["total"] == 6


def test_watch_on_a_pipe_prints_a_line_and_stops_when_it_has_ended(run, capsys):
    assert main(["status", "run", "--watch", "1"]) == 1
    out = capsys.readouterr().out
    assert out == "run failed: 1 done, 4 failed, 1 futile\n"


def test_analyze_of_a_folder(run, capsys):
    assert main(["analyze", "run"]) == 1
    out = capsys.readouterr().out
    assert "exits (fail.sh) failed 2 times: exit 2" in out
    assert "next: jobsub rescue run" in out
    assert main(["analyze", "run", "--json", "--lines", "1"]) == 1
    data = json.loads(capsys.readouterr().out)
    exits = next(p for p in data["problems"] if p["name"] == "exits")
    assert exits["stderr_tail"] == ["line two of stderr"]


def test_graph_and_report_of_a_folder(run, capsys):
    assert main(["graph", "run", "-o", "g.svg"]) == 0
    assert (run.parent / "g.svg").read_text().lstrip().startswith("<?xml")
    assert main(["graph", "run"]) == 0
    assert 'fillcolor="#e53935"' in capsys.readouterr().out  # failed nodes are red
    assert main(["report", "run", "-o", "r.html"]) == 1
    assert "wrote r.html" in capsys.readouterr().out
    assert "failures.yaml:12" in (run.parent / "r.html").read_text()


def test_a_folder_without_a_dag_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["status", "empty"]) == 1
    assert "holds no .dag file" in capsys.readouterr().err
