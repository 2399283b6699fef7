"""The report page as a browser shows it: headless Chromium runs its script, and the
failures it lists, the filter, the graph and the timeline are there."""

from __future__ import annotations

import re
import shutil

from jobsub.runtime import analyze, dagstate, nodemap, report
from jobsub.runtime.status import from_logs
from jobsub.runtime.subject import Subject
from tests.browser import dump_dom
from tests.runtime.test_after import ADS, FIXTURE


def _page(tmp_path, monkeypatch) -> str:
    folder = tmp_path / "run"
    shutil.copytree(FIXTURE, folder)
    monkeypatch.chdir(folder)
    m = nodemap.load(str(folder), str(folder))
    dag = dagstate.read(str(folder), m, "failures.dag", job_ads=ADS)
    status = from_logs(Subject("6980.0@schedd2@vm", ad={"JobStatus": 3, "JobUniverse": 7}),
                       dag, m)
    page = tmp_path / "report.html"
    page.write_text(report.render(analyze.analyze(status, dag, m, "jobsub rescue x"), dag, m))
    return page.as_uri()


def test_chromium_shows_the_failures_graph_and_timeline(tmp_path, monkeypatch, chromium):
    url = _page(tmp_path, monkeypatch)
    dom, log = dump_dom(chromium, url, str(tmp_path / "profile"))
    rows = re.findall(r'<tr class="problem (\w+)"><td class="text">(\w+)</td>', dom)
    assert sorted(rows) == [("failed", "checked"), ("failed", "exits"), ("failed", "hog"),
                            ("failed", "needs_input"), ("futile", "after_exits")]
    assert "5 of 5 node(s) shown" in dom
    assert "about to fail with 2\nline two of stderr" in dom  # exits' stderr, in a <pre>
    assert dom.count("<svg") == 2 and 'class="held"' in dom
    assert "Uncaught" not in log and "SyntaxError" not in log, log[-3000:]


def test_a_link_can_open_it_filtered(tmp_path, monkeypatch, chromium):
    url = _page(tmp_path, monkeypatch)
    dom, _ = dump_dom(chromium, url + "#filter=memory", str(tmp_path / "profile"))
    assert re.findall(r'<tr class="problem \w+"><td class="text">(\w+)</td>', dom) == ["hog"]
    assert "1 of 5 node(s) shown" in dom
