"""Job ids as users write them."""

from __future__ import annotations

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.runtime.jobids import JobId, any_of, by_schedd, parse_ids


def test_forms_and_lists():
    assert parse_ids(["1234", "1234.5", "1234.0@sched.example", "7@s2", "8.1,9 ,8.1"]) == [
        JobId(1234), JobId(1234, 5), JobId(1234, 0, "sched.example"), JobId(7, None, "s2"),
        JobId(8, 1), JobId(9)]


@pytest.mark.parametrize("bad", ["x", "12.a", "1.2.3", "-1", "12@"])
def test_bad_ids(bad):
    with pytest.raises(JobsubError, match="is not a job id"):
        parse_ids([bad])


def test_constraints_and_grouping():
    ids = parse_ids(["1", "2.3@b"])
    assert any_of(ids) == "ClusterId == 1 || (ClusterId == 2 && ProcId == 3)"
    assert by_schedd(ids, "a") == {"a": [JobId(1)], "b": [JobId(2, 3, "b")]}
    assert str(ids[1]) == "2.3@b" and ids[1].local() == "2.3"
