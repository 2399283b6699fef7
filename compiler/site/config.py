"""The site configuration file: which pool to use and its policy (see policy.py). Looked up
in `--site-config` (a file, or the name of a bundled profile: local, fermilab),
`$JOBSUB_SITE_CONFIG`, `~/.config/jobsub/site.yaml`, `/etc/jobsub/site.yaml`; none found
means the `local` profile (a personal pool). Validated against
`schemas/site.schema.json`, with every problem located in the file."""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.base.limits import MAX_SITE_BYTES
from jobsub.compiler.base.sources import read_source
from jobsub.compiler.site.policy import LOCAL, Policy, TokenPolicy, UsageModels

SEARCH_PATH = ("~/.config/jobsub/site.yaml", "/etc/jobsub/site.yaml")


DAGMAN = "/usr/bin/condor_dagman"


@dataclass(frozen=True)
class Site:
    policy: Policy = field(default_factory=lambda: LOCAL)
    collector: str | None = None
    schedd: str | None = None
    source: str | None = None  # the file it came from; None for the built-in default
    #: which of the collector's schedds are the site's ({group}: the job's group)
    schedd_constraint: str | None = None
    dagman: str = DAGMAN  # condor_dagman on the schedd hosts
    keep_unfetched_days: float = 10.0
    support: str | None = None  # whom to ask for help (--support-email)
    #: other pools --global-pool names: NAME -> {collector, onsite}
    pools: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: MappingProxyType({}))
    pool: str | None = None  # the one --global-pool chose: its collector beats $JOBSUB_COLLECTOR


def find(explicit: str | None, env: Mapping[str, str]) -> str | None:
    from jobsub import sites

    chosen = explicit or env.get("JOBSUB_SITE_CONFIG")
    if chosen:
        return sites.path(chosen) if chosen in sites.NAMES else chosen
    for candidate in SEARCH_PATH:
        path = os.path.expanduser(candidate)
        if os.path.isfile(path):
            return path
    return None


def load_site(explicit: str | None = None, env: Mapping[str, str] | None = None) -> Site:
    """The site configuration in effect; JobsubError with located diagnostics if it is bad."""
    env = os.environ if env is None else env
    path = find(explicit, env)
    if path is None:
        return Site()
    from jobsub.compiler.frontends import yamlsource  # only when there is a file to read
    from jobsub.schemas import load as load_schema
    doc = yamlsource.load(read_source(path, MAX_SITE_BYTES), path)
    if doc is None:
        doc = {}
    sink = Sink()
    yamlsource.validate(doc, load_schema("site.schema.json"), path, sink)
    if not isinstance(doc, Mapping):
        raise JobsubError("a site configuration is a mapping of keys to values", Span(path, 1, 1))
    for key, fields in TEMPLATES.items():
        where = key.split(".")
        value = doc
        for step in where:
            value = value.get(step) if isinstance(value, Mapping) else None
        problem = template_problem(value, fields)
        if problem:
            sink.error(f"{key}: {problem}", yamlsource.position(doc, where, path),
                       "write the fields as " + ", ".join(f"{{{f}}}" for f in fields)
                       + "; double a literal brace: {{ }}")
    sink.check()
    return Site(policy_from(doc), _opt(doc, "collector"), _opt(doc, "schedd"), path,
                _opt(doc, "schedd_constraint"), _opt(doc, "dagman") or DAGMAN,
                float(doc.get("keep_unfetched_days") or 10.0), _opt(doc, "support"),
                MappingProxyType({str(k): MappingProxyType({f: str(x) for f, x in v.items()})
                                  for k, v in (doc.get("pools") or {}).items()}))


def with_pool(site: Site, name: str | None, env: Mapping[str, str]) -> Site:
    """The site with the pool `--global-pool NAME` (default $JOBSUB_GLOBAL_POOL) chose: its
    collector, its site for --onsite, its schedd (if it names one) and its schedd
    constraint (else the site's). Pools are the site file's `pools:` and jobsub_lite's
    $JOBSUB_POOL_MAP (JSON: {"NAME": {"collector": ..., "onsite": ...}})."""
    import dataclasses
    import json

    name = name or env.get("JOBSUB_GLOBAL_POOL") or None
    if name is None:
        return site
    pools = dict(site.pools)
    text = env.get("JOBSUB_POOL_MAP")
    if text:
        try:
            extra = json.loads(text)
            if not isinstance(extra, dict) or not all(
                    isinstance(v, dict) and isinstance(v.get("collector"), str)
                    for v in extra.values()):
                raise ValueError("expected {NAME: {collector: HOST, onsite: SITE}}")
        except ValueError as err:
            raise JobsubError(f"$JOBSUB_POOL_MAP is not a pool map: {err}", Span(
                "$JOBSUB_POOL_MAP"), 'write JSON: {"NAME": {"collector": "HOST", '
                '"onsite": "SITE"}}') from None
        pools.update(extra)
    if name not in pools:
        import difflib

        close = difflib.get_close_matches(name, list(pools), n=1)
        raise JobsubError(f"--global-pool {name}: no such pool", Span("<command line>"),
                          (f"did you mean {close[0]}? " if close else "")
                          + ("pools: " + ", ".join(sorted(pools)) if pools else
                             "define pools in the site file (pools:) or $JOBSUB_POOL_MAP"))
    pool = pools[name]
    policy = site.policy
    if pool.get("onsite"):
        policy = dataclasses.replace(policy, onsite_site=str(pool["onsite"]))
    # the pool's own schedd (none: chosen among its schedds); the site's constraint on
    # which schedds serve it, unless the pool has its own (jobsub_lite kept its constraint)
    return dataclasses.replace(site, collector=str(pool["collector"]), policy=policy,
                               pool=name, schedd=pool.get("schedd"),
                               schedd_constraint=pool.get("schedd_constraint",
                                                          site.schedd_constraint))


#: Site settings that are format strings, and the fields each may use.
TEMPLATES = {"accounting_group": ("group", "user"),
             "accounting_subgroup": ("group", "subgroup", "user"),
             "notify_user": ("user",),
             "schedd_constraint": ("group",),
             "tokens.issuer_url": ("issuer",)}


def template_problem(template, fields: tuple[str, ...]) -> str | None:
    """Why `template` cannot be filled with `fields` by str.format, or None. Only plain
    `{name}` is allowed: no attributes, indexes, conversions or format specs."""
    if not isinstance(template, str):
        return None
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        return f"not a valid template ({err})"
    for _text_part, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in fields:
            return f"unknown field {{{name}}}"
        if spec or conversion:
            return f"{{{name}}} may not have a format or conversion"
    return None


def _opt(doc: Mapping, key: str) -> str | None:
    return None if doc.get(key) is None else str(doc[key])


def _text(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def policy_from(doc: Mapping) -> Policy:
    """The Policy a (validated) site document describes; unset keys keep Policy's defaults."""
    values = {k: doc[k] for k in ("name", "onsite_site", "default_image", "accounting_group",
                                  "accounting_subgroup", "notify_user", "dropbox",
                                  "copy_command")
              if doc.get(k) is not None}
    if isinstance(doc.get("dropbox"), Mapping):
        values["dropbox"] = MappingProxyType({"plugin": doc["dropbox"]["plugin"],
                                              "options": dict(doc["dropbox"].get("options")
                                                              or {})})
    if "usage_models" in doc:
        values["usage_models"] = UsageModels(**dict(doc["usage_models"]))
    if "base_requirements" in doc:
        values["base_requirements"] = tuple(doc["base_requirements"])
    if "attributes" in doc:
        values["attributes"] = MappingProxyType({k: _text(v)
                                                 for k, v in doc["attributes"].items()})
    if doc.get("tokens") is not None:
        t = dict(doc["tokens"])
        for key in ("htgettoken_options", "drop_scopes"):
            if key in t:
                t[key] = tuple(t[key])
        if "issuers" in t:
            t["issuers"] = MappingProxyType(dict(t["issuers"]))
        values["tokens"] = TokenPolicy(**t)
    return Policy(**values)
