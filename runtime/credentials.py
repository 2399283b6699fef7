"""Give each job spec its token's OAuth service, handle and scopes (the submit file's
`use_oauth_services` and permissions lines), when the site policy uses tokens.

`jobsub compile`/`check` only look for a token that fits (no login prompts in CI): without
one they warn and write no OAuth lines. `jobsub submit`/`jobsub_submit` also run htgettoken
when none fits, as jobsub_lite did.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from jobsub.compiler.base.diagnostics import JobsubError, Sink
from jobsub.compiler.ir.model import OAuth, Workflow
from jobsub.compiler.site.policy import Policy

from . import tokens


def attach(wf: Workflow, policy: Policy, env: Mapping[str, str], sink: Sink, *,
           obtain: bool, uid: int | None = None) -> list[str]:
    """Fill `spec.oauth` for every spec; the token files used (for the submission's copy)."""
    uid = os.getuid() if uid is None else uid
    if policy.tokens is None:
        _unused_token_options(wf, sink)
        return []
    used: dict[tuple[str, str], tokens.Found | None] = {}
    for spec in _specs(wf):
        group = spec.options.get("group")
        if not group:
            sink.error(f"job {spec.name} has no group: the {policy.name} site needs -G/--group "
                       "to choose its token and accounting", spec.span,
                       "give -G GROUP (or set $JOBSUB_GROUP)")
            continue
        role = tokens.role_for(group, spec.options.get("role"), env, uid, policy.tokens)
        service = tokens.service_name(group, role, policy.tokens)
        if not tokens.SERVICE_NAME.fullmatch(service):
            sink.error(f"job {spec.name}: group {group!r} and role {role!r} make the OAuth "
                       f"service name {service!r}, which HTCondor cannot carry", spec.span,
                       "groups and roles hold letters, digits and _ only (check -G, --role, "
                       "$GROUP and your default-role file)")
            continue
        key = (group, role)
        if key not in used:
            used[key] = _token(group, role, policy, env, uid, sink, obtain, spec.span)
        found = used[key]
        if found is None:
            continue
        scope_text = found.claims.get("scope", "")
        try:
            scopes = tokens.job_scopes(scope_text.split() if isinstance(scope_text, str) else [],
                                       spec.options.get("need_storage_modify", []),
                                       spec.options.get("need_scope", []), policy.tokens)
        except JobsubError as err:
            for d in err.diagnostics:
                sink.error(f"job {spec.name}: {d.message}", spec.span, d.hint)
            continue
        spec.oauth = OAuth(service, tokens.oauth_handle(scopes), scopes)
    return [f.path for f in used.values() if f is not None]


def _token(group: str, role: str, policy: Policy, env: Mapping[str, str], uid: int,
           sink: Sink, obtain: bool, span) -> tokens.Found | None:
    if obtain:
        try:
            return tokens.obtain(group, role, policy.tokens, env, uid)
        except JobsubError as err:
            sink.absorb(err)
            return None
    found, reasons = tokens.find(group, role, policy.tokens, env, uid)
    if found is None:
        sink.warning(f"no bearer token fits group {group}, role {role}"
                     + (f" ({'; '.join(reasons)})" if reasons else "")
                     + ": the submit files get no OAuth lines", span,
                     "jobsub submit gets a token with htgettoken; or set BEARER_TOKEN_FILE")
    return found


def _specs(wf: Workflow):
    yield from wf.specs
    for sub in wf.subdags:
        yield from _specs(sub)


def _unused_token_options(wf: Workflow, sink: Sink) -> None:
    for spec in _specs(wf):
        for dest in ("need_storage_modify", "need_scope"):
            if spec.options.get(dest):
                sink.warning(f"job {spec.name}: --{dest.replace('_', '-')} has no effect: the "
                             "site policy gives jobs no tokens", spec.span,
                             "choose a site with tokens: --site-config")
