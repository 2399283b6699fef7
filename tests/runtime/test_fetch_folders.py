"""A big DAG's node outputs live in out/NNN/: fetchlog asks the schedd for that folder in a
second retrieval and always leaves TransferOutput undefined again (a job left with it set
would send only the folder the next time); an unspooled DAG's folders are copied."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.runtime import fetchlog
from jobsub.runtime.dagman import OUTPUT_FOLDER_ATTR
from jobsub.runtime.jobids import JobId


class FakeSchedd:
    """The calls a retrieval makes, in order; `fail` names calls that raise (an edit by
    its arguments and the how-manieth time it is made)."""

    name = "schedd.example"

    def __init__(self, fail=()):
        self.calls: list[tuple] = []
        self.fail = set(fail)
        self.schedd = self

    def call(self, what, fn, *args):
        return fn(*args)

    def edit(self, constraint, attr, value):
        self.calls.append(("edit", attr, value))
        if ("edit", attr, value, self.calls.count(("edit", attr, value))) in self.fail:
            raise JobsubError(f"edit {attr} failed")

    def retrieve(self, constraint):
        n = sum(1 for c in self.calls if c[0] == "retrieve") + 1
        self.calls.append(("retrieve", n))
        if ("retrieve", n) in self.fail:
            raise JobsubError("the schedd went away")


AD = {"ClusterId": 7, "ProcId": 0, OUTPUT_FOLDER_ATTR: "out"}
JOB = JobId(7, None, "schedd.example")


def test_the_folder_is_asked_for_after_the_top_and_the_setting_undone(tmp_path):
    schedd = FakeSchedd()
    fetchlog._retrieve(schedd, JOB, [AD], tmp_path)
    assert schedd.calls == [("edit", "TransferOutput", "undefined"),
                            ("edit", "SUBMIT_Iwd", f'"{tmp_path}"'), ("retrieve", 1),
                            ("edit", "TransferOutput", '"out"'), ("retrieve", 2),
                            ("edit", "TransferOutput", "undefined")]
    plain = FakeSchedd()
    fetchlog._retrieve(plain, JOB, [{"ClusterId": 7, "ProcId": 0}], tmp_path)
    assert [c for c in plain.calls if c[0] == "retrieve"] == [("retrieve", 1)]


def test_a_failed_folder_retrieval_is_told_and_the_setting_still_undone(tmp_path):
    schedd = FakeSchedd(fail={("retrieve", 2), ("edit", "TransferOutput", "undefined", 2)})
    with pytest.raises(JobsubError, match="the schedd went away"):  # not the reset's error
        fetchlog._retrieve(schedd, JOB, [AD], tmp_path)
    assert schedd.calls[-1] == ("edit", "TransferOutput", "undefined")
    peeked = FakeSchedd(fail={("retrieve", 2)})
    fetchlog._retrieve(peeked, JOB, [AD], tmp_path, whole=False)  # a peek keeps the top
    assert peeked.calls[-1] == ("edit", "TransferOutput", "undefined")


def test_an_unspooled_dags_output_folders_are_copied(tmp_path):
    iwd = tmp_path / "compiled"
    (iwd / "out" / "001").mkdir(parents=True)
    (iwd / "out" / "001" / ".keep").write_text("")
    (iwd / "out" / "001" / "a.7.0.err").write_text("boom\n")
    (iwd / "wf.dag.dagman.out").write_text("log\n")
    staging = tmp_path / "staging"
    staging.mkdir()
    first = {"ClusterId": 7, "ProcId": 0, "Iwd": str(iwd), "JobUniverse": 7}
    fetchlog._copy_unspooled(first, [first], staging)
    got = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
    assert got == ["out/001/a.7.0.err", "wf.dag.dagman.out"]
    assert Path(staging / "out/001/a.7.0.err").read_text() == "boom\n"
