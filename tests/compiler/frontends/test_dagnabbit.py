"""The dagnabbit front end against jobsub_lite's corpus, its known bugs, and our errors."""

from __future__ import annotations

import pytest

from jobsub.compiler.base.limits import MAX_NESTING
from jobsub.compiler.ir.model import node_vars
from tests.helpers import compile_file, compile_text, make_executable


def edge_pairs(wf) -> set[tuple[int, int]]:
    """Dependencies as (parent stage number, child stage number)."""
    num = {n.name: int(n.name.split("_")[1]) for n in wf.nodes}
    return {(num[p], num[c]) for e in wf.edges for p in e.parents for c in e.children}


def parse_pairs(text: str) -> set[tuple[int, int]]:
    """'1>2,3 2>4' -> {(1, 2), (1, 3), (2, 4)}."""
    out = set()
    for group in text.split():
        parent, children = group.split(">")
        out |= {(int(parent), int(c)) for c in children.split(",")}
    return out


# Node count and dependencies, one "P>C,C" group per parent. Where jobsub_lite was right these
# are exactly its graphs (see tests/data/jobsub_lite); edge_nesting is where it was wrong.
EXPECTED = {
    "dagTest": (5, "1>2 2>3,4 3>5 4>5"),
    "dagTest2": (9, "1>2 2>3,4,5,6 3>9 4>9 5>9 6>7 7>8 8>9"),
    "dagTest3": (37, "1>2,9,16,23,30 2>3 3>4 4>5 5>6 6>7 7>8 8>37 9>10 10>11 11>12 12>13 "
                     "13>14 14>15 15>37 16>17 17>18 18>19 19>20 20>21 21>22 22>37 23>24 "
                     "24>25 25>26 26>27 27>28 28>29 29>37 30>31 31>32 32>33 33>34 34>35 "
                     "35>36 36>37"),
    "dagTest6": (6, "1>2,3 2>6 3>4 4>5 5>6"),
    "dagTest7": (8, "1>2,4,6 2>3 3>8 4>5 5>8 6>7 7>8"),
    "dagTest8": (8, "1>2 2>3,5 3>4 4>7 5>6 6>7 7>8"),
    "dagTestDropbox": (5, "1>2 2>3,4 3>5 4>5"),
    "dagTestH": (12, "1>2,3,4,5,6,7,8,9,10,11 2>12 3>12 4>12 5>12 6>12 7>12 8>12 9>12 10>12 "
                     "11>12"),
    "dagTestHS": (12, "1>2,3,4,5,6,7,8,9,10,11 2>12 3>12 4>12 5>12 6>12 7>12 8>12 9>12 "
                      "10>12 11>12"),
    # jobsub_lite: "1>5,7 2>3,5 ..." (B without a parent, E after A): wrong.
    "edge_nesting.dagnabbit": (8, "1>2,7 2>3,5 3>4 4>6 5>6 6>8 7>8"),
    "edge_resources.dagnabbit": (2, "1>2"),
    # jobsub_lite made the prescript named check_jobsub_pre.sh a second job node.
    "edge_prescript_name.dagnabbit": (1, ""),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_graphs(corpus, name):
    wf, files, sink = compile_file(corpus / name)
    assert not sink.errors, [d.message for d in sink.errors]
    count, pairs = EXPECTED[name]
    assert len(wf.nodes) == count
    assert [n.name for n in wf.nodes] == [f"stage_{i}" for i in range(1, count + 1)]
    assert edge_pairs(wf) == (parse_pairs(pairs) if pairs else set())
    assert files


def test_vars_follow_jobsub_lite(corpus):
    wf, _, _ = compile_file(corpus / "dagTest8")
    assert wf.nodes[2].vars == {}  # jobsub's VARS come from the node's number
    assert node_vars(wf.nodes[2]) == {"JOBSUBJOBSECTION": "3", "CM1": "2", "CM2": "1",
                                      "nodename": "$(JOB)"}


def test_identical_lines_share_a_spec(corpus):
    wf, _, _ = compile_file(corpus / "dagTest3")
    assert len(wf.nodes) == 37
    assert len(wf.specs) == 9  # jobA..jobI
    wf, _, _ = compile_file(corpus / "dagTestH")
    # ten lines that differ only in their last argument: one spec, ten argument lists
    assert len(wf.specs) == 2
    assert [n.arguments[-1] for n in wf.nodes[1:11]] == [str(i) for i in range(10)]


def test_scripts_attach_to_the_job_above(corpus):
    wf, _, _ = compile_file(corpus / "dagTest8")
    node = wf.nodes[0]
    assert [(s.kind, s.executable, s.arguments) for s in node.scripts] == [
        ("PRE", "./initjobA.sh", ["$JOB", "init"]),
        ("POST", "./ckjobA.sh", ["$RETURN", "$JOB", "post", "$JOBID"]),
    ]


def test_environment_is_expanded_and_field_split(corpus):
    wf, _, _sink = compile_file(corpus / "dagTest")
    spec = wf.specs[0]
    assert spec.options["mail"] == "on_error"
    assert spec.options["resource_provides"] == [["usage_model", "DEDICATED,OPPORTUNISTIC"]]
    wf, _, _ = compile_file(corpus / "dagTest", env={"SUBMIT_FLAGS": "-G fermilab --memory 3GB"})
    assert wf.specs[0].options["group"] == "fermilab"
    assert wf.specs[0].options["memory"] == 3072


def test_comment_mentioning_jobsub_is_not_a_job(corpus):
    wf, _, sink = compile_file(corpus / "edge_comment.dagnabbit")
    assert not sink.errors
    assert len(wf.nodes) == 2
    assert [n.arguments for n in wf.nodes] == [["one"], ["two"]]


def test_quoted_environment_value(corpus):
    wf, _, sink = compile_file(corpus / "edge_quote.dagnabbit")
    assert not sink.errors
    assert wf.specs[0].options["environment"] == [["FOO", "a b"]]
    assert wf.nodes[0].arguments == ["q1"]


def test_parallel_inside_parallel(corpus):
    wf, _, sink = compile_file(corpus / "edge_parpar.dagnabbit")
    assert not sink.errors
    assert edge_pairs(wf) == set()  # A and B both run at once, nothing before or after
    assert len(wf.nodes) == 2


def test_two_postscripts_is_an_error(corpus):
    _, _, sink = compile_file(corpus / "edge_prepost.dagnabbit")
    [err] = sink.errors
    assert (err.span.line, err.span.column) == (5, 1)
    assert "only one postscript" in err.message
    assert err.notes[0][0].line == 4


def test_prescript_before_any_job(corpus):
    _, _, sink = compile_file(corpus / "edge_prescript_first.dagnabbit")
    [err] = sink.errors
    assert (err.span.line, err.span.column) == (2, 1)
    assert err.message == "prescript does not follow a job line"


def test_executable_must_be_a_file_url(corpus):
    _, _, sink = compile_file(corpus / "dagTest4")
    assert len(sink.errors) == 5  # one per job line, all reported
    first = sink.sorted()[0]
    assert (first.span.line, first.span.column) == (2, 57)
    assert first.hint == "write file://./jobA.sh"


def test_garbage_line_and_top_level_job(corpus):
    wf, _, sink = compile_file(corpus / "edge_outside.dagnabbit")
    [err] = sink.errors
    assert err.message == "not a dagnabbit line"
    assert (err.span.line, err.span.column) == (5, 1)
    messages = [(w.span.line, w.message) for w in sink.warnings]
    assert (1, "job line outside any <serial> or <parallel> block") in messages
    assert (3, "$UNDEFINED_VAR is not set in the environment; kept as written") in messages
    assert wf.nodes[1].arguments == ["X", "$UNDEFINED_VAR", "expanded"]
    assert edge_pairs(wf) == {(1, 2)}


def test_unsupported_jobsub_lite_options_are_named(corpus):
    _, _, sink = compile_file(corpus / "edge_lines.dagnabbit")
    flagged = sorted({e.message for e in sink.errors})
    assert flagged == ["jobsub_lite option -i is not supported",
                       "jobsub_lite option -r is not supported",
                       "jobsub_lite option -t is not supported"]


# --- block structure errors --------------------------------------------------------------

def _errors(tmp_path, text):
    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, text)
    return [(e.span.line, e.span.column, e.message) for e in sink.sorted()
            if e.severity == "error"]


def test_unclosed_block_points_at_the_opening_tag(tmp_path):
    assert _errors(tmp_path, "<serial>\n<parallel>\njobsub_submit file://a.sh\n</parallel>\n") \
        == [(1, 1, "<serial> is never closed")]


def test_mismatched_close(tmp_path):
    errs = _errors(tmp_path, "<serial>\n  jobsub_submit file://a.sh\n  </parallel>\n")
    assert errs == [(3, 3, "</parallel> does not match <serial>")]


def test_stray_close(tmp_path):
    assert _errors(tmp_path, "jobsub_submit file://a.sh\n</serial>\n") == [
        (2, 1, "</serial> without a matching opening tag")]


def test_every_error_is_reported(tmp_path):
    text = ("<serial>\n"
            "jobsub_submit --memroy 2GB file://a.sh\n"
            "jobsub_submit --memory lots file://a.sh\n"
            "jobsub_submit file://missing.sh\n"
            "bogus\n"
            "</parallel>\n")
    errs = _errors(tmp_path, text)
    assert [(line, col) for line, col, _ in errs] == [(2, 15), (3, 24), (4, 15), (5, 1), (6, 1)]
    assert errs[0][2] == "unknown option --memroy"
    assert "is not a size" in errs[1][2]


def test_did_you_mean(tmp_path):
    make_executable(tmp_path / "a.sh")
    _, _, sink = compile_text(tmp_path, "jobsub_submit --memroy 2GB file://a.sh\n")
    assert sink.errors[0].hint == "did you mean --memory?"


def test_deep_nesting(tmp_path):
    make_executable(tmp_path / "a.sh")
    depth = MAX_NESTING // 2
    text = "".join("<serial>\n<parallel>\n" for _ in range(depth))
    text += "jobsub_submit file://a.sh x\njobsub_submit file://a.sh y\n"
    text += "".join("</parallel>\n</serial>\n" for _ in range(depth))
    wf, _files, sink = compile_text(tmp_path, text)
    assert not sink.errors
    assert len(wf.nodes) == 2 and wf.edges == []


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 3000])
def test_nesting_deeper_than_the_limit_is_one_located_error(tmp_path, depth):
    """Not a RecursionError in check, convert or graph: the first block too deep is named."""
    make_executable(tmp_path / "a.sh")
    text = "<serial>\n" * depth + "jobsub_submit file://a.sh\n" + "</serial>\n" * depth
    _wf, _files, sink = compile_text(tmp_path, text)
    [error] = sink.errors
    assert error.message == f"blocks nest more than {MAX_NESTING} levels deep"
    assert (error.span.line, error.span.column) == (MAX_NESTING + 1, 1)
    assert not sink.warnings


def test_job_keyword_spellings(tmp_path):
    make_executable(tmp_path / "a.sh")
    text = ("jobsub_submit file://a.sh 1\n"
            "  jobsub submit file://a.sh 2\n"
            "\tjobsub file://a.sh 3\n"
            "jobsub_submitter file://a.sh 4\n")
    wf, _, sink = compile_text(tmp_path, text)
    assert [n.arguments for n in wf.nodes] == [["1"], ["2"], ["3"]]
    assert [(e.span.line, e.message) for e in sink.errors] == [(4, "not a dagnabbit line")]


def test_empty_file(tmp_path):
    assert _errors(tmp_path, "# nothing\n") == [(1, 1, "no jobs in file")]


def test_paths_resolve_next_to_the_file(tmp_path, monkeypatch):
    sub = tmp_path / "wf"
    make_executable(sub / "bin" / "a.sh")
    (sub / "w.dagnabbit").write_text("<serial>\njobsub_submit file://bin/a.sh\n</serial>\n")
    monkeypatch.chdir(tmp_path)
    wf, _, sink = compile_file(sub / "w.dagnabbit")
    assert not sink.diagnostics
    assert wf.specs[0].executable == "bin/a.sh"


def test_crlf_line_endings(tmp_path):
    make_executable(tmp_path / "a.sh")
    wf, _, sink = compile_text(tmp_path, "<serial>\r\njobsub_submit file://a.sh x\r\n"
                                         "jobsub_submit file://a.sh y\r\n</serial>\r\n")
    assert not sink.diagnostics
    assert [n.arguments for n in wf.nodes] == [["x"], ["y"]]


def test_group_defaults_from_the_environment(tmp_path):
    make_executable(tmp_path / "a.sh")
    text = "<serial>\njobsub_submit file://a.sh\njobsub_submit -G other file://a.sh\n</serial>\n"
    wf, _, _ = compile_text(tmp_path, text, env={"GROUP": "g1"})
    assert [s.options["group"] for s in wf.specs] == ["g1", "other"]
    wf, _, _ = compile_text(tmp_path, text, env={"GROUP": "g1", "JOBSUB_GROUP": "g2"})
    assert wf.specs[0].options["group"] == "g2"


def test_retry_lines(tmp_path):
    make_executable(tmp_path / "a.sh")
    text = ("<serial>\n"
            "jobsub_submit file://a.sh 1\nretry 3\n"
            "jobsub_submit file://a.sh 2\nRETRY 2 unless-exit 42\n"
            "jobsub_submit file://a.sh 3\nretry 0\n"
            "jobsub_submit file://a.sh 4\nretry 2 sometimes\n"
            "jobsub_submit file://a.sh 5\nretry 1\nretry 2\n"
            "</serial>\nretry 1\n")
    wf, _, sink = compile_text(tmp_path, text)
    assert [(n.retry.count, n.retry.unless_exit) if n.retry else None for n in wf.nodes] == [
        (3, None), (2, 42), None, None, (1, None)]
    assert [(e.span.line, e.message) for e in sink.sorted() if e.severity == "error"] == [
        (7, "retry count '0' is not a whole number above 0"),
        (9, "malformed retry line"),
        (12, "a job has only one retry line"),
        (14, "retry does not follow a job line"),
    ]


CACHE_LINES = [
    "jobsub_submit --memory 2GB file://a.sh plain",
    "jobsub_submit --memory 2GB file://a.sh 'two words' \"q\\\"uote\" $HOME_SET_VAR",
    "jobsub_submit --memory 2GB file://a.sh",
    "jobsub_submit --memory 2GB   file://a.sh  spaced\targs ",
    "jobsub_submit --memory 2GB file://b.sh x",
    "jobsub_submit --memory 3GB file://a.sh y",
    "jobsub_submit -e 'Y=a file://a.sh' file://b.sh z",
    "jobsub_submit -e 'Y=a file://a.sh' file://b.sh z2 '$(Process)'",
    "jobsub_submit -e \"Y=a file://a.sh b\" file://b.sh w",
    "jobsub_submit -e \"Y=a file://a.sh b\" file://b.sh w2",
    "jobsub_submit -- file://a.sh --memory",
    "jobsub_submit -- file://a.sh --memory 2",
]


def test_lines_read_once_give_what_each_line_gives_alone(tmp_path):
    """Job lines that share their options are read once (a cache keyed by the text up to the
    executable); every node must still be what its line compiles to on its own."""
    make_executable(tmp_path / "a.sh")
    make_executable(tmp_path / "b.sh")
    wf, _, sink = compile_text(tmp_path, "<serial>\n" + "\n".join(CACHE_LINES) + "\n</serial>\n")
    assert not sink.errors
    for line, node in zip(CACHE_LINES, wf.nodes, strict=True):
        alone, _, _ = compile_text(tmp_path, line + "\n", name="alone.dagnabbit")
        [spec] = alone.specs
        ours = next(s for s in wf.specs if s.name == node.spec)
        assert (ours.executable, ours.options) == (spec.executable, spec.options), line
        assert node.arguments == alone.nodes[0].arguments, line


def test_consecutive_lines_share_the_words_they_repeat(tmp_path):
    """A node's arguments share the previous line's word at the same place when equal (and
    its list when all are): the values stay each line's own, in order."""
    make_executable(tmp_path / "a.sh")
    lines = ["jobsub_submit file://a.sh --run 1 --in f1.root",
             "jobsub_submit file://a.sh --run 2 --in f2.root extra",
             "jobsub_submit file://a.sh --run 2 --in f2.root extra",
             "jobsub_submit file://a.sh 'two words' --run",
             "jobsub_submit file://a.sh",
             "jobsub_submit file://a.sh --run"]
    wf, _, sink = compile_text(tmp_path, "<serial>\n" + "\n".join(lines) + "\n</serial>\n")
    assert not sink.errors
    a, b, c, d, e, f = (n.arguments for n in wf.nodes)
    assert a == ["--run", "1", "--in", "f1.root"]
    assert b == ["--run", "2", "--in", "f2.root", "extra"] and b[0] is a[0] and b[2] is a[2]
    assert c is b
    assert d == ["two words", "--run"] and d[1] is not b[1]
    assert e == [] and f == ["--run"]


def test_a_bad_100000_line_file_reports_every_error_in_one_pass(tmp_path):
    """The fast paths keep error reporting whole: each problem at its line and column."""
    make_executable(tmp_path / "a.sh")
    lines = ["<serial>"]
    for i in range(1, 100_001):
        lines.append(f"jobsub_submit -G exp --memory 1GB file://a.sh --item {i}")
    lines[20_000] = "jobsub_submit -G exp --memroy 1GB file://a.sh --item x"
    lines[40_000] = "jobsub_submit -G exp --memory 1GB file://a.sh 'unclosed"
    lines[60_000] = "postscript file://a.sh"
    lines.insert(60_000, "</serial>")
    lines.insert(80_000, "not a dagnabbit line")
    lines.insert(90_000, "<parallel>")
    lines.append("</serial>")
    _, files, sink = compile_text(tmp_path, "\n".join(lines) + "\n", name="big.dagnabbit")
    found = [(d.span.line, d.span.column, d.message) for d in sink.sorted()
             if d.severity == "error"]
    assert found == [
        (20_001, 22, "unknown option --memroy"),
        (40_001, 47, "unterminated single quote"),
        (60_002, 1, "postscript does not follow a job line"),  # after </serial> (60,001)
        (80_001, 1, "not a dagnabbit line"),
        (100_005, 1, "</serial> does not match <parallel>"),  # opened at 90,001
    ], found
    assert not files


@pytest.mark.parametrize(("line", "word"), [
    ("jobsub_submit -G g file://job.sh --item j1x", "file://job.sh"),
    ("jobsub_submit --tar_file_name=file://t.tgz\tfile://job.sh", "file://job.sh"),
    ("jobsub_submit file://a'b file://c", "file://c"),
    ("jobsub_submit file://a$X", None),
    ("file://x", "file://x"),
    ("jobsub_submit -f xfile://y", None),
])
def test_the_executable_word_is_a_whole_plain_file_url(line, word):
    from jobsub.compiler.frontends.dagnabbit import _executable_word

    m = _executable_word(line, 0)
    assert (m.group() if m else None) == word
