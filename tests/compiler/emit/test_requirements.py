"""Requirements clauses, evaluated by HTCondor's own ClassAd library against slot ads."""

from __future__ import annotations

import htcondor2
import pytest

from jobsub.cli.main import jobsub_submit_main
from jobsub.compiler.emit.submit import BLOCKLIST_CLAUSE
from tests.helpers import make_executable


@pytest.fixture
def blocked(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    assert jobsub_submit_main(["-n", "-q", "-o", "out", "--blocklist", "Bad_Site,Other",
                               "file://a.sh"]) == 0
    return htcondor2.Submit((tmp_path / "out" / "simple.sub").read_text())


def test_blocklist_is_written_as_jobsub_lite_writes_it(blocked):
    assert blocked["MY.Blacklist_Sites"] == '"Bad_Site,Other"'
    assert BLOCKLIST_CLAUSE == ("((isUndefined(target.GLIDEIN_Site) == FALSE) && "
                                "(!stringListIMember(target.GLIDEIN_Site,my.Blacklist_Sites)))")
    assert BLOCKLIST_CLAUSE in blocked["requirements"]


@pytest.mark.parametrize("slot, matches", [
    ({"GLIDEIN_Site": "Good_Site"}, True),
    ({"GLIDEIN_Site": "bad_site"}, False),  # sites compare without case
    ({}, False),  # a slot that does not say its site could be at a blocked one
])
def test_blocklist_matches_only_slots_at_other_sites(blocked, slot, matches):
    job = htcondor2.classad.ClassAd({"Blacklist_Sites": "Bad_Site,Other"})
    job["Requirements"] = htcondor2.classad.ExprTree(BLOCKLIST_CLAUSE)
    # matches(): the argument's Requirements, evaluated against this ad as its target
    assert htcondor2.classad.ClassAd(slot).matches(job) is matches
