"""This machine's record of a submission: the files jobsub wrote (not the user's data),
served back by fetchlog; old records, journals and scratch folders go."""

from __future__ import annotations

import os
import time

from jobsub.cli.compiling import prune_scratch
from jobsub.compiler.base.conventions import MARKER
from jobsub.runtime import records


def folder_with(tmp_path, files: dict[str, str]):
    folder = tmp_path / "compiled"
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (folder / MARKER).write_text("".join(f"{rel}\n" for rel in files))
    return folder


def test_the_record_keeps_jobsubs_own_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = folder_with(tmp_path, {"w.dag": "JOB a a.sub\n", "a.sub": "queue\n",
                                    "a.sh": "#!/bin/sh\n", "w.config": "X = 1\n",
                                    "files/user.sh": "mine", "dropbox/0a/data.bin": "big",
                                    "inner.dag": "JOB b inner.b.sub\n"})
    records.save("schedd2@host", 12, folder, {"workflow": "/w/w.yaml"})
    got = records.submitted_files("schedd2@host", 12)
    assert sorted(got) == ["a.sh", "a.sub", "inner.dag", "w.config", "w.dag"]
    assert got["w.dag"] == b"JOB a a.sub\n"
    assert records.submitted_files("schedd2@host", 13) == {}
    assert records.fetched_archive("schedd2@host", 12) is None


def test_old_records_and_journals_are_pruned(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    folder = folder_with(tmp_path, {"a.sub": "queue\n"})
    old = records.save("s", 1, folder, {})
    new = records.save("s", 2, folder, {})
    journal = records.state_base() / "submitting" / "abc"
    journal.parent.mkdir(parents=True)
    journal.write_text("{}")
    month_ago = time.time() - 31 * 86400
    for path in (old, journal):
        os.utime(path, (month_ago, month_ago))
    records.prune()
    assert not old.exists() and not journal.exists() and new.exists()


def test_failed_scratch_folders_go_after_a_week(tmp_path):
    week_ago = time.time() - 8 * 86400
    for name, ours in (("js_old", True), ("js_new", True), ("js_mine", False)):
        folder = tmp_path / name
        folder.mkdir()
        if ours:
            (folder / MARKER).write_text("")
        if name != "js_new":
            os.utime(folder, (week_ago, week_ago))
    prune_scratch(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["js_mine", "js_new"]
