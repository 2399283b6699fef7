"""Values reach the job exactly: encode with jobsub, read back with HTCondor's own submit
parser (macro expansion) and decoders written from HTCondor's C++ rules."""

from __future__ import annotations

import htcondor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobsub.compiler.base import quoting
from jobsub.compiler.base.quoting import Unrepresentable
from tests.condor_syntax import (
    decode_arguments,
    decode_classad_string,
    decode_environment,
    decode_vars_line,
)

HOSTILE = [
    "", " ", "plain", "two words", "tab\there", "it's", "say \"hi\"", "both ' and \"",
    "back\\slash", "trailing\\", "\\\"", "$HOME", "$ENV(HOME)", "$INT(x)", "$RANDOM_CHOICE(a,b)",
    "$Fn(x)", "$$", "a;b", "a,b", "k=v=w", "#hash", "héllo wörld ✓", "''", '""', "x" * 5000,
    "--opt=value with space", "$", "$(", "(paren)", "a\u00a0b", "\x7f",
]

#: Text without line breaks and without HTCondor macros ($( and $$( are macros by design).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\0"),
               max_size=40).filter(lambda s: "$(" not in s)


def submit_expand(lines: str, key: str, macros: dict[str, str] | None = None) -> str:
    sub = htcondor2.Submit(lines + "\nqueue\n")
    for k, v in (macros or {}).items():
        sub[k] = v
    return sub.expand(key)


def roundtrip_inline(argv: list[str]) -> list[str]:
    return decode_arguments(submit_expand(f"arguments = {quoting.arguments(argv)}",
                                          "arguments"))


def roundtrip_vars(argv: list[str]) -> list[str]:
    """argv -> DAG VARS line -> DAGMan's value -> submit macro -> arguments -> argv."""
    raw = quoting.v2_quote_inner(quoting.v2_raw(argv))
    line = f"VARS n JOBSUB_ARGS={quoting.dag_vars_value(raw)}" if raw else "VARS n X=\"1\""
    _, values = decode_vars_line(line)
    return decode_arguments(submit_expand('arguments = "$(JOBSUB_ARGS)"', "arguments",
                                          {"JOBSUB_ARGS": values.get("JOBSUB_ARGS", "")}))


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_argument_inline_and_through_vars(value):
    argv = [value, "next"]
    assert roundtrip_inline(argv) == argv
    assert roundtrip_vars(argv) == argv


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_environment_value(value):
    pairs = [("A", value), ("B", "after")]
    got = decode_environment(submit_expand(f"environment = {quoting.environment(pairs)}",
                                           "environment"))
    assert got == pairs


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_classad_string(value):
    expr = quoting.classad_string(value)
    expanded = submit_expand(f"+Attr = {expr}", "MY.Attr")
    assert decode_classad_string(expanded) == value


@settings(max_examples=300, deadline=None)
@given(st.lists(text, max_size=6))
def test_arguments_roundtrip_property(argv):
    assert roundtrip_inline(argv) == argv
    assert roundtrip_vars(argv) == argv


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), text),
                max_size=5))
def test_environment_roundtrip_property(pairs):
    encoded = quoting.environment(pairs)
    assert decode_environment(submit_expand(f"environment = {encoded}", "environment")) == pairs


def test_defined_macros_pass_through():
    words = ["$(Process)", "a $(X) b", "$(cluster)", "$(Missing:dflt)", "$$(Name)"]
    assert submit_expand(f"arguments = {quoting.arguments(words, frozenset({'x'}))}",
                         "arguments", {"X": "x"}) == "\"0 'a x b' 1 dflt $$(Name)\""


def test_undefined_macros_are_literal():
    """HTCondor expands an undefined $(NAME) to nothing: the user's text would vanish."""
    words = ["$(date)", "a$(X)b", "$(echo hi)", "$(DOLLAR)"]
    assert submit_expand(f"arguments = {quoting.arguments(words)}", "arguments", {"X": "x"}) \
        == "\"$(date) a$(X)b '$(echo hi)' $\""


@pytest.mark.parametrize("bad", ["line\nbreak", "carriage\rreturn", "nul\0char"])
def test_line_breaks_are_refused(bad):
    for encode in (lambda v: quoting.arguments([v]),
                   lambda v: quoting.environment([("A", v)]),
                   quoting.classad_string, quoting.dag_vars_value, quoting.file_list_item):
        with pytest.raises(Unrepresentable, match=r"line break|NUL"):
            encode(bad)


def test_nul_message():
    with pytest.raises(Unrepresentable, match="NUL"):
        quoting.arguments(["a\0b"])


def test_vars_value_escapes_only_backslash_and_quote():
    assert quoting.dag_vars_value('a\\b"c\'$#') == '"a\\\\b\\"c\'$#"'
    with pytest.raises(Unrepresentable):
        quoting.dag_vars_value("")


def test_file_list_items():
    assert quoting.file_list_item("files/a b.sh") == "files/a b.sh"
    for bad in ("a,b", " lead", "trail "):
        with pytest.raises(Unrepresentable):
            quoting.file_list_item(bad)


_MACRO_TEXT = st.text(alphabet=st.sampled_from(list("ab$():x")), max_size=8)


@settings(max_examples=500, deadline=None)
@given(_MACRO_TEXT, st.dictionaries(st.sampled_from(["a", "b", "A", "ab"]), _MACRO_TEXT,
                                    max_size=3))
def test_a_lone_macro_argument_is_filled_in_as_inside_a_word(word, variables):
    """put_in_macros fills a word that is `$(NAME)` alone without its expander; the result
    must be what the expander gives for the same macro inside a longer word."""
    def filled(w):
        try:
            return quoting.put_in_macros([w], variables)[0]
        except Unrepresentable:
            return None
    inside = filled("x" + word)
    assert filled(word) == (inside[1:] if inside is not None else None)
