"""What fetchlog does with a job's outputs tar: -d folders and the -L log put where the job's
ad says, and nothing else: no path outside them, no link, no device."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from jobsub.runtime.fetchlog import unpack_outputs


def tar_of(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w") as tar:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tar.addfile(m)
            elif m[0].endswith("/"):
                info = tarfile.TarInfo(m[0].rstrip("/"))
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                info.mode = 0o755 if m[0].endswith(".sh") else 0o644
                tar.addfile(info, io.BytesIO(m[1]))
    return path


def test_outputs_go_where_the_ad_says(tmp_path):
    tar = tar_of(tmp_path / "j.3.0.outputs.tar", [
        ("jobsub_out_OUT/", b""), ("jobsub_out_OUT/a.txt", b"A"),
        ("jobsub_out_OUT/sub/b.sh", b"B"), ("jobsub_out_HIST/h.root", b"H"),
        ("jobsub_joblog", b"log\n")])
    record = {"dirs": {"OUT": str(tmp_path / "out"), "HIST": str(tmp_path / "h")},
              "log": str(tmp_path / "logs" / "job.log")}
    placed, problems = unpack_outputs(tar, record)
    assert problems == []
    assert placed == [str(tmp_path / "out"), str(tmp_path / "h"),
                      str(tmp_path / "logs" / "job.log")]
    assert (tmp_path / "out" / "a.txt").read_text() == "A"
    assert (tmp_path / "out" / "sub" / "b.sh").stat().st_mode & 0o100
    assert (tmp_path / "h" / "h.root").read_text() == "H"
    assert (tmp_path / "logs" / "job.log").read_text() == "log\n"


def test_a_second_unpack_replaces_files(tmp_path):
    record = {"dirs": {"OUT": str(tmp_path / "out")}, "log": None}
    unpack_outputs(tar_of(tmp_path / "1.tar", [("jobsub_out_OUT/a", b"old")]), record)
    unpack_outputs(tar_of(tmp_path / "2.tar", [("jobsub_out_OUT/a", b"new")]), record)
    assert (tmp_path / "out" / "a").read_text() == "new"


def test_nothing_escapes(tmp_path):
    link = tarfile.TarInfo("jobsub_out_OUT/link")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    fifo = tarfile.TarInfo("jobsub_out_OUT/fifo")
    fifo.type = tarfile.FIFOTYPE
    tar = tar_of(tmp_path / "bad.tar", [
        ("jobsub_out_OUT/../../escaped", b"x"), ("/abs", b"x"), ("jobsub_out_OTHER/x", b"x"),
        ("elsewhere", b"x"), ("jobsub_joblog", b"no -L asked"), link, fifo,
        ("jobsub_out_OUT", b"a file where the folder goes")])
    out = tmp_path / "dest" / "out"
    placed, problems = unpack_outputs(tar, {"dirs": {"OUT": str(out)}, "log": None})
    assert placed == []
    assert len(problems) == 8 and all("left out" in p for p in problems)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "dest").exists()


def test_an_unreadable_tar_is_a_problem_not_a_crash(tmp_path):
    bad = tmp_path / "x.1.0.outputs.tar"
    bad.write_bytes(b"not a tar")
    placed, problems = unpack_outputs(bad, {"dirs": {"OUT": str(tmp_path)}})
    assert placed == [] and "not a readable tar file" in problems[0]
