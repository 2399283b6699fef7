"""The table-driven jobsub_submit parser."""

from __future__ import annotations

from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.options.flags import FlagParser
from jobsub.compiler.options.shellwords import Word
from jobsub.compiler.options.table import OPTIONS, Context


def parse(argv, env=None):
    words, pos = [], 0
    for a in argv:
        words.append(Word(a, pos, pos + len(a)))
        pos += len(a) + 1
    sink = Sink()
    where = lambda w: Span("x", 1, w.start + 1)  # noqa: E731
    parsed = FlagParser(OPTIONS).parse(words, where, Context(env or {}), sink)
    return parsed, sink


def test_forms():
    p, sink = parse(["-Gfermilab", "--memory=2GB", "--disk", "1GB", "-N", "3", "--mail-always",
                     "-e", "A=1", "-e", "B", "-d", "OUT", "/x", "--expected_lifetime", "long",
                     "file://job.sh", "--memory", "arg"], env={"B": "from env"})
    assert not sink.diagnostics
    assert p.values == {"group": "fermilab", "memory": 2048, "disk": 1048576, "count": 3,
                        "mail": "always", "environment": [["A", "1"], ["B", "from env"]],
                        "output_dir": [["OUT", "/x"]], "expected_lifetime": 85200}
    assert p.executable.text == "file://job.sh"
    assert [w.text for w in p.arguments] == ["--memory", "arg"]


def test_both_spellings_and_prefixes():
    p, sink = parse(["--append_condor_requirements", "a", "--append-condor-requirements", "b",
                     "--tar-file", "x", "file://j"])
    assert not sink.diagnostics
    assert p.values["append_condor_requirements"] == ["a", "b"]
    assert p.values["tar_file_name"] == ["x"]


def test_double_dash_ends_options():
    p, _ = parse(["--", "file://j", "-G"])
    assert p.executable.text == "file://j" and [w.text for w in p.arguments] == ["-G"]


def messages(argv, env=None):
    _, sink = parse(argv, env)
    return [(d.span.column, d.message, d.hint) for d in sink.sorted()]


def test_errors():
    assert messages(["--memroy", "2GB", "file://j"]) == [
        (1, "unknown option --memroy", "did you mean --memory?")]
    assert messages(["--memory", "--disk", "1GB", "file://j"])[0][1] == \
        "option --memory needs a value: --memory SIZE"
    assert messages(["--ma", "file://j"])[0][1].startswith("ambiguous option --ma")
    assert messages(["--mail", "file://j"])[0][1].startswith("ambiguous option --mail")
    assert parse(["--mail-on", "file://j"])[0].values == {"mail": "on_error"}
    assert messages(["-e", "UNSET", "file://j"])[0][1] == \
        "bad value for -e: -e UNSET passes the submitter's value of UNSET, but UNSET is not set"
    assert messages(["--onsite=yes", "file://j"])[0][1] == "option --onsite takes no value"
    assert messages(["-G", "x"])[0][1] == "no executable given"
    assert messages(["-r", "v1", "file://j"])[0][1] == "jobsub_lite option -r is not supported"


def test_conflicts_point_at_the_later_flag():
    [(col, msg, _hint)] = messages(["--onsite", "--site", "A", "file://j"])
    assert (col, msg) == (10, "--site cannot be combined with --onsite")
    [(_, msg, _)] = messages(["--no-singularity", "--singularity-image", "i", "file://j"])
    assert msg == "--singularity-image cannot be combined with --no-singularity"


def test_expressions_are_checked():
    assert messages(["-c", "TARGET.X ==", "file://j"])[0][1] == \
        "bad value for -c: 'TARGET.X ==' is not a valid ClassAd expression"
    assert messages(["--lines", "+A = (1", "file://j"])[0][1] == \
        "bad value for --lines: '(1' is not a valid ClassAd expression"
    assert messages(["--lines", "queue 5", "file://j"])[0][1].startswith(
        "bad value for --lines: 'queue 5' is not a submit-file line")
    p, sink = parse(["-c", "TARGET.Y =?= $(X)", "--lines", "request_cpus = 2",
                     "--lines", '+A = "x"', "file://j"])
    assert not sink.diagnostics
    assert p.values["lines"] == ["request_cpus = 2", '+A = "x"']


def test_jobsub_lite_backslashes_in_lines_are_read_its_way_with_a_warning():
    p, sink = parse(["--lines", '+Image=\\"/cvmfs/x:latest\\"', "file://j"])
    assert p.values["lines"] == ['+Image="/cvmfs/x:latest"']
    [warning] = sink.warnings
    assert "removing one level of backslashes as jobsub_lite did" in warning.message
