"""What a job's token may do, decided at compile time: its OAuth service (from the group and
role it was issued for), its scopes (the token's, less the types the site drops, plus each
storage path asked for that a storage.modify scope of the token covers) and the handle
naming that set. The submit file's `use_oauth_services` and permissions lines come from it.

Finding or obtaining the token is the runtime's (runtime/credentials.py, a TokenSource);
this stage only uses what the source says the token holds, so a token is never used for a
group, role or path it does not cover.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Protocol

from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.ir.model import JobSpec, OAuth, Workflow
from jobsub.compiler.site.policy import Policy, TokenPolicy


class TokenSource(Protocol):
    """Where the compile step learns about the user's tokens."""

    def role(self, group: str, asked: str | None) -> str:
        """The role a job of `group` runs with (the flag, else the user's defaults)."""

    def scopes(self, group: str, role: str, span: Span, sink: Sink) -> list[str] | None:
        """The scopes of the token that fits `group` and `role`, or None (said in `sink`)."""


def attach(wf: Workflow, policy: Policy, source: TokenSource | None, sink: Sink) -> None:
    """Fill `spec.oauth` for every spec of a site whose jobs get tokens."""
    if policy.tokens is None:
        _unused_token_options(wf, sink)
        return
    if source is None:
        return
    held: dict[tuple[str, str], list[str] | None] = {}
    for spec in _specs(wf):
        group = spec.options.get("group")
        if not group:
            sink.error(f"job {spec.name} has no group: the {policy.name} site needs -G/--group "
                       "to choose its token and accounting", spec.span,
                       "give -G GROUP (or set $JOBSUB_GROUP)")
            continue
        role = source.role(group, spec.options.get("role"))
        service = service_name(group, role, policy.tokens)
        if not SERVICE_NAME.fullmatch(service):
            sink.error(f"job {spec.name}: group {group!r} and role {role!r} make the OAuth "
                       f"service name {service!r}, which HTCondor cannot carry", spec.span,
                       "groups and roles hold letters, digits and _ only (check -G, --role, "
                       "$GROUP and your default-role file)")
            continue
        if (group, role) not in held:
            held[group, role] = source.scopes(group, role, spec.span, sink)
        token_scopes = held[group, role]
        if token_scopes is None:
            continue
        try:
            scopes = job_scopes(token_scopes, spec.options.get("need_storage_modify", []),
                                spec.options.get("need_scope", []), policy.tokens)
        except JobsubError as err:
            for d in err.diagnostics:
                sink.error(f"job {spec.name}: {d.message}", spec.span, d.hint)
            continue
        spec.oauth = OAuth(service, oauth_handle(scopes), scopes)


def _specs(wf: Workflow) -> Iterator[JobSpec]:
    yield from wf.specs
    for sub in wf.subdags:
        yield from _specs(sub)


def _unused_token_options(wf: Workflow, sink: Sink) -> None:
    for spec in _specs(wf):
        for dest in ("role", "need_storage_modify", "need_scope"):
            if spec.options.get(dest):
                sink.warning(f"job {spec.name}: --{dest.replace('_', '-')} has no effect: the "
                             "site policy gives jobs no tokens", spec.span,
                             "choose a site with tokens: --site-config")


def normal_path(path: str) -> str | None:
    """A storage path as a scope names it: absolute, `.`, `..` and repeated slashes
    resolved (`/x/./out/` is `/x/out`, `/a/b/../../c` is `/c`); None if it is not absolute.
    Containment is decided on this form only: `/mine/../theirs` is `/theirs`."""
    if not path.startswith("/"):
        return None
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def _modify_path(path: str) -> str | None:
    """jobsub_lite accepted /pnfs/EXP/... and /eos/EXP/... for /EXP/... ."""
    path = normal_path(path)
    if path is None:
        return None
    for prefix in ("/pnfs/", "/eos/"):
        if path.startswith(prefix):
            return "/" + path[len(prefix):]
    return path


def _under(path: str, base: str) -> bool:
    return base == "/" or path == base or path.startswith(base + "/")


def job_scopes(token_scopes: list[str], need_storage_modify: list[str],
               need_scope: list[str], policy: TokenPolicy) -> list[str]:
    """The scopes a job's token gets: the token's, without the dropped types (storage.modify),
    plus each --need-storage-modify path lying under a storage.modify scope of the token,
    plus --need-scope; shortest first, as jobsub_lite ordered them."""
    dropped = set(policy.drop_scopes)
    scopes = [s for s in token_scopes if s.split(":", 1)[0] not in dropped]
    held = [s.split(":", 1)[1] for s in token_scopes if s.startswith("storage.modify:")]
    modifiable = [p for p in map(normal_path, held) if p is not None]
    for raw in need_storage_modify:
        path = _modify_path(raw)
        allowed = ", ".join(held) or "none"
        if path is None:
            raise JobsubError(f"--need-storage-modify {raw}: not an absolute storage path",
                              hint=f"storage.modify paths this token holds: {allowed}")
        if not any(_under(path, base) for base in modifiable):
            raise JobsubError(f"--need-storage-modify {raw}: the token has no storage.modify "
                              f"scope covering {path}",
                              hint=f"storage.modify paths this token holds: {allowed}")
        scopes.append(f"storage.modify:{path}")
    scopes += list(need_scope)
    scopes = list(dict.fromkeys(scopes))
    return sorted(scopes, key=len)


def oauth_handle(scopes: list[str]) -> str:
    return hashlib.sha256(" ".join(scopes).encode()).hexdigest()[:10]


#: What an OAuth service name may hold: it is written into submit-file keys
#: (`SERVICE_oauth_permissions_HANDLE`) and the comma list of use_oauth_services.
SERVICE_NAME = re.compile(r"[A-Za-z0-9_]+")


def service_name(group: str, role: str, policy: TokenPolicy) -> str:
    issuer = policy.issuer(group)
    if role.lower() == policy.default_role.lower():
        return issuer
    return f"{issuer}_{role.lower()}"
