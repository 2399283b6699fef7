"""Shell-like splitting of dagnabbit lines: quoting, escapes, expansion, positions."""

from __future__ import annotations

import pytest

from jobsub.compiler.base.diagnostics import JobsubError, Span
from jobsub.compiler.options.shellwords import split_words

SPAN = Span("f", 3, 1)


def words(line, env=None, undefined=None):
    return [w.text for w in split_words(line, env or {}, SPAN, undefined)]


@pytest.mark.parametrize("line, expected", [
    ("a b\tc", ["a", "b", "c"]),
    ("  lead  trail  ", ["lead", "trail"]),
    ("'a b' \"c d\"", ["a b", "c d"]),
    ("a'b c'd", ["ab cd"]),
    ("'it'\\''s'", ["it's"]),
    (r'"say \"hi\" \$x \\ \n"', ['say "hi" $x \\ \\n']),
    (r"a\ b \' \"", ["a b", "'", '"']),
    ("'' \"\"", ["", ""]),
    ("--lines='+A=\\\"x\\\"'", ['--lines=+A=\\"x\\"']),  # dagTestH: backslashes kept in '...'
    ("# not a comment", ["#", "not", "a", "comment"]),
])
def test_quoting(line, expected):
    assert words(line) == expected


def test_expansion_and_field_splitting():
    env = {"FLAGS": "-G  fermilab --memory 2GB", "X": "a b", "E": ""}
    assert words("$FLAGS file://x", env) == ["-G", "fermilab", "--memory", "2GB", "file://x"]
    assert words('"$X" ${X}y', env) == ["a b", "a", "by"]
    assert words("$E '' \"$E\"", env) == ["", ""]
    assert words("pre$X", env) == ["prea", "b"]
    assert words("'$X'", env) == ["$X"]
    assert words(r"\$X", env) == ["$X"]


def test_macros_pass_through():
    env = {"JOB": "no", "RETURN": "no", "Cluster": "no"}
    assert words("$JOB $RETURN $(Cluster) \"$(Process)\" $$(GLIDEIN_Site) $(a(b)c)", env) == [
        "$JOB", "$RETURN", "$(Cluster)", "$(Process)", "$$(GLIDEIN_Site)", "$(a(b)c)"]


def test_undefined_variable_is_kept_and_reported():
    seen = []
    assert words("x$NOPE ${NOPE2}", {}, lambda *a: seen.append(a)) == ["x$NOPE", "${NOPE2}"]
    assert seen == [("NOPE", 1, 5), ("NOPE2", 7, 8)]


def test_positions():
    got = [(w.text, w.start, w.end) for w in split_words("ab 'c d'  e", {}, SPAN)]
    assert got == [("ab", 0, 2), ("c d", 3, 8), ("e", 10, 11)]


@pytest.mark.parametrize("line, column, message", [
    ("a 'open", 3, "unterminated single quote"),
    ('a "open', 3, "unterminated double quote"),
    ("a b\\", 4, "a line may not end with a backslash"),
    ("${X:-d}", 1, "unsupported shell expansion"),
    ("$(open", 1, "unterminated HTCondor macro"),
])
def test_errors_are_located(line, column, message):
    with pytest.raises(JobsubError) as info:
        split_words(line, {}, SPAN)
    d = info.value.diagnostics[0]
    assert (d.span.line, d.span.column, d.message) == (3, column, message)
