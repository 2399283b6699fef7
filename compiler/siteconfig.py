"""The site configuration file: which pool to use and its policy (usage models, onsite
site, default container). Looked up in `--site-config`, `$JOBSUB_SITE_CONFIG`,
`~/.config/jobsub/site.yaml`, `/etc/jobsub/site.yaml`; none found means the built-in
`local` policy (a personal pool). Validated against `schemas/site.schema.json`, with
every problem located in the file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from .diagnostics import JobsubError, Sink, Span
from .policy import LOCAL, Policy

SEARCH_PATH = ("~/.config/jobsub/site.yaml", "/etc/jobsub/site.yaml")


@dataclass(frozen=True)
class Site:
    policy: Policy = field(default_factory=lambda: LOCAL)
    collector: str | None = None
    schedd: str | None = None
    source: str | None = None  # the file it came from; None for the built-in default


def find(explicit: str | None, env: Mapping[str, str]) -> str | None:
    if explicit:
        return explicit
    if env.get("JOBSUB_SITE_CONFIG"):
        return env["JOBSUB_SITE_CONFIG"]
    for candidate in SEARCH_PATH:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return path
    return None


def load_site(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Site:
    """The site configuration in effect; JobsubError with located diagnostics if it is bad."""
    from jobsub.schemas import load as load_schema

    from . import yamlsource
    from .pipeline import read_source

    env = os.environ if env is None else env
    path = find(explicit, env)
    if path is None:
        return Site()
    doc = yamlsource.load(read_source(path), path)
    if doc is None:
        doc = {}
    sink = Sink()
    yamlsource.validate(doc, load_schema("site.schema.json"), path, sink)
    if not isinstance(doc, Mapping):
        raise JobsubError("a site configuration is a mapping of keys to values", Span(path, 1, 1))
    sink.check()
    policy_keys = {f.name for f in fields(Policy)}
    values = {k: str(v) for k, v in doc.items()}
    policy = Policy(**{k: v for k, v in values.items() if k in policy_keys})
    return Site(policy, values.get("collector"), values.get("schedd"), path)
