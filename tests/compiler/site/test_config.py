"""The site configuration file: lookup order, policy values, located errors."""

from __future__ import annotations

import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.site.config import find, load_site
from jobsub.runtime.pool import PoolSettings


def test_bundled_profiles():
    assert load_site("local", {}).policy.tokens is None
    fermilab = load_site(None, {"JOBSUB_SITE_CONFIG": "fermilab"}).policy
    assert fermilab.onsite_site == "FermiGrid" and fermilab.tokens.vault_server


def test_lookup_order(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert find(None, {}) is None
    home = tmp_path / ".config" / "jobsub" / "site.yaml"
    home.parent.mkdir(parents=True)
    home.write_text("schedd: s1\n")
    assert find(None, {}) == str(home)
    assert find(None, {"JOBSUB_SITE_CONFIG": "/env.yaml"}) == "/env.yaml"
    assert find("/flag.yaml", {"JOBSUB_SITE_CONFIG": "/env.yaml"}) == "/flag.yaml"


def test_values_and_precedence(tmp_path):
    f = tmp_path / "site.yaml"
    f.write_text("name: lab\ncollector: cm.example:9618\nschedd: s1\n"
                 "usage_models: {default: 'DEDICATED,OPPORTUNISTIC'}\ndefault_image: /img\n")
    site = load_site(str(f), {})
    assert (site.collector, site.schedd, site.source) == ("cm.example:9618", "s1", str(f))
    assert site.policy.default_image == "/img" and site.policy.name == "lab"
    assert site.policy.usage_models.default == "DEDICATED,OPPORTUNISTIC"
    assert PoolSettings.resolve(None, None, {}, site) == PoolSettings("cm.example:9618", "s1")
    assert PoolSettings.resolve(None, None, {"JOBSUB_SCHEDD": "s2"}, site).schedd == "s2"
    assert PoolSettings.resolve(None, "s3", {"JOBSUB_SCHEDD": "s2"}, site).schedd == "s3"


def test_errors_are_located(tmp_path):
    f = tmp_path / "site.yaml"
    f.write_text("collector: cm\nscheed: s1\ndefault_image: 5\n")
    with pytest.raises(JobsubError) as info:
        load_site(str(f), {})
    got = [(d.span.line, d.span.column, d.message, d.hint) for d in info.value.diagnostics]
    assert got == [
        (2, 1, "unknown key 'scheed'", "did you mean 'schedd'?"),
        (3, 16, "default_image: expected a string, got a whole number", None),
    ]


def test_yaml_syntax_error(tmp_path):
    f = tmp_path / "site.yaml"
    f.write_text("collector: [cm\n")
    with pytest.raises(JobsubError) as info:
        load_site(str(f), {})
    d = info.value.diagnostics[0]
    assert d.message.startswith("YAML syntax") and d.span.line >= 1
