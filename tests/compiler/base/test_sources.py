"""The lines under a diagnostic's caret: only those the diagnostics name, counted by
newline as the front ends count them, and no file read without a diagnostic in it."""

from __future__ import annotations

import builtins

from jobsub.compiler.base.diagnostics import Diagnostic, Span, format_text
from jobsub.compiler.base.sources import source_lines


def _at(path, line, column=1):
    return Diagnostic("warning", "look", Span(str(path), line, column, line, column + 3))


def test_only_the_lines_a_diagnostic_names_are_kept(tmp_path):
    path = tmp_path / "wf.dagnabbit"
    path.write_bytes(b"one\r\ntwo\x0bstill two\rstill two\nthree\nfour\n")
    got = source_lines([str(path)], [_at(path, 2), _at(path, 3)])
    assert got == {str(path): {2: "two\x0bstill two\rstill two\n", 3: "three\n"}}
    assert format_text(_at(path, 3, 2), got).splitlines()[1:] == ["    three", "     ^~~"]


def test_a_file_is_not_read_without_a_diagnostic_in_it(tmp_path, monkeypatch):
    path, other = tmp_path / "big.dagnabbit", tmp_path / "other.yaml"
    path.write_text("x\n" * 10)

    def refuse(*args, **kwargs):
        raise AssertionError(f"opened {args[0]}")
    monkeypatch.setattr(builtins, "open", refuse)
    assert source_lines([str(path)], []) == {}
    assert source_lines([str(path)], [_at(other, 1)]) == {}


def test_a_text_in_memory_is_read_as_a_file_is(tmp_path):
    text = "a\nb\nc"
    assert source_lines(["<text>"], [_at("<text>", 3), _at("<text>", 9)],
                        {"<text>": text}) == {"<text>": {3: "c"}}


def test_a_manifests_lines_count_as_yaml_breaks_them(tmp_path):
    """ruamel locates a manifest's messages: its lines end at \\r, \\r\\n, NEL, LS and PS
    too, and a caret must be under the line it names."""
    path = tmp_path / "m.yaml"
    path.write_bytes("a: 1\r\nb: 2\rc: 3\u2028d: 4\ne: 5\n".encode())
    got = source_lines([str(path)], [_at(path, 3), _at(path, 5)])
    assert got == {str(path): {3: "c: 3", 5: "e: 5"}}


def test_the_unwritable_text_is_named_with_its_line():
    from jobsub.compiler.emit.output import unwritable

    assert unwritable("x.sub", "plain\n") is None and unwritable("x.sub", "\u00e9\n") is None
    refused = unwritable("x.sub", "a\nb \udcdc c\nd\n")
    assert "x.sub" in str(refused) and "'b \\udcdc c'" in str(refused)
