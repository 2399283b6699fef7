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
    spool = spooled(iter(pieces))
    assert spool._rolled is (limit == 5)  # in memory, or in a temporary file
    f = OutFile("x.dag", spool=spool)
    assert f.body() == f.body() == "".join(pieces)
    write_folder(str(tmp_path / "out"), [f])
    assert (tmp_path / "out" / "x.dag").read_text(encoding="utf-8") == "".join(pieces)


def test_a_temporary_folder_without_room_is_a_refusal_with_a_hint(monkeypatch, tmp_path):
    monkeypatch.setattr(output, "SPOOL_IN_MEMORY", 5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "absent"))
    with pytest.raises(JobsubError) as err:
        spooled(iter(["x" * 10, "y"]))
    assert "absent" in str(err.value) and "TMPDIR" in err.value.diagnostics[0].hint
