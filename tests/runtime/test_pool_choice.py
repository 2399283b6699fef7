"""Choosing the site's schedd for a submission: by load as jobsub_lite weighs it, never one
in downtime, the site's constraint filled with the group (the pool tests do it for real)."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.runtime.pool import Pool, PoolSettings, in_downtime, weight


class FakeCollector:
    def __init__(self, ads):
        self.ads = ads
        self.asked: list[str] = []

    def query(self, _type, constraint, _projection):
        self.asked.append(constraint)
        if constraint.startswith("Name == "):
            name = constraint.split('"')[1]
            return [a for a in self.ads if a["Name"] == name]
        return list(self.ads)


def pool_of(ads, constraint=None, group=None, schedd=None) -> Pool:
    pool = Pool.__new__(Pool)
    pool.htcondor = type("H", (), {"AdType": type("A", (), {"Schedd": 1}),
                                   "Schedd": lambda self, ad: ad})()
    pool.settings = PoolSettings(None, schedd, constraint)
    pool.group = group
    pool.where = "the test collector"
    pool.collector = FakeCollector(ads)
    pool._all = pool._site = None
    pool._handles = {}
    return pool


ADS = [{"Name": "a", "RecentDaemonCoreDutyCycle": 0.5},
       {"Name": "b", "RecentDaemonCoreDutyCycle": 0.05},
       {"Name": "c", "RecentDaemonCoreDutyCycle": 0.001, "InDownTime": True}]


def test_weights_are_jobsub_lites():
    assert [weight(ad) for ad in ADS] == [20.0, 200.0, 1000.0]
    assert weight({}) == 1000.0 and weight({"RecentDaemonCoreDutyCycle": "x"}) == 1000.0
    assert [in_downtime(ad) for ad in ADS] == [False, False, True]


def test_choice_follows_load_and_skips_downtime():
    pool = pool_of(ADS)
    rng = random.Random(7)
    picks = Counter(pool.choose(rng).name for _ in range(2000))
    assert set(picks) == {"a", "b"}  # never c, the idlest, which is in downtime
    assert 0.85 < picks["b"] / 2000 < 0.95  # 200 : 20


def test_all_in_downtime_or_none_listed():
    with pytest.raises(JobsubError, match="every schedd of the site is in downtime: c"):
        pool_of([ADS[2]]).choose()
    with pytest.raises(JobsubError, match="lists no schedd of this site"):
        pool_of([]).choose()


def test_the_named_schedd_wins_even_in_downtime():
    assert pool_of(ADS, schedd="c").choose().name == "c"
    with pytest.raises(JobsubError) as info:
        pool_of(ADS, schedd="zz").choose()
    assert "no schedd named 'zz'" in info.value.diagnostics[0].message
    assert info.value.diagnostics[0].hint == "the site's schedds: a, b, c"


def test_the_site_constraint_carries_the_group_quoted():
    template = 'IsJobsubLite =?= true && stringListIMember("{group}", SupportedVOList)'
    pool = pool_of(ADS, template, group='dune"x')
    pool.site_ads()
    assert pool.collector.asked == [
        'IsJobsubLite =?= true && stringListIMember("dune\\"x", SupportedVOList)']
    with pytest.raises(JobsubError, match="depend on your group"):
        pool_of(ADS, template).site_ads()


def test_the_collector_global_pool_chose_beats_the_environments():
    from jobsub.compiler.site.config import Site, with_pool
    from jobsub.runtime.pool import PoolSettings

    site = Site(collector="cm.site.example",
                pools={"other": {"collector": "cm.other.example"}})
    env = {"JOBSUB_COLLECTOR": "cm.env.example"}
    assert PoolSettings.resolve(env=env, site=site).collector == "cm.env.example"
    chosen = with_pool(site, "other", env)
    assert PoolSettings.resolve(env=env, site=chosen).collector == "cm.other.example"
    assert PoolSettings.resolve("cm.cli.example", env=env, site=chosen).collector == \
        "cm.cli.example"


def test_global_pool_takes_its_own_schedd_and_keeps_the_sites_constraint():
    from jobsub.compiler.site.config import Site, with_pool
    from jobsub.runtime.pool import PoolSettings

    site = Site(collector="cm.main", schedd="main-schedd", schedd_constraint="IsMain",
                pools={"other": {"collector": "cm.other"},
                       "own": {"collector": "cm.own", "schedd": "s1", "schedd_constraint": "X"}})
    other = PoolSettings.resolve(env={}, site=with_pool(site, "other", {}))
    assert (other.collector, other.schedd, other.constraint) == ("cm.other", None, "IsMain")
    own = PoolSettings.resolve(env={}, site=with_pool(site, "own", {}))
    assert (own.collector, own.schedd, own.constraint) == ("cm.own", "s1", "X")
