"""DAG emission: SCRIPT lines DAGMan can run as written, or a located error."""

from __future__ import annotations

from tests.helpers import compile_text, make_executable


def errors(tmp_path, script_line):
    make_executable(tmp_path / "a.sh")
    make_executable(tmp_path / "s.sh")
    _, files, sink = compile_text(tmp_path, f"jobsub_submit file://a.sh\n{script_line}\n")
    return [(e.span.line, e.message) for e in sink.errors], files


def test_script_macros_pass(tmp_path):
    errs, files = errors(tmp_path, "postscript file://s.sh $RETURN $JOB $RETRY $JOBID")
    assert errs == []
    dag = next(f.text for f in files if f.path == "wf.dag")
    assert "SCRIPT POST stage_1 files/s.sh $RETURN $JOB $RETRY $JOBID" in dag


def test_script_argument_with_blank(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh 'two words'")
    assert errs == [(2, "pre script of stage_1: 'two words': DAGMan splits script arguments "
                        "on blanks, so an argument cannot be empty or contain whitespace")]


def test_post_only_macro_in_pre_script(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh $RETURN")
    assert errs == [(2, "pre script of stage_1: $RETURN is only defined for POST scripts")]


def test_unknown_dollar_token(tmp_path):
    errs, _ = errors(tmp_path, "prescript file://s.sh \\$HOME")
    assert errs[0][1].endswith("DAGMan rejects script arguments starting with $ other than its "
                               "own macros ($JOB, $RETRY, ...)")
