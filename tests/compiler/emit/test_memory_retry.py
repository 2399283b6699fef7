"""Memory retry: one option (--memory-retry N[:FACTOR[:MAX]], memory_retry:, or retry:
{count, memory: {factor, max}}), emitted as an expression HTCondor 23.x runs, or as its own
retry_request_memory commands from 25.2.1."""

from __future__ import annotations

import classad2
import htcondor2
import pytest

from jobsub.compiler.base.units import UnitError, memory_retry
from tests.helpers import compile_file, compile_text, make_executable

MANIFEST = """\
name: m
jobs:
  big:
    executable: a.sh
    memory: 100MB
    retry: {count: 3, memory: {factor: 2, max: 1GB}}
"""


def test_the_flag_value():
    assert memory_retry("3") == {"count": 3, "factor": 2.0, "max": None}
    assert memory_retry("2:1.5:16GB") == {"count": 2, "factor": 1.5, "max": 16384}
    assert memory_retry("2:x3") == {"count": 2, "factor": 3.0, "max": None}
    for bad in ("", "0", "2:1", "2:0.5", "2:abc", "1:2:3:4", "2:2:lots"):
        with pytest.raises(UnitError):
            memory_retry(bad)


def _sub(tmp_path, text=MANIFEST, version=None):
    make_executable(tmp_path / "a.sh")
    path = tmp_path / "m.yaml"
    path.write_text(text)
    if version is None:
        wf, files, sink = compile_file(path)
    else:
        from jobsub.compiler.base.diagnostics import Sink
        from jobsub.compiler.pipeline import compile_path

        sink = Sink()
        wf, files = compile_path(str(path), env={}, cwd=str(tmp_path), cmdline=None,
                                 sink=sink, condor_version=version)
    assert not sink.errors, [d.message for d in sink.errors]
    return next(f.body() for f in files if f.path == "big.sub"), wf


def test_older_htcondor_gets_an_expression_and_a_release_of_memory_holds(tmp_path):
    text, wf = _sub(tmp_path)
    sub = htcondor2.Submit(text)
    assert wf.nodes[0].retry.count == 3
    request = classad2.ExprTree(sub["request_memory"].replace("$(RETRY)", "1"))
    assert request.eval(classad2.ClassAd()) == 200  # a DAG retry: twice
    assert request.eval(classad2.ClassAd({"MemoryUsage": 300})) == 600  # held: twice used
    assert request.eval(classad2.ClassAd({"MemoryUsage": 3000})) == 1024  # the cap
    release = classad2.ExprTree(sub["periodic_release"])

    def released(**ad):
        return bool(release.eval(classad2.ClassAd({"NumJobStarts": 1, "MemoryUsage": 300,
                                                   **ad})))
    assert released(HoldReasonCode=21, HoldReasonSubCode=102)  # the startd's memory policy
    assert released(HoldReasonCode=34)  # cgroup OOM
    assert released(HoldReasonCode=26, HoldReasonSubCode=0,
                    HoldReason="job exceeded its memory request")
    assert not released(HoldReasonCode=13, HoldReasonSubCode=2, HoldReason="no input")
    assert not released(HoldReasonCode=34, NumJobStarts=4)  # tries used up
    assert not released(HoldReasonCode=34, MemoryUsage=2000)  # more would not help


def test_newer_htcondor_gets_its_own_commands(tmp_path):
    text, _ = _sub(tmp_path, version="25.2.1")
    sub = htcondor2.Submit(text)
    assert sub["retry_request_memory_increase"] == "RequestMemory * 1"
    assert sub["retry_request_memory_max"] == "1024"
    assert "periodic_release" not in sub


def test_a_cap_below_the_first_request_is_refused(tmp_path):
    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, MANIFEST.replace("max: 1GB", "max: 50MB"), "m.yaml")
    [error] = sink.errors
    assert "max (50 MB) is not above the memory it asks for first (100 MB)" in error.message
    assert error.span.line == 3


def test_a_dag_node_without_retry_is_warned_about(tmp_path):
    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, "<serial>\njobsub_submit --memory-retry 2 "
                              "file://a.sh\n</serial>\n")
    assert not sink.errors
    assert any("memory retry but no retry" in w.message for w in sink.warnings)


def test_both_forms_at_once_are_refused(tmp_path):
    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, MANIFEST + "    memory_retry: '2'\n", "m.yaml")
    assert any("sets memory_retry and retry: memory" in e.message for e in sink.errors)
