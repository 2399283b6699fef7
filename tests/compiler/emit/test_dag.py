"""DAG emission: SCRIPT lines DAGMan can run as written, or a located error."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from jobsub.compiler.base import quoting
from jobsub.compiler.base.conventions import jobsub_node_vars
from jobsub.compiler.emit.dag import _vars
from jobsub.compiler.ir.model import Node
from tests.helpers import compile_text, make_executable


def errors(tmp_path, script_line, **kw):
    make_executable(tmp_path / "a.sh")
    make_executable(tmp_path / "s.sh")
    _, files, sink = compile_text(tmp_path, f"jobsub_submit file://a.sh\n{script_line}\n",
                                  **kw)
    return [(e.span.line, e.message) for e in sink.errors], files


def test_script_macros_pass(tmp_path):
    errs, files = errors(tmp_path, "postscript file://s.sh $RETURN $JOB $RETRY $JOBID")
    assert errs == []
    dag = next(f.body() for f in files if f.path == "wf.dag")
    assert "SCRIPT POST stage_1 files/s.sh $RETURN $JOB $RETRY $JOBID" in dag


def test_every_script_macro_is_left_to_dagman(tmp_path):
    """One table for the front end, the back end and the version check: $EXIT_CODES and
    six others were missing from the front end's list, so the submitter's environment
    replaced them."""
    from jobsub.compiler.base.conventions import SCRIPT_MACROS

    line = " ".join(f"${name}" for name in SCRIPT_MACROS)
    leak = {name: "leaked" for name in SCRIPT_MACROS}
    errs, files = errors(tmp_path, f"postscript file://s.sh {line}", env=leak,
                         condor_version="25.2.1")
    assert errs == []
    dag = next(f.body() for f in files if f.path == "wf.dag")
    assert f"SCRIPT POST stage_1 files/s.sh {line}" in dag


def test_script_macros_name_the_release_they_need(tmp_path):
    errs, _ = errors(tmp_path, "postscript file://s.sh $RETURN $EXIT_CODES $exit_code_list")
    assert errs == [(2, "the script macro $EXIT_CODES needs HTCondor 23.9.6 or newer; the "
                        "target is 23.0.0"),
                    (2, "the script macro $EXIT_CODE_LIST needs HTCondor 25.2.1 or newer; "
                        "the target is 23.0.0")]


def test_script_argument_with_blank(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh 'two words'")
    assert errs == [(2, "node stage_1: pre script: 'two words': DAGMan splits script "
                        "arguments on blanks, so an argument cannot be empty or contain "
                        "whitespace")]


def test_post_only_macro_in_pre_script(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh $RETURN")
    assert errs == [(2, "node stage_1: pre script: $RETURN is only defined for POST scripts")]


def test_unknown_dollar_token(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh \\$HOME")
    assert errs[0][1].endswith("DAGMan rejects script arguments starting with $ other than its "
                               "own macros ($JOB, $RETRY, ...)")


def test_values_that_cannot_be_written_are_located_errors(tmp_path):
    make_executable(tmp_path / "a.sh")
    text = ("<serial>\n"
            'jobsub_submit file://a.sh "$MULTI"\n'
            "jobsub_submit -e MULTI file://a.sh\n"
            "</serial>\n")
    _, files, sink = compile_text(tmp_path, text, env={"MULTI": "two\nlines"})
    assert files == []
    assert [(e.span.line, e.message) for e in sink.sorted() if e.severity == "error"] == [
        (2, "node stage_1: argument contains a line break, which HTCondor files cannot hold"),
        (3, "job stage_2: environment variable MULTI contains a line break, which HTCondor "
            "files cannot hold"),
    ]


def test_wrapper_never_takes_the_executables_name(tmp_path):
    make_executable(tmp_path / "stage_1.sh")
    _, files, sink = compile_text(tmp_path, "jobsub_submit file://stage_1.sh\n")
    assert not sink.errors
    paths = {f.path for f in files}
    assert {"stage_1.sub", "stage_1.2.sh", "files/stage_1.sh"} <= paths
    sub = next(f.body() for f in files if f.path == "stage_1.sub")
    assert "executable              = stage_1.2.sh" in sub


#: Words with every character the encoders treat specially, and plain ones.
_WORDS = st.text(alphabet=st.sampled_from(list("ab $()_'\"\\\t=,é-")), max_size=8)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=4), st.dictionaries(
    st.sampled_from(["A", "run", "CM1"]), _WORDS.filter(bool), max_size=3))
def test_vars_line_fast_path_writes_what_the_encoders_write(arguments, variables):
    """_vars writes plain values without the encoders; the result must be the same text.
    (An argument naming one of the VARS, in any case as HTCondor's macros, gets its value:
    the sweep tests below hold that.)"""
    assume(not any(f"$({name.lower()})" in word.lower() for word in arguments
                   for name in variables))
    node = Node("n", "s", arguments, variables)
    pairs = list(variables.items())
    if arguments:
        pairs.append(("JOBSUB_ARGS", quoting.v2_quote_inner(quoting.v2_raw(arguments))))
    expected = " ".join(f"{k}={quoting.dag_vars_value(quoting.protect_dollars(v))}"
                        for k, v in pairs)
    assert _vars(node) == (f"VARS n {expected}" if pairs else "")


def test_queue_variables_are_macros_only_for_their_own_submit_file(tmp_path):
    """`$(energy)` is defined where `queue energy from (...)` runs; in another job's
    arguments HTCondor would expand it to nothing, so it is written literally there."""
    make_executable(tmp_path / "a.sh")
    _, files, sink = compile_text(tmp_path, (
        "jobs:\n"
        "  swept: {executable: a.sh, arguments: [$(energy)], matrix: {energy: [1, 2]},"
        " expand: queue}\n"
        "  other: {executable: a.sh, arguments: [$(energy)], memory: 4GB}\n"), "wf.yaml")
    assert not sink.errors, sink.errors
    dag = next(f.body() for f in files if f.path == "wf.dag")
    assert 'VARS swept ' in dag and 'JOBSUB_ARGS="$(energy)"' in dag
    assert 'JOBSUB_ARGS="$(DOLLAR)(energy)"' in dag


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**7), st.lists(_WORDS, max_size=3),
       st.dictionaries(st.sampled_from(["A", "run"]), _WORDS.filter(bool), max_size=2))
def test_a_nodes_section_writes_what_its_vars_would(section, arguments, variables):
    """jobsub's VARS, made from the node's number without the encoders, are the text the
    encoders write for the same four values given as the node's own."""
    numbered = Node("n", "s", arguments, variables, section=section)
    spelled = Node("n", "s", arguments, {**jobsub_node_vars(section), **variables})
    assert _vars(numbered) == _vars(spelled)


_SWEEP_WORDS = st.one_of(st.sampled_from(["--run", "$(run)", "$(seed)", "$(RUN)", "x$(run)",
                                          "$(run", "$(nope)", "-n", "$(JOB)", "{0}", "x}y{",
                                          "{v0}", "{n}", "{p[0]}", "$(n)", "$(v0)", "a'b"]),
                         _WORDS)


@settings(max_examples=600, deadline=None)
@given(st.lists(_SWEEP_WORDS, min_size=1, max_size=5),
       st.dictionaries(st.sampled_from(["run", "seed", "A", "jobsub_args", "queue_x", "n",
                                        "v0", "p"]),
                       st.one_of(st.sampled_from(["0", "17", "a.b", "x y", "$(seed)", "",
                                                  "{1}", "}"]),
                                 _WORDS), max_size=3),
       st.sampled_from([None, 1, 123456]))
def test_a_sweep_nodes_vars_line_is_what_the_checked_path_writes(arguments, variables,
                                                                 section):
    """A sweep's usual node is written from its arguments' form, without the checks;
    the text (or the refusal) must be what the checked path gives."""
    from jobsub.compiler.emit import dag

    node = Node("n", "s", arguments, variables, section=section)

    def line():
        try:
            return dag._vars(node, folder=True)
        except quoting.Unrepresentable as err:
            return f"refused: {err}"
    fast = line()
    formed = dag._LAST_FORM[0][0] is arguments  # the fast path looked for a form
    real = dag._sweep_form
    asked = []
    dag._sweep_form = lambda *args: asked.append(args)  # (None: no form)
    dag._LAST_FORM[0] = (None, None, None, None)  # the last node's form is kept: forget it
    try:
        assert fast == line()
    finally:
        dag._sweep_form = real
        dag._LAST_FORM[0] = (None, None, None, None)
    assert asked or not formed  # the checked path ran: it asked the stub, which said no


def test_a_sweep_nodes_vars_line_comes_from_its_form():
    """The usual sweep node takes the form (else the test above could pass unused)."""
    from jobsub.compiler.emit.dag import _swept

    node = Node("sim_7", "sim", ["--run", "$(run)", "--seed", "$(seed)"],
                {"run": "0", "seed": "7"}, section=8)
    assert _swept(node, ["X=\"1\""]) == ('VARS sim_7 X="1" run="0" seed="7" '
                                        'JOBSUB_ARGS="--run 0 --seed 7"')
    assert _vars(node) == ('VARS sim_7 JOBSUBJOBSECTION="8" CM1="7" CM2="6" '
                           'nodename="$(JOB)" run="0" seed="7" JOBSUB_ARGS="--run 0 --seed 7"')


def test_nodes_sharing_an_argument_list_each_get_their_own_vars_line():
    """The last argument list's form is kept between nodes (a sweep's share one list): a
    node with other VARS names, or in another order, or other arguments, gets its own."""
    args = ["--run", "$(run)", "--seed", "$(seed)"]
    lines = [_vars(Node("n", "s", a, v)) for a, v in [
        (args, {"run": "0", "seed": "7"}), (args, {"seed": "7", "run": "0"}),
        (args, {"run": "0"}), (list(args), {"run": "1", "seed": "2"}),
        (["--run", "$(run)"], {"run": "1", "seed": "2"}), (args, {"run": "1", "seed": "2"})]]
    assert lines == ['VARS n run="0" seed="7" JOBSUB_ARGS="--run 0 --seed 7"',
                     'VARS n seed="7" run="0" JOBSUB_ARGS="--run 0 --seed 7"',
                     'VARS n run="0" JOBSUB_ARGS="--run 0 --seed $(DOLLAR)(seed)"',
                     'VARS n run="1" seed="2" JOBSUB_ARGS="--run 1 --seed 2"',
                     'VARS n run="1" seed="2" JOBSUB_ARGS="--run 1"',
                     'VARS n run="1" seed="2" JOBSUB_ARGS="--run 1 --seed 2"']
    plain = ["a", "b"]
    assert [_vars(Node("n", "s", a)) for a in (plain, plain, ["a", "$b"], plain)] == \
        ['VARS n JOBSUB_ARGS="a b"'] * 2 + [_vars(Node("n", "s", ["a", "$b"]))] + \
        ['VARS n JOBSUB_ARGS="a b"']


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab ", max_size=3), max_size=30), st.integers(1, 7),
       st.integers(1, 9))
def test_a_dag_in_pieces_is_its_lines(lines, size, most):
    """A big DAG is kept as pieces, of at most `size` lines, and past `most` characters
    no more; written one after the other they are its lines."""
    from jobsub.compiler.emit.plan import _chunks

    pieces = list(_chunks(iter(lines), size, most))
    assert "".join(pieces) == "".join(f"{line}\n" for line in lines)
    assert all(p.count("\n") <= size and len(p) - p.count("\n") < most + 3 for p in pieces)


@pytest.mark.parametrize("count", [1999, 2000])
def test_a_big_dags_node_outputs_go_into_folders_of_1000(tmp_path, count):
    """From 2,000 nodes, stdout and stderr go to out/NNN/ (the node's number // 1,000),
    named by a VARS, each folder made in the compiled folder; the runtime's map finds
    them through the same rule."""
    from jobsub.runtime.nodemap import parse

    make_executable(tmp_path / "job.sh")
    text = "<parallel>\n" + "jobsub_submit file://job.sh\n" * count + "</parallel>\n"
    _, files, sink = compile_text(tmp_path, text)
    assert not sink.errors
    out = {f.path: f for f in files}
    sub, dag = out["stage_1.sub"].body(), out["wf.dag"].body().splitlines()
    vars_lines = [line for line in dag if line.startswith("VARS ")]
    node_map = parse(out["jobsub.json"].body()).top
    if count == 1999:
        assert "output                  = $(JOB).$(Cluster).$(Process).out" in sub
        assert not any("JOBSUB_OUT" in line for line in vars_lines)
        assert not [p for p in out if p.startswith("out/")]
        assert node_map.stdio("stage_1999") == "stage_1999"
        return
    assert "output                  = $(JOBSUB_OUT)/$(JOB).$(Cluster).$(Process).out" in sub
    assert "error                   = $(JOBSUB_OUT)/$(JOB).$(Cluster).$(Process).err" in sub
    assert vars_lines[0].endswith(' JOBSUB_OUT="out/000"')
    assert vars_lines[998].startswith("VARS stage_999 ") and "out/000" in vars_lines[998]
    assert vars_lines[999].startswith("VARS stage_1000 ") and "out/001" in vars_lines[999]
    assert sorted(p for p in out if p.startswith("out/")) == [
        "out/000/.keep", "out/001/.keep", "out/002/.keep"]
    assert node_map.stdio("stage_999") == "out/000/stage_999"
    assert node_map.stdio("stage_2000") == "out/002/stage_2000"


def test_a_nodes_own_vars_cannot_take_jobsubs_names():
    """jobsub writes JOBSUBJOBSECTION, CM1, CM2, nodename and JOBSUB_OUT on a numbered node
    and JOBSUB_ARGS on one with arguments: the same name among the node's own VARS would be
    written twice (DAGMan keeps the last), so an IR that carries one is refused."""
    with pytest.raises(quoting.Unrepresentable, match="VARS name cm1 is set by jobsub"):
        _vars(Node("n", "s", [], {"cm1": "x"}, section=3))
    with pytest.raises(quoting.Unrepresentable, match="JOBSUB_ARGS is set by jobsub"):
        _vars(Node("n", "s", ["a"], {"JOBSUB_ARGS": "x"}))
    assert _vars(Node("n", "s", [], {"CM1": "x"})) == 'VARS n CM1="x"'  # no number: no clash


_SWEPT_ARGS = [["--run", "$(run)", "--seed", "$(seed)"], ["--run", "$(run)"], ["plain"]]
_SWEPT_VARS = [{"run": "0", "seed": "1"}, {"seed": "1", "run": "0"}, {"run": "2"},
               {"run": ""}, {"run": "x y"}, {"run": "$z"}, {"run": "1", "CM1": "2"}]
_SWEPT_OWN = ["", "", "", "noop", "done", "final", "retry", "priority", "category",
              "pre_skip", "abort_on", "scripts", "no section", "other spec", "subdag"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(range(len(_SWEPT_ARGS))),
                          st.sampled_from(range(len(_SWEPT_VARS))),
                          st.sampled_from(_SWEPT_OWN)), max_size=14),
       st.booleans(), st.integers(1, 4))
def test_a_run_of_sweep_nodes_is_written_as_each_node_would_be(drawn, folders, most):
    """dag_lines writes a run of a sweep's usual nodes in one loop (_swept_run): the same
    text as _node writes for each, whatever breaks the run, and the same errors (spec t's
    submit file cannot be named in a DAG)."""
    from jobsub.compiler.base.diagnostics import Sink
    from jobsub.compiler.emit import dag
    from jobsub.compiler.ir.model import AbortOn, Retry, Script, Workflow

    features = {"noop": {"noop": True}, "done": {"done": True}, "final": {"final": True},
                "retry": {"retry": Retry(2)}, "priority": {"priority": 3},
                "category": {"category": "c"}, "pre_skip": {"pre_skip": 1},
                "abort_on": {"abort_on": AbortOn(1)},
                "scripts": {"scripts": (Script("POST", "p.sh"),)}}
    nodes = []
    for i, (args, variables, own) in enumerate(drawn):
        nodes.append(Node(f"n{i}", "t" if own == "other spec" else "s", _SWEPT_ARGS[args],
                          dict(_SWEPT_VARS[variables]),
                          section=None if own == "no section" else i + 1,
                          **features.get(own, {})))
    wf = Workflow("w", "w.yaml", ".", nodes=nodes)
    subdags = {f"n{i}": "inner.dag" for i, (_, _, own) in enumerate(drawn) if own == "subdag"}

    def written() -> tuple[str, list]:
        sink = Sink()
        text = "\n".join(dag.dag_lines(wf, {"s": "s.sub", "t": 't"b.sub'}, {"p.sh": "p.sh"},
                                       None, sink, subdags))
        return text, [d.message for d in sink.diagnostics]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dag, "_RUN_MOST", most)
        patch.setattr(dag, "outputs_in_folders", lambda wf: folders)
        together = written()
        patch.setattr(dag, "_swept_run", lambda nodes, start, *rest: ("", start))
        assert together == written()


def test_the_nodes_of_a_sweep_are_written_as_a_run():
    """Else the test above could pass with _swept_run never taking a node."""
    from jobsub.compiler.emit.dag import _swept_run

    args = _SWEPT_ARGS[0]
    nodes = [Node(f"n{i}", "s", args, {"run": str(i), "seed": "1"}, section=i + 1)
             for i in range(3)] + [Node("n3", "s", args, {"run": "3"}, section=4)]
    text, after = _swept_run(nodes, 0, {"s": "s.sub"}, {}, False)
    assert after == 3 and text.count("JOB ") == 3 and text.startswith(
        'JOB n0 s.sub\nVARS n0 JOBSUBJOBSECTION="1" CM1="0" CM2="-1" nodename="$(JOB)" '
        'run="0" seed="1" JOBSUB_ARGS="--run 0 --seed 1"')
