"""status, analyze, rescue, pictures and the report, on what HTCondor 23.9.6 wrote for a
DAG that failed in several ways (tests/data/dagman/failures: recorded from the test pool,
the DAG of tests/data/after/failures.yaml, removed while two nodes were held)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.runtime import analyze, dagman_logs, dagstate, nodemap, pictures, report, rescue
from jobsub.runtime.status import EXIT_FAILED, format_status, from_logs
from jobsub.runtime.subject import Subject

FIXTURE = Path(__file__).parents[1] / "data" / "dagman" / "failures"
#: What the schedd's history said of the held jobs (their ads, not the logs, hold memory use).
ADS = {"6983.0": {"MemoryUsage": 318, "RequestMemory": 64}}


@pytest.fixture
def folder(tmp_path, monkeypatch):
    shutil.copytree(FIXTURE, tmp_path / "run")
    monkeypatch.chdir(tmp_path / "run")  # lines are shown relative to here
    return tmp_path / "run"


def _read(folder):
    m = nodemap.load(str(folder), str(folder))
    return m, dagstate.read(str(folder), m, "failures.dag", job_ads=ADS)


def test_the_logs_are_read_as_dagman_wrote_them(folder):
    log = dagman_logs.read_jobstate(str(folder / "failures.dag.jobstate.log"))
    assert log.finished == 2 and len(log.started) == 1
    assert [e.event for e in log.nodes["checked"]][-1] == "POST_SCRIPT_FAILURE"
    jobs = dagman_logs.read_nodes_log(str(folder / "failures.dag.nodes.log"))
    assert jobs["6983.0"].node == "hog"
    assert (jobs["6983.0"].hold_code, jobs["6983.0"].hold_subcode) == (21, 102)
    assert jobs["6985.0"].post_status == 3
    assert jobs["6986.0"].exit_code == 2
    found = dagman_logs.read_rescue(str(folder / "failures.dag.rescue001"))
    assert found.done == {"good"} and found.failed == ["exits", "checked"]


def test_every_node_with_its_state_cause_and_line(folder):
    _, dag = _read(folder)
    by = {n.name: n for n in dag.nodes}
    assert {n: by[n].state for n in by} == {
        "good": "done", "exits": "failed", "hog": "failed", "needs_input": "failed",
        "checked": "failed", "after_exits": "futile"}
    assert by["exits"].origin == "failures.yaml:8" and by["exits"].attempts == 2
    assert by["exits"].cause.summary == "exit 2"
    assert by["exits"].stderr == ["about to fail with 2", "line two of stderr"]
    assert by["hog"].cause.summary == "held: memory exceeded, asked 64 MB, used up to 318 MB"
    assert "--memory 512MB" in by["hog"].cause.hint
    assert by["needs_input"].cause.summary.startswith("held: an input file could not be")
    assert "/nonexistent/missing.dat" in by["needs_input"].cause.summary
    assert by["checked"].cause.summary == "POST script failed (exit 3)"
    assert by["after_exits"].cause.kind == "futile"


def test_analysis_groups_by_cause_and_says_what_to_do(folder):
    m, dag = _read(folder)
    subject = Subject("6980.0@schedd2@vm", ad={"JobStatus": 3, "JobUniverse": 7})
    status = from_logs(subject, dag, m)
    assert status.state == "removed" and status.exit_status() == EXIT_FAILED
    result = analyze.analyze(status, dag, m, "jobsub rescue 6980.0@schedd2@vm")
    text = analyze.format_analysis(result)
    assert "failures.yaml:8: exits (fail.sh) failed 2 times: exit 2" in text
    assert "failures.yaml:12: hog (hog.sh) failed: held: memory exceeded" in text
    assert "failures.yaml:21: after_exits (ok.sh) never ran" in text
    assert "    retries: 1 of 1 used; job 6986.0 on slot1_2@vm" in text
    assert "next: jobsub rescue 6980.0@schedd2@vm   (keeps the 1 done node(s), runs the " \
           "other 5 again)" in text
    assert "next: raise the memory of job hog at failures.yaml:12" in text
    data = json.loads(json.dumps(result.as_json()))
    assert data["exit_status"] == 1
    assert {c["cause"]["kind"] for c in data["causes"]} == {"held", "post", "exit", "futile"}
    table = format_status(status)
    assert re.search(r"^good +3 +1 +0 +0 +0 +1 +0 +1 +33\.3 +failures\.yaml:6", table, re.M)


def test_many_failures_of_one_cause_read_as_one_line(folder):
    m, dag = _read(folder)
    many = [dagstate.NodeState(f"n{i}", "failures.dag", f"n{i}", "exits", "failed",
                               "failures.yaml:8", 1, 0, [f"{i}.0"],
                               dag.nodes[1].cause) for i in range(40)]
    dag.nodes += many
    status = from_logs(Subject("x", ad={"JobStatus": 4, "ExitCode": 1, "JobUniverse": 7}),
                       dag, m)
    result = analyze.analyze(status, dag, m, "jobsub rescue x")
    text = analyze.format_analysis(result)
    assert "  41 node(s) of job exits (fail.sh): exit 2" in text
    assert "... 36 more node(s) with the same causes (--all lists them)" in text
    assert text.count("exit 2\n") < 10
    assert "n39" in analyze.format_analysis(result, everything=True)


def test_rescue_refuses_an_edit_that_renames_done_work(folder):
    old = nodemap.load(str(folder))
    edited = json.loads((folder / "jobsub.json").read_text())
    fingerprints = edited["workflows"][0]["nodes"]["fingerprint"]
    same = nodemap.parse(json.dumps(edited))
    plan = rescue.plan(folder, "failures.dag", old, same)
    assert (plan.done, plan.to_run, plan.failed) == (1, 5, ["exits", "checked"])
    assert [name for name, _ in plan.extra_files] == ["failures.dag.rescue001"]
    fingerprints[0] = "0" * 16  # good, done, now computes something else
    with pytest.raises(JobsubError) as err:
        rescue.plan(folder, "failures.dag", old, nodemap.parse(json.dumps(edited)))
    message = err.value.diagnostics[0].message
    assert "1 node(s) the rescue DAG marks done would now mean other work" in message
    assert "good (failures.yaml:6) was changed" in message


def test_no_rescue_dag_is_said(folder):
    (folder / "failures.dag.rescue001").unlink()
    m = nodemap.load(str(folder))
    with pytest.raises(JobsubError, match="has no rescue DAG"):
        rescue.plan(folder, "failures.dag", m, m)


def test_the_graph_by_node_and_by_group(folder):
    m, dag = _read(folder)
    states = {n.name: n.state for n in dag.nodes}
    by_node = pictures.dot(m, states)
    assert '"hog" [label="hog\\nhog.sh", fillcolor="#e53935", tooltip="hog: failed"];' \
        in by_node
    assert '"exits" -> "after_exits";' in by_node
    by_group = pictures.dot(m, states, by_group=True)
    assert "good (ok.sh) \u00d73" in by_group and "1 done, 1 failed, 1 futile" in by_group
    svg = pictures.render(by_group, "svg").decode()
    assert svg.lstrip().startswith("<?xml") and "good (ok.sh) \u00d73" in svg
    assert pictures.render(by_node, "png").startswith(b"\x89PNG")


def test_a_hundred_thousand_nodes_are_drawn_by_group(folder):
    data = json.loads((folder / "jobsub.json").read_text())
    nodes = data["workflows"][0]["nodes"]
    count = 100_000
    for key, value in (("name", [f"sim_{i}" for i in range(count)]),
                       ("spec", ["hog"] * count), ("source", [0] * count),
                       ("line", [12] * count), ("column", [3] * count),
                       ("retry", [0] * count), ("fingerprint", ["x"] * count)):
        nodes[key] += value
    data["workflows"][0]["edges"] = None
    big = nodemap.parse(json.dumps(data))
    states = {f"sim_{i}": "done" if i % 100 else "failed" for i in range(count)}
    text = pictures.dot(big, states)
    assert "hog (hog.sh) \u00d7100,001" in text
    assert "99,000 done, 1,000 failed, 1 waiting" in text
    assert len(text) < 10_000


def test_the_report_is_one_page_with_everything(folder):
    m, dag = _read(folder)
    subject = Subject("6980.0@schedd2@vm", ad={"JobStatus": 3, "JobUniverse": 7})
    status = from_logs(subject, dag, m)
    result = analyze.analyze(status, dag, m, "jobsub rescue 6980.0@schedd2@vm")
    page = report.render(result, dag, m, "/home/u/failures.yaml", now=0)
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""<(?:link|img|script)[^>]+(?:src|href)=["']?https?:""", page)
    data = json.loads(re.search(r'<script type="application/json" id="jobsub-data">(.*?)'
                                "</script>", page, re.S).group(1))
    assert {p["name"] for p in data["problems"]} == {"exits", "hog", "needs_input",
                                                      "checked", "after_exits"}
    assert page.count("<svg") == 2  # the graph and the timeline
    assert "held: memory exceeded, asked 64 MB, used up to 318 MB" in page
    assert "jobsub rescue 6980.0@schedd2@vm" in page


def test_text_from_a_job_cannot_break_out_of_the_page(folder):
    (folder / "exits.6986.0.err").write_text("</script><script>alert(1)</script>\n")
    m, dag = _read(folder)
    status = from_logs(Subject("x", ad={"JobStatus": 3, "JobUniverse": 7}), dag, m)
    page = report.render(analyze.analyze(status, dag, m, "r"), dag, m)
    assert "<script>alert(1)" not in page
    assert page.count("</script>") == 2


def test_the_timeline_counts_jobs_per_state(folder):
    _, dag = _read(folder)
    series = pictures.timeline_series(dag.timeline.steps, points=50)
    hog = series["groups"]["hog"]
    assert max(hog["running"]) == 1 and max(hog["held"]) == 1
    assert hog["held"][-1] == 0  # held, then removed with the DAG
    assert 'class="held"' in pictures.timeline_svg(series)
