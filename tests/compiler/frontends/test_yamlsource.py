"""How manifests are read: the fast pass must run on ruamel's C parser."""

from __future__ import annotations

import platform

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="the C parser exists for CPython only")
def test_the_fast_pass_reads_with_the_c_parser():
    """ruamel.yaml 0.19 stopped installing its C extension (ruamel.yaml.clib); without it
    the fast pass fell back to the pure-Python scanner and compiling a 100,000-job
    manifest took 95 s instead of 13 s. pyproject.toml asks for it; this says if it is
    missing."""
    from ruamel.yaml.main import CParser

    from jobsub.compiler.frontends.yamlsource import _yaml

    assert CParser is not None, "ruamel.yaml.clib is not installed"
    assert _yaml("safe").Parser is CParser


@pytest.mark.parametrize(("text", "keys", "expected"), [
    ("jobs:\n  a: {executable: x}\n  b:\n    executable: y\n    # a comment\n\n  'c': {}\n",
     "abc", {"a": (2, 3), "b": (3, 3), "c": (7, 3)}),
    ("name: n\njobs:   # the jobs\n    a: 1\n    b: 2\ndag: {}\n", "ab",
     {"a": (3, 5), "b": (4, 5)}),
    ("jobs:\n  a: 1\r\n  b: 2\r\n", "ab", {"a": (2, 3), "b": (3, 3)}),
    ("jobs:\n  a:\r\n    x: 1\n  b: 2\n", "ab", {}),  # `a:` then a carriage return: no key
    ("jobs:\n  a: 1\n  a: 2\n", "a", {}),  # twice
    ("jobs:\n  a: 1\n  c: 2\n", "ab", {}),  # not the keys asked for
    ("jobs:\n  a: 1\n  - b\n", "a", {}),  # a line at the keys' indentation that holds none
    ("jobs:\n  a: 1\n  ", "a", {"a": (2, 3)}),  # a last line of blanks holds no key
    ("jobs: {a: 1, b: 2}\n", "ab", {}),  # flow style
    ("other:\n  a: 1\n", "a", {}),
])
def test_block_key_lines_finds_each_key_or_nothing(text, keys, expected):
    from jobsub.compiler.frontends.yamlsource import block_key_lines

    assert block_key_lines(text, "jobs", list(keys)) == expected


_KEY_LINES = st.lists(st.sampled_from(
    ["  a: 1", "  b: {x: y}", "  'c': 2", "  d:", "    e: 3", "  a: 4", "", "# c", "  # c",
     "  f:b", "  g: 1\r", "  - h", "top: 1", "   i: 5", "  j:\r"]), min_size=1, max_size=6)


def _named(lines: list[str]) -> set[str]:
    """The keys the lines seem to name (the keys asked for, mostly)."""
    return {line.strip(" '")[0] for line in lines if line.strip(" '")[:1].isalpha()}


@settings(max_examples=500, deadline=None)
@given(_KEY_LINES, st.sets(st.sampled_from("abcdefghij")), st.booleans(), st.booleans())
def test_a_block_of_key_lines_is_read_as_any_block_is(lines, other, named, last_newline):
    """The one-pass reading of a block whose every line is a key (a generated manifest's)
    finds what the line-by-line one finds, or leaves it to it."""
    from jobsub.compiler.frontends.yamlsource import _every_line_a_key, _key_lines

    keys = _named(lines) if named else other
    text = "jobs:\n" + "\n".join(lines) + ("\n" if last_newline else "")
    fast = _every_line_a_key(text, 6, 2, keys)
    assert fast is None or fast == _key_lines(text, 6, 2, keys), text


def test_the_one_pass_reading_of_key_lines_is_taken():
    """Else the test above could not fail."""
    from jobsub.compiler.frontends.yamlsource import _every_line_a_key

    find(_KEY_LINES, lambda lines: len(lines) > 2 and bool(_every_line_a_key(
        "jobs:\n" + "\n".join(lines) + "\n", 6, 2, _named(lines))),
         settings=settings(max_examples=3000))
