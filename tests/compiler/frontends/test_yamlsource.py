"""How manifests are read: the fast pass must run on ruamel's C parser."""

from __future__ import annotations

import platform

import pytest


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
