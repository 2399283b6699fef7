"""A cluster of LATE_MATERIALIZE_PROCS jobs or more materializes as it runs: a DAG node
(a spooled cluster cannot materialize late: its jobs would keep this machine's folder),
max_idle in its submit file, and DAGMan told to submit it with condor_submit."""

from __future__ import annotations

import htcondor2
import pytest

from jobsub.cli.main import jobsub_submit_main, main
from jobsub.compiler.base.limits import LATE_MATERIALIZE_PROCS, MATERIALIZED_IDLE
from tests.helpers import make_executable


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def submit_file(path) -> htcondor2.Submit:
    return htcondor2.Submit(path.read_text())


def test_a_big_dash_n_is_a_one_node_dag_that_materializes_late(work):
    assert jobsub_submit_main(["-n", "-q", "-o", "big", "-N", str(LATE_MATERIALIZE_PROCS),
                               "file://a.sh"]) == 0
    dag = (work / "big" / "simple.dag").read_text()
    assert dag.count("\nJOB ") == 1 and "\nCONFIG simple.config" in dag
    assert (work / "big" / "simple.config").read_text() == "DAGMAN_USE_DIRECT_SUBMIT = False\n"
    sub = submit_file(work / "big" / "simple.sub")
    assert sub["max_idle"] == str(MATERIALIZED_IDLE)
    assert sub.getQArgs() == str(LATE_MATERIALIZE_PROCS)


def test_a_smaller_one_stays_a_spooled_cluster(work):
    assert jobsub_submit_main(["-n", "-q", "-o", "small", "-N",
                               str(LATE_MATERIALIZE_PROCS - 1), "file://a.sh"]) == 0
    assert not list((work / "small").glob("*.dag"))
    assert "max_idle" not in submit_file(work / "small" / "simple.sub")


def test_the_users_own_max_materialize_takes_the_dag_route_and_is_kept(work):
    assert jobsub_submit_main(["-n", "-q", "-o", "own", "-N", "20", "-l",
                               "max_materialize = 5", "file://a.sh"]) == 0
    sub = submit_file(work / "own" / "simple.sub")
    assert sub["max_materialize"] == "5" and "max_idle" not in sub
    assert (work / "own" / "simple.dag").exists()


def test_a_big_sweep_in_a_manifest(work):
    (work / "w.yaml").write_text(
        "jobs:\n  setup: {executable: a.sh}\n"
        "  sweep: {executable: a.sh, arguments: ['$(i)'], expand: queue, after: setup,\n"
        f"          matrix: {{i: {list(range(LATE_MATERIALIZE_PROCS))}}}}}\n")
    assert main(["compile", "-q", "w.yaml", "-o", "out"]) == 0
    assert submit_file(work / "out" / "sweep.sub")["max_idle"] == str(MATERIALIZED_IDLE)
    assert "max_idle" not in submit_file(work / "out" / "setup.sub")
    assert "DAGMAN_USE_DIRECT_SUBMIT = False" in (work / "out" / "w.config").read_text()


def test_a_big_dag_runs_with_dagmans_throttles_unless_it_says_otherwise(work):
    from jobsub.compiler.base.limits import LARGE_DAG_NODES

    sweep = (f"jobs:\n  n: {{executable: a.sh, arguments: ['$(i)'], "
             f"matrix: {{i: {list(range(LARGE_DAG_NODES))}}}}}\n")
    (work / "big.yaml").write_text(sweep)
    assert main(["compile", "-q", "big.yaml", "-o", "big"]) == 0
    assert (work / "big" / "big.config").read_text() == (
        "DAGMAN_MAX_JOBS_IDLE = 1000\nDAGMAN_MAX_SUBMITS_PER_INTERVAL = 100\n")
    (work / "own.yaml").write_text(sweep + "dag:\n  maxidle: 50\n  config: "
                                   "{DAGMAN_MAX_SUBMITS_PER_INTERVAL: 10}\n")
    assert main(["compile", "-q", "own.yaml", "-o", "own"]) == 0
    assert (work / "own" / "own.config").read_text() == (
        "DAGMAN_MAX_JOBS_IDLE = 50\nDAGMAN_MAX_SUBMITS_PER_INTERVAL = 10\n")
    (work / "small.yaml").write_text(sweep.replace(str(LARGE_DAG_NODES - 1) + "]", "]"))
    assert main(["compile", "-q", "small.yaml", "-o", "small"]) == 0
    assert not (work / "small" / "small.config").exists()
