"""Big output texts are spooled: kept in memory while small, in a temporary file beyond
that, and written or read back whole either way."""

from __future__ import annotations

import tempfile

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.emit import output
from jobsub.compiler.emit.output import OutFile, spooled, write_folder


@pytest.mark.parametrize("limit", [10**9, 5])
def test_a_spooled_text_is_written_and_read_back_whole(tmp_path, monkeypatch, limit):
    monkeypatch.setattr(output, "SPOOL_IN_MEMORY", limit)
    pieces = ["JOB a a.sub\n", "VARS a X=\"é\"\n", "", "PARENT a CHILD b\n"]
    spool = spooled(iter(pieces), "x.dag")
    assert spool._rolled is (limit == 5)  # in memory, or in a temporary file
    f = OutFile("x.dag", spool=spool)
    assert f.body() == f.body() == "".join(pieces)
    write_folder(str(tmp_path / "out"), [f])
    assert (tmp_path / "out" / "x.dag").read_text(encoding="utf-8") == "".join(pieces)


def test_a_temporary_folder_without_room_is_a_refusal_with_a_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(output, "SPOOL_IN_MEMORY", 5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    with pytest.raises(JobsubError) as err:
        spooled(iter(["x" * 10, "y"]), "x.dag")
    assert "absent" in str(err.value) and "TMPDIR" in err.value.diagnostics[0].hint


@pytest.mark.parametrize("where", ["argument", "environment"])
def test_bytes_that_were_not_utf8_are_refused_with_their_line(tmp_path, where):
    """A lone surrogate (what Python makes of an environment variable's bytes that are not
    UTF-8) cannot be written: the compile is refused, naming the file and the line (or,
    for an environment value, by the option table); never a traceback."""
    from tests.helpers import compile_text, make_executable

    make_executable(tmp_path / "a.sh")
    line = ("jobsub_submit -e V file://a.sh $V" if where == "argument" else
            "jobsub_submit -e V file://a.sh")
    _, files, sink = compile_text(tmp_path, f"<serial>\n{line}\n{line}\n</serial>\n",
                                  env={"V": "x\udcdc"})
    assert not files
    if where == "environment":  # the option table refuses it first, at the job
        assert any("not UTF-8" in d.message for d in sink.errors), sink.errors
        return
    [error] = [d for d in sink.errors if "not a character" in d.message]
    assert "wf.dag" in error.message and "JOBSUB_ARGS" in error.message
    assert "\\udcdc" in error.message and "UTF-8" in error.hint
