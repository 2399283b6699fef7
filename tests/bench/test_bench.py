"""The benchmark compares like with like: jobsub and the reference writers get the same graph
(same nodes, same dependencies), and the runner produces its report. Timings are not tested."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import references, workloads
from tests.helpers import compile_file

ROOT = Path(__file__).resolve().parents[2]


def dag_shape(text: str) -> tuple[int, set[tuple[int, int]]]:
    """(node count, dependency pairs between topological levels) of a .dag text; names
    differ between writers, so nodes are compared by their depth in the graph."""
    jobs: list[str] = []
    parents: dict[str, set[str]] = {}
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["JOB"]:
            jobs.append(words[1])
        elif words[:1] == ["PARENT"]:
            cut = words.index("CHILD")
            for c in words[cut + 1:]:
                parents.setdefault(c, set()).update(words[1:cut])
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((level(p) for p in parents.get(name, ())), default=-1)
        return depth[name]
    pairs = {(level(p), level(c)) for c, ps in parents.items() for p in ps}
    return len(jobs), pairs


@pytest.mark.parametrize("kind", workloads.WRITERS)
def test_jobsub_and_floor_build_the_same_graph(tmp_path, kind):
    source = workloads.prepare(tmp_path, kind, 40)
    _, files, sink = compile_file(source)
    assert not sink.errors, sink.errors
    ours = next(f.body() for f in files if f.path.endswith(".dag"))
    references.floor(kind, 40, tmp_path)
    theirs = (tmp_path / "floor.dag").read_text()
    ours_shape, theirs_shape = dag_shape(ours), dag_shape(theirs)
    assert ours_shape == theirs_shape
    assert ours_shape[0] == (42 if kind == "yaml-sweep" else 40)


def test_the_layered_reference_writes_the_same_nodes_in_layers_of_100(tmp_path):
    references.htcondor_dags_layers("dagnabbit", 250, tmp_path)
    text = (tmp_path / "dags.dag").read_text()
    jobs = [line.split()[1] for line in text.splitlines()
            if line.startswith("JOB ") and not line.endswith(" NOOP")]  # not its join nodes
    assert len(jobs) == 250
    assert dag_shape(text)[1] == {(0, 1), (1, 2), (2, 3), (3, 4)}  # layer, join, layer, ...
    args = sorted(v.split('"')[1] for v in text.splitlines() if v.startswith("VARS"))
    assert args == sorted(f"--item j{j}x" for j in range(1, 251))


@pytest.mark.parametrize("kind", ["api-explicit", "api-sweep"])
def test_the_api_workloads_build_their_file_workloads_graph(tmp_path, kind, monkeypatch):
    from bench import api_build
    from bench.run import API_GRAPH

    workloads.prepare(tmp_path, "yaml-sweep", 1)  # job.sh
    monkeypatch.chdir(tmp_path)
    compiled = {"api-explicit": api_build.explicit, "api-sweep": api_build.sweep}[kind](40)
    done = compiled.compile().check()
    ours = next(f.body() for f in done.files if f.path.endswith(".dag"))
    references.floor(API_GRAPH[kind], 40, tmp_path)
    assert dag_shape(ours) == dag_shape((tmp_path / "floor.dag").read_text())


def test_runner_reports_every_workload(tmp_path):
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--sizes", "15",
                           "--repeat", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    rows = {r["format"]: r for r in report["results"]}
    assert set(rows) >= {"dagnabbit", "yaml-explicit", "yaml-sweep", "api-explicit",
                         "api-sweep"}
    assert rows["api-explicit"]["ratio_to_dagnabbit_compile"] > 0
    assert rows["api-explicit"]["ratio_to_floor"] > 0
    assert rows["dagnabbit"]["ratio_to_htcondor2.dags-layers"] > 0
    for kind in ("dagnabbit", "yaml-explicit", "yaml-sweep"):
        row = rows[kind]
        assert row["jobsub"]["wall_s"] > 0 and row["jobsub"]["peak_rss_mb"] > 1
        assert row["ratio_to_floor"] > 0
    assert rows["dagnabbit"]["jobsub"]["submit_files"] == 1
    assert rows["yaml-sweep"]["jobsub"]["submit_files"] == 1
    assert "| dagnabbit | 15 |" in proc.stdout
