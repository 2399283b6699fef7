"""Asking several schedds at once: forked children, answers in order, failures as values."""

from __future__ import annotations

import os
import time

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.runtime.fanout import each


def test_results_come_back_in_order_from_other_processes():
    parent = os.getpid()
    got = each([3, 1, 2], lambda n: (n * 10, os.getpid() != parent))
    assert got == [(30, True), (10, True), (20, True)]


def test_one_item_runs_here():
    parent = os.getpid()
    assert each([5], lambda n: (n, os.getpid() == parent)) == [(5, True)]


def test_they_run_at_the_same_time(tmp_path):
    """Each child waits until every child has started: one after another, none would see
    the others (a hung schedd must hold up only its own answer)."""
    def meet(n: int) -> bool:
        (tmp_path / str(n)).touch()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(list(tmp_path.iterdir())) == 3:
                return True
            time.sleep(0.01)
        return False

    assert each([0, 1, 2], meet) == [True, True, True]


def test_failures_are_values_and_bugs_are_one_line():
    def ask(n):
        if n == 1:
            raise JobsubError("schedd b: refused")
        if n == 2:
            raise KeyError("oops")
        return n

    got = each([0, 1, 2], ask)
    assert got[0] == 0
    assert isinstance(got[1], JobsubError) and str(got[1]) == "schedd b: refused"
    assert isinstance(got[2], JobsubError) and "internal error: KeyError" in str(got[2])
