"""The pipeline runs each stage once: a manifest with a warning is not loaded, built,
planned (tarred) or given tokens again to locate the warning; positions are looked up
only for the spans a message names."""

from __future__ import annotations

import pytest

from jobsub.compiler import pipeline
from jobsub.compiler.base.diagnostics import Sink
from jobsub.compiler.emit import inputs
from jobsub.compiler.frontends import manifest
from jobsub.compiler.site.config import load_site
from tests.helpers import compile_text, make_executable

MANIFEST = """\
name: once
jobs:
  a:
    executable: run.sh
    tar_file_name: tardir://code
    arguments: [$UNSET_FOR_THE_TEST]
  b:
    executable: run.sh
    after: a
"""


def _counting(monkeypatch, module, name, calls):
    real = getattr(module, name)

    def counted(*args, **kw):
        calls[name] = calls.get(name, 0) + 1
        return real(*args, **kw)
    monkeypatch.setattr(module, name, counted)


def test_a_manifest_with_a_warning_runs_every_stage_once(tmp_path, monkeypatch):
    make_executable(tmp_path / "run.sh")
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "lib.txt").write_text("x\n")
    (tmp_path / "once.yaml").write_text(MANIFEST)
    calls: dict[str, int] = {}
    _counting(monkeypatch, manifest, "load_fast", calls)
    _counting(monkeypatch, manifest._Builder, "run", calls)
    _counting(monkeypatch, pipeline, "plan", calls)
    _counting(monkeypatch, inputs, "tar_directory", calls)

    class Tokens:  # a token source that counts how often the compile step asks it
        def role(self, group, asked):
            calls["role"] = calls.get("role", 0) + 1
            return "Analysis"

        def scopes(self, group, role, span, sink):
            calls["scopes"] = calls.get("scopes", 0) + 1
            return ["compute.read", "storage.read:/fermilab"]

    sink = Sink()
    _, files = pipeline.compile_path(str(tmp_path / "once.yaml"), env={}, cwd=str(tmp_path),
                                      cmdline={"group": "fermilab"}, sink=sink,
                                      policy=load_site("fermilab", {}).policy, tokens=Tokens())
    assert files and not sink.errors
    assert calls == {"load_fast": 1, "run": 1, "role": 2, "scopes": 1, "plan": 1,
                     "tar_directory": 1}
    [warning] = sink.warnings
    assert "$UNSET_FOR_THE_TEST is not set" in warning.message
    # located at the value, though the document was read without positions
    assert (warning.span.line, warning.span.column) == (6, 17)


def test_positions_are_looked_up_only_when_a_message_needs_them(tmp_path, monkeypatch):
    from jobsub.compiler.frontends import yamlsource

    make_executable(tmp_path / "run.sh")
    (tmp_path / "quiet.yaml").write_text("jobs:\n  a: {executable: run.sh}\n")
    loads = []
    real = yamlsource.load
    monkeypatch.setattr(yamlsource, "load", lambda *a: loads.append(a) or real(*a))
    sink = Sink()
    pipeline.compile_path(str(tmp_path / "quiet.yaml"), env={}, cwd=str(tmp_path),
                          cmdline=None, sink=sink)
    assert not sink.diagnostics and loads == []
    (tmp_path / "loud.yaml").write_text("jobs:\n  a: {executable: run.sh, memory: lots}\n")
    pipeline.compile_path(str(tmp_path / "loud.yaml"), env={}, cwd=str(tmp_path),
                          cmdline=None, sink=sink)
    [error] = sink.errors
    assert (error.span.line, error.span.column) == (2, 35) and len(loads) == 1


def test_a_document_only_the_fast_loader_reads_is_reported_where_ruamel_stops(tmp_path):
    """libyaml reads a tab inside a plain key; ruamel does not: the lookup of the message's
    position meets ruamel's refusal, which is then the (located) message. Found by the
    manifest fuzzer."""
    make_executable(tmp_path / "run.sh")
    (tmp_path / "tab.yaml").write_text("n\tme: x\njobs:\n  a: {executable: run.sh}\n")
    sink = Sink()
    pipeline.compile_path(str(tmp_path / "tab.yaml"), env={}, cwd=str(tmp_path),
                          cmdline=None, sink=sink)
    [error] = sink.errors
    assert error.message.startswith("YAML syntax: found character '\\t'")
    assert (error.span.line, error.span.column) == (1, 2)


@pytest.mark.parametrize("shape", ["sweep", "dagnabbit"])
def test_compiling_leaves_no_garbage_per_node(tmp_path, shape):
    """Compiling runs with the cyclic collector paused (api.results.collector_paused): a
    reference cycle made per node would be kept for the whole run (a recursive closure in
    the macro filler held 1.6 GB for a million-node sweep)."""
    import gc

    make_executable(tmp_path / "job.sh")
    if shape == "sweep":
        text = ("jobs:\n  sim:\n    executable: job.sh\n    arguments: [--run, $(run), "
                "x$(run)]\n    vars: {a: $(run)}\n    matrix: {run: [" +
                ", ".join(map(str, range(2000))) + "]}\n")
        name = "wf.yaml"
    else:
        text = "<serial>\n" + "".join(f"jobsub_submit file://job.sh $(JOB) {i}\n"
                                      for i in range(2000)) + "</serial>\n"
        name = "wf.dagnabbit"
    gc.collect()
    gc.disable()
    try:
        _, files, sink = compile_text(tmp_path, text, name=name)
        assert files and not sink.errors, sink.errors
        assert gc.collect() < 500  # a few hundred from imports and the YAML reader, not 2,000s
    finally:
        gc.enable()


def test_the_paused_collector_leaves_what_was_made_old_and_nothing_frozen():
    """After a compile in a program (not a command), what it made is in the oldest
    generation, not left young for the first allocation to scan all at once, and nothing
    stays frozen (the program's own cycles are collected as before)."""
    import gc

    from jobsub.results import collector_paused

    class Made:
        pass

    gc.unfreeze()  # what a command's compile in this test process froze
    with collector_paused():
        made = [Made() for _ in range(1000)]
    assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    assert any(obj is made for obj in gc.get_objects(generation=2))
    assert gc.get_count()[0] < 100


def test_the_paused_collector_leaves_a_programs_frozen_objects_frozen():
    import gc

    from jobsub.results import collector_paused

    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            made = [object() for _ in range(10)]
        assert gc.get_freeze_count() == frozen and made
    finally:
        gc.unfreeze()
