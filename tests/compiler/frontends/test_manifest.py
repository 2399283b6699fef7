"""The YAML manifest front end: layering, sweeps, dependencies, DAGMan features, errors."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import compile_file, make_executable


def compile_yaml(tmp_path, text, env=None, name="wf.yaml", **kw):
    for exe in ("a.sh", "b.sh", "s.sh"):
        make_executable(tmp_path / exe)
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return compile_file(path, env=env, **kw)


def errors(sink):
    return [(d.span.line, d.span.column, d.message) for d in sink.sorted()
            if d.severity == "error"]


def dag_of(files, name="wf.dag"):
    return next(f.body() for f in files if f.path == name)


def test_layering_defaults_templates_job(tmp_path):
    wf, _files, sink = compile_yaml(tmp_path, """
        defaults:
          group: exp
          memory: 1GB
          environment: {A: "1"}
          lines: ['+X = 1']
        templates:
          big: {memory: 4GB, environment: {B: "2"}, vars: {v1: one}}
          bigger: {extends: big, cpu: 4, vars: {v2: two}}
        jobs:
          j:
            extends: bigger
            executable: a.sh
            environment: [C=3]
            vars: {v1: uno}
    """)
    assert not sink.diagnostics, sink.diagnostics
    o = wf.specs[0].options
    assert (o["group"], o["memory"], o["cpu"]) == ("exp", 4096, 4)
    assert o["environment"] == [["A", "1"], ["B", "2"], ["C", "3"]]  # repeatable: accumulate
    assert o["lines"] == ["+X = 1"]
    assert {k: v for k, v in wf.nodes[0].vars.items() if k.startswith("v")} == {
        "v1": "uno", "v2": "two"}


def test_dependencies_after_and_groups(tmp_path):
    wf, _, sink = compile_yaml(tmp_path, """
        jobs:
          a: {executable: a.sh}
          b: {executable: a.sh}
          c: {executable: a.sh}
          d: {executable: a.sh, after: [a, c]}
          e: {executable: a.sh}
        serial:
          - a
          - parallel: [b, {serial: [c]}]
          - e
    """)
    assert not sink.errors
    pairs = {(p, c) for e in wf.edges for p in e.parents for c in e.children}
    assert pairs == {("a", "d"), ("c", "d"), ("a", "b"), ("a", "c"), ("b", "e"), ("c", "e")}


def test_sweeps_nodes_and_queue(tmp_path):
    wf, files, sink = compile_yaml(tmp_path, """
        jobs:
          grid:
            executable: a.sh
            arguments: [--x, $(x), --y, $(y)]
            matrix: {x: [1, 2], y: [a, b, c]}
          list:
            executable: b.sh
            arguments: [$(p)]
            foreach: [{p: one}, {p: two}]
            expand: queue
            after: grid
    """)
    assert not sink.diagnostics
    assert [n.name for n in wf.nodes] == [f"grid_{i}" for i in range(6)] + ["list"]
    assert [(n.vars["x"], n.vars["y"]) for n in wf.nodes[:6]] == [
        ("1", "a"), ("1", "b"), ("1", "c"), ("2", "a"), ("2", "b"), ("2", "c")]
    assert len(wf.specs) == 2  # six nodes, one submit file
    sub = next(f.body() for f in files if f.path == "list.sub")
    assert sub.endswith("queue 1 p from (\n  one\n  two\n)\n")
    assert wf.edges[0].parents == [f"grid_{i}" for i in range(6)]


def test_queue_values_must_fit_a_queue_statement(tmp_path):
    _, _, sink = compile_yaml(tmp_path, """
        jobs:
          j:
            executable: a.sh
            foreach: [{p: "two words"}]
            expand: queue
    """)
    assert errors(sink) == [
        (6, 13, "p='two words' cannot be listed after `queue ... from` (no blanks, commas, "
                "quotes or parentheses)")]


def test_dagman_features_are_emitted(tmp_path):
    _, files, sink = compile_yaml(tmp_path, """
        categories:
          heavy: {maxjobs: 2}
        dag:
          maxjobs: 10
          maxidle: 5
          maxpre: 2
          maxpost: 3
          dot: {file: wf.dot, update: false}
          node_status_file: {file: status.txt, interval: 30}
          jobstate_log: jobstate.log
          config: {DAGMAN_MAX_SUBMITS_PER_INTERVAL: 7}
          set_job_attr: {Campaign: winter, Stage: 3}
        jobs:
          a:
            executable: a.sh
            pre: {script: s.sh, arguments: [$JOB], defer: {status: 4, time: 60}}
            post: s.sh
            hold: {script: s.sh, arguments: [$JOB]}
            pre_skip: 9
            retry: {count: 2, unless_exit: 3}
            abort_dag_on: {status: 7, return: 1}
            priority: 5
            category: heavy
          b: {executable: a.sh, noop: true, after: a}
          c: {executable: a.sh, done: true}
          z: {executable: a.sh, final: true}
    """)
    assert not sink.diagnostics, sink.diagnostics
    dag = dag_of(files)
    for line in [
        "CONFIG wf.config", "DOT wf.dot DONT-UPDATE OVERWRITE", "NODE_STATUS_FILE status.txt 30",
        "JOBSTATE_LOG jobstate.log", 'SET_JOB_ATTR Campaign = "winter"', "SET_JOB_ATTR Stage = 3",
        "MAXJOBS heavy 2", "SCRIPT DEFER 4 60 PRE a files/s.sh $JOB", "SCRIPT POST a files/s.sh",
        "SCRIPT HOLD a files/s.sh $JOB", "PRE_SKIP a 9", "RETRY a 2 UNLESS-EXIT 3",
        "ABORT-DAG-ON a 7 RETURN 1", "PRIORITY a 5", "CATEGORY a heavy", "JOB b a.sub NOOP",
        "JOB c a.sub DONE", "FINAL z a.sub", "PARENT a CHILD b",
    ]:
        assert line in dag.splitlines(), line
    config = next(f.body() for f in files if f.path == "wf.config")
    assert config.splitlines() == ["DAGMAN_MAX_JOBS_SUBMITTED = 10", "DAGMAN_MAX_JOBS_IDLE = 5",
                                   "DAGMAN_MAX_PRE_SCRIPTS = 2", "DAGMAN_MAX_POST_SCRIPTS = 3",
                                   "DAGMAN_MAX_SUBMITS_PER_INTERVAL = 7"]


def test_subdag_manifest_and_dag_file(tmp_path):
    (tmp_path / "inner.yaml").write_text("jobs:\n  x: {executable: a.sh}\n")
    (tmp_path / "plain.dag").write_text("JOB q q.sub\n")
    _wf, files, sink = compile_yaml(tmp_path, """
        jobs:
          first: {executable: a.sh}
          nested: {subdag: inner.yaml, after: first, retry: 1}
          external: {subdag: plain.dag}
    """)
    assert not sink.diagnostics, sink.diagnostics
    dag = dag_of(files).splitlines()
    # A compiled sub-DAG sits beside its parent (one flat folder: DAGMan writes all its
    # files at the top, where a spooled DAG's output is fetched from); the user's own .dag
    # runs in its folder.
    assert "SUBDAG EXTERNAL nested nested.dag" in dag
    assert f"SUBDAG EXTERNAL external plain.dag DIR {tmp_path}" in dag
    assert "RETRY nested 1" in dag
    paths = {f.path for f in files}
    assert {"nested.dag", "nested.x.sub", "nested.x.sh", "files/a.sh"} <= paths
    assert not any(p.startswith("sub/") for p in paths)
    inner = next(f.body() for f in files if f.path == "nested.x.sub")
    assert "output                  = nested.$(JOB).$(Cluster).$(Process).out" in inner
    assert "log                     = nested.x.log" in inner


def test_environment_references(tmp_path):
    wf, _, sink = compile_yaml(tmp_path, """
        jobs:
          j:
            executable: a.sh
            arguments: ["${HOME_DIR}/x", "\\\\$LITERAL", "$(Process)", $MISSING]
    """, env={"HOME_DIR": "/h"})
    assert wf.nodes[0].arguments == ["/h/x", "$LITERAL", "$(Process)", "$MISSING"]
    [warning] = sink.warnings
    assert (warning.span.line, warning.message) == (
        5, "$MISSING is not set in the environment; kept as written")


def test_every_error_located_in_one_run(tmp_path):
    _, files, sink = compile_yaml(tmp_path, """
        defaults:
          memroy: 2GB
        templates:
          t1: {executable: a.sh, extends: t2}
          t2: {extends: t1}
        jobs:
          a:
            executable: a.sh
            memory: lots
            after: [b, zz]
          b:
            extends: t1
            after: a
            retry: zero
          c:
            executable: missing.sh
          f1: {executable: a.sh, final: true, retry: 2}
          f2: {executable: a.sh, final: true}
        serial: [a, c, a, f1]
    """)
    assert files == []
    got = errors(sink)
    assert got == [
        (3, 3, "unknown key 'memroy' in defaults"),
        (6, 17, "templates extend each other in a cycle: t1 -> t2 -> t1"),
        (8, 3, "dependency cycle: a -> b -> a"),
        (10, 13, "memory: 'lots' is not a size; expected NUMBER[KB|MB|GB|TB]"),
        (11, 16, "unknown job 'zz'"),
        (15, 12, "jobs/b/retry: expected a whole number or a mapping, got a string"),
        (17, 17, "executable missing.sh does not exist"),
        (18, 39, "the final job 'f1' cannot have retry"),
        (19, 26, "only one job may be final; 'f1' already is"),
        (20, 16, "job 'a' appears twice in serial/parallel groups"),
        (20, 19, "the final job 'f1' cannot be in a group"),
    ]
    hints = {d.message: d.hint for d in sink.diagnostics}
    assert hints["unknown key 'memroy' in defaults"] == "did you mean 'memory'?"
    twice = next(d for d in sink.diagnostics if "twice" in d.message)
    assert [(s.line, s.column) for s, _ in twice.notes] == [(20, 10)]  # the first `a`


def test_unknown_names_suggest(tmp_path):
    _, _, sink = compile_yaml(tmp_path, """
        jobs:
          prepare: {executable: a.sh}
          run: {executable: a.sh, after: prepar, extends: templ}
        templates:
          templ8: {cpu: 2}
    """)
    hints = {d.message: d.hint for d in sink.errors}
    assert hints["unknown job 'prepar'"] == "did you mean 'prepare'?"
    assert hints["unknown template 'templ'"] == "did you mean 'templ8'?"


def test_weak_edges_need_a_new_condor(tmp_path):
    from jobsub.compiler.base.diagnostics import Sink
    from jobsub.compiler.pipeline import build

    wf, _, sink = compile_yaml(tmp_path, """
        jobs:
          a: {executable: a.sh}
          b: {executable: a.sh, after_weak: a}
          c: {executable: a.sh, pre: {script: s.sh, debug: {file: pre.log}}}
    """)
    got = [(d.span.line, d.message) for d in sink.errors]
    assert got == [(4, "WEAK dependencies (after_weak) needs HTCondor 25.13.2 or newer; the "
                       "target is 23.0.0"),
                   (5, "SCRIPT DEBUG (a script's debug: file) needs HTCondor 23.3.0 or newer; "
                       "the target is 23.0.0")]
    again = Sink()
    files = build(wf, again, condor_version="25.14.0")
    assert not again.errors
    dag = dag_of(files).splitlines()
    assert "WEAK PARENT a CHILD b" in dag and "SCRIPT DEBUG pre.log ALL PRE c files/s.sh" in dag


@pytest.mark.parametrize("text, message", [
    ("[]", "a manifest is a mapping with at least a `jobs:` key"),
    ("jobs: {}", "should be non-empty"),
    ("name: x", "the document needs the key 'jobs'"),
    ("jobs:\n  a: {executable: a.sh, matrix: {}, foreach: []}\n", None),
])
def test_shape_errors(tmp_path, text, message):
    _, _, sink = compile_yaml(tmp_path, text)
    assert sink.errors
    if message:
        assert any(message in d.message for d in sink.errors), sink.errors


def test_dag_settings_that_htcondor_cannot_hold_are_located(tmp_path):
    """set_job_attr values and config knobs were refused at emission, with no location;
    a bad set_job_attr key was located at the first key of its mapping."""
    _, _, sink = compile_yaml(tmp_path, r"""
        dag:
          set_job_attr:
            Good: 1
            "Bad Name": 1
            Text: "two\nlines"
          config:
            DAGMAN_MAX_JOBS_IDLE: "5 \\"
        jobs:
          a: {executable: a.sh}
    """)
    assert errors(sink)[0] == \
        (5, 5, "dag/set_job_attr: the key 'Bad Name' is not allowed here")
    _, _, sink = compile_yaml(tmp_path, r"""
        dag:
          set_job_attr:
            Text: "two\nlines"
          config:
            DAGMAN_MAX_JOBS_IDLE: "5 \\"
        jobs:
          a: {executable: a.sh}
    """)
    assert errors(sink) == [
        (4, 11, "string contains a line break, which HTCondor files cannot hold"),
        (6, 27, "the value of DAGMAN_MAX_JOBS_IDLE may not end with a backslash")]


def test_names_too_long_for_file_names_are_located(tmp_path):
    long = "j" * 201
    _, _, sink = compile_yaml(tmp_path, f"jobs:\n  {long}: {{executable: a.sh}}\n"
                              f"categories:\n  {long}: {{maxjobs: 1}}\n")
    assert [(line, col) for line, col, _ in errors(sink)] == [(2, 3), (4, 3)]
    assert all("is 201 characters long, more than 200" in m for *_, m in errors(sink))
    assert compile_yaml(tmp_path, f"jobs:\n  {long[:200]}: {{executable: a.sh}}\n")[2] \
        .errors == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["0", "1", "x", ""]), max_size=3), max_size=4))
def test_a_matrix_has_every_combination_in_order(axes):
    """A matrix's items by their definition (dict displays for one or two keys must agree)."""
    import itertools

    from jobsub.compiler.frontends.manifest import _combinations

    keys = [f"k{i}" for i in range(len(axes))]
    got = _combinations(keys, axes) if keys else []
    want = [dict(zip(keys, c, strict=True)) for c in itertools.product(*axes)] if keys else []
    assert got == want and all(list(item) == keys for item in got)


_PART = st.one_of(st.text(alphabet="ab$ -", max_size=3), st.integers(-2, 2), st.booleans(),
                  st.none(), st.floats(allow_nan=False, max_value=9, min_value=-9))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.none(), st.text(alphabet="ab$/", max_size=3), st.integers()),
       st.lists(_PART, max_size=3).map(tuple),
       st.one_of(st.none(), st.lists(_PART, max_size=2).map(tuple), _PART),
       st.booleans())
def test_a_compact_job_the_schema_is_not_shown_is_one_it_takes(executable, arguments, after,
                                                                dollars):
    """_sure decides which jobs the schema need not see: each must be a body the schema
    takes, with no `$` left to expand when expanding is on."""
    from jobsub.compiler.frontends.manifest import compact_body

    body = compact_body(executable, arguments, after)
    _held_to_the_schema(body, dollars)
    # a manifest's body: any of the keys, any of the values (null, text for a list, ...)
    for keys in range(1, 8):
        _held_to_the_schema({k: v for i, (k, v) in enumerate([
            ("executable", executable), ("arguments", list(arguments) or after),
            ("after", after if after is not None else list(arguments))]) if keys >> i & 1},
            dollars)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(alphabet="ab_1.-é ", max_size=4), st.text(min_size=60, max_size=70),
                 st.integers(), st.none()),
       st.one_of(st.none(), st.text(alphabet="ab$/", max_size=3), st.integers()),
       st.one_of(st.lists(_PART, max_size=3).map(tuple), st.lists(_PART, max_size=2),
                 st.text(alphabet="ab", max_size=2)),
       st.one_of(st.none(), st.lists(_PART, max_size=2).map(tuple), _PART),
       st.one_of(st.none(), st.just({}), st.just({"retry": 2})), st.booleans())
def test_a_compact_job_found_sure_from_its_tuple_is_one_found_sure_as_a_body(
        name, executable, arguments, after, keys, dollars):
    """_sure_compact tells a sure job from its tuple: what it finds sure, _sure and the
    name rule do too, with the body compact_body makes."""
    from jobsub.compiler.frontends.manifest import (
        _NAME_RULE,
        _good_name,
        _sure,
        _sure_compact,
        compact_body,
    )

    assert _good_name(name) is (isinstance(name, str) and _NAME_RULE(name))
    made = _sure_compact(name, (executable, arguments, after, keys, ("p.py", 1, 1)), dollars)
    if made is not None:
        assert keys is None and made == compact_body(executable, arguments, after)
        assert _sure(made, dollars) and _good_name(name)
    elif keys is None and type(arguments) is tuple and type(after) in (tuple, type(None)):
        # refused only where the body is not sure either
        assert not (_sure(compact_body(executable, arguments, after), dollars) and
                    _good_name(name))


def _held_to_the_schema(body, dollars):
    from jsonschema import Draft202012Validator

    from jobsub.compiler.frontends.manifest import _sure
    from jobsub.schemas import load

    if _sure(body, dollars):
        errors = list(Draft202012Validator(load("manifest.schema.json")).iter_errors(
            {"jobs": {"a": body}}))
        assert not errors, (body, [e.message for e in errors])
        assert not dollars or "$" not in repr(body)


def test_compact_jobs_and_groups_compile_to_what_their_bodies_do(tmp_path, monkeypatch):
    """compile_data takes jobs as (executable, arguments, after) and groups as (kind,
    items): the same IR as the mappings they stand for, and the same errors, where."""
    from jobsub.compiler.base.diagnostics import Sink, Span
    from jobsub.compiler.frontends import manifest
    from jobsub.compiler.frontends.manifest import compact_body, compile_data
    from jobsub.compiler.ir.model import to_json

    make_executable(tmp_path / "a.sh")
    jobs = {"one": ("a.sh", ("x", "y"), None), "two": ("a.sh", (), ("one",)),
            "three": ("a.sh", ("$HOME",), None), "four": ("a.sh", (1,), ("one", "nosuch"))}
    groups = ("serial", ["two", ("parallel", ["three", "four"])])

    def compiled(doc, dollars):
        sink = Sink()
        wf = compile_data(doc, "p.py", base_dir=str(tmp_path), env={"HOME": "/h"},
                          cmdline={}, sink=sink, dollars=dollars,
                          locate=lambda path=(), key=False: Span("p.py", where=(path, key)))
        return to_json(wf) if wf else None, sorted((d.message, d.span.where)
                                                   for d in sink.diagnostics)

    for dollars, more, start in [(True, {}, {}), (False, {}, {}), (True, {}, {"retry": 2}),
                                 (True, {"bad name": ("a.sh", (), None)}, {})]:
        every = {**jobs, **more}
        defaults = {"memory": "1GB", **start}
        compact = compiled({"defaults": defaults, "jobs": every, "serial": groups}, dollars)
        spelled = compiled({"defaults": defaults,
                            "jobs": {n: compact_body(*j) for n, j in every.items()},
                            "serial": ["two", {"parallel": ["three", "four"]}]}, dollars)
        assert compact == spelled
        # and what the layers and the schema make of every job (none found sure)
        with monkeypatch.context() as m:
            m.setattr(manifest, "_sure", lambda body, dollars: False)
            assert compiled({"defaults": defaults,
                             "jobs": {n: compact_body(*j) for n, j in every.items()},
                             "serial": ["two", {"parallel": ["three", "four"]}]},
                            dollars) == spelled
        assert (compact[0] is None) is bool(more), compact[1]
        assert any("unknown job 'nosuch'" in m for m, _ in compact[1]) is (not more)
        assert compact[0] is None or \
            (compact[0]["nodes"][0]["retry"] is not None) is bool(start)  # defaults' retry
