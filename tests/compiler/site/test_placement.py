"""Sites, usage models and containers: jobsub_lite's own test vectors, every one."""

from __future__ import annotations

import json

import pytest

from jobsub.compiler.site.config import load_site
from jobsub.compiler.site.placement import blocked_sites, container, place
from tests.helpers import CORPUS

VECTORS = CORPUS / "vectors"
FERMILAB = load_site("fermilab", {}).policy


def _load(name):
    return json.loads((VECTORS / name).read_text())


@pytest.mark.parametrize("case", _load("site_and_usagemodel.json"), ids=lambda c: c["helptext"])
def test_site_and_usage_model(case):
    from dataclasses import replace

    o = {}
    policy = FERMILAB
    if case["sites"]:
        o["site"] = case["sites"].split(",")
    elif case["usage_model"] == "OFFSITE":
        o["offsite"] = True
    elif case["usage_model"] and case["usage_model"] != FERMILAB.usage_models.default:
        o["onsite"] = True  # the vector gives --onsite's value: use it
        policy = replace(FERMILAB, usage_models=replace(FERMILAB.usage_models,
                                                        onsite=case["usage_model"]))
    rp = []
    for item in case["resource_provides_quoted"]:
        key, _, value = item.partition("=")
        rp.append([key, value.strip('"')])
    if rp:
        o["resource_provides"] = rp
    got = place(o, policy)
    want = case["expected_result"]
    assert ",".join(got.sites) == want["site_and_usage_model"]["sites"]
    assert (got.usage_models or "") == want["site_and_usage_model"]["usage_models"]
    assert [f'{k}="{v}"' for k, v in got.provides] == want["resource_provides_remainder"]


@pytest.mark.parametrize("case", _load("singularity_image.json"), ids=lambda c: c["helptext"])
def test_singularity_image(case):
    o = {"lines": case["lines_arg"]}
    if case["singularity_image_arg"] != FERMILAB.default_image:
        o["singularity_image"] = case["singularity_image_arg"]
    got = container(o, FERMILAB)
    assert got.image == case["expected_singularity_image"]
    assert got.lines == case["expected_lines"]
    ignored = "ignored" in case["helptext"]
    assert bool(got.warnings) == ignored


@pytest.mark.parametrize("case", _load("site_blocklist_good.json"), ids=lambda c: c["helptext"])
def test_site_blocklist_good(case):
    o = {"site": case["site_arg"].split(",") if case["site_arg"] else None,
         "blocklist": case["blocklist_arg"].split(",") if case["blocklist_arg"] else None}
    assert blocked_sites(o) == []


@pytest.mark.parametrize("case", _load("site_blocklist_bad.json"), ids=lambda c: c["helptext"])
def test_site_blocklist_bad(case):
    o = {"site": case["site_arg"].split(","), "blocklist": case["blocklist_arg"].split(",")}
    assert blocked_sites(o)


def test_no_singularity_drops_lines_with_a_warning():
    got = container({"no_singularity": True, "lines": ['+SingularityImage="/x"', "+A = 1"]},
                    FERMILAB)
    assert (got.image, got.lines) == (None, ["+A = 1"])
    assert got.warnings


def test_local_policy_asks_for_nothing():
    local = load_site("local", {}).policy
    assert place({}, local).usage_models is None and place({}, local).sites == []
    assert place({"site": ["X"]}, local).usage_models is None
    assert container({}, local).image is None


@pytest.mark.parametrize("flag", ["onsite", "offsite"])
def test_onsite_or_offsite_on_a_site_without_usage_models_is_a_warning(flag):
    """A personal pool's slots advertise no HAS_usage_model: the job would never run, and
    nothing said so."""
    from jobsub.compiler.site.policy import LOCAL

    [warning] = place({flag: True}, LOCAL).warnings
    assert f"--{flag} asks for usage model" in warning and "defines no usage models" in warning
    assert place({flag: True}, FERMILAB).warnings == []
