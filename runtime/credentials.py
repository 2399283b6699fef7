"""The user's tokens, as the compile step's TokenSource (compiler/site/oauth.py): which role
a group's jobs run with, and the token that fits a group and role, found on this machine or
(when submitting) obtained with htgettoken as jobsub_lite did.

`jobsub compile`/`check` only look for a token that fits (no login prompts in CI): without
one they warn and write no OAuth lines. `jobsub submit`/`jobsub_submit` also run htgettoken
when none fits, unless the token is managed (a service keeps it fresh: --managed-token),
when a missing token is an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.site.policy import TokenPolicy

from . import tokens


class LocalTokens:
    """Tokens of the user running jobsub; `used` lists the files the jobs' scopes came from
    (the submission hands them to the credd)."""

    def __init__(self, policy: TokenPolicy, env: Mapping[str, str], *,
                 obtain: bool | Literal["managed"], uid: int | None = None):
        self.policy, self.env, self.obtain = policy, env, obtain
        self.uid = os.getuid() if uid is None else uid
        self.used: list[str] = []

    def role(self, group: str, asked: str | None) -> str:
        return tokens.role_for(group, asked, self.env, self.uid, self.policy)

    def scopes(self, group: str, role: str, span: Span, sink: Sink) -> list[str] | None:
        found = self._token(group, role, span, sink)
        if found is None:
            return None
        self.used.append(found.path)
        scope_text = found.claims.get("scope", "")
        return scope_text.split() if isinstance(scope_text, str) else []

    def _token(self, group: str, role: str, span: Span, sink: Sink) -> tokens.Found | None:
        if self.obtain == "managed":
            found, reasons = tokens.find(group, role, self.policy, self.env, self.uid)
            if found is None:
                sink.error(f"no bearer token fits group {group}, role {role}"
                           + (f" ({'; '.join(reasons)})" if reasons else ""), span,
                           "--managed-token: the service that keeps it fresh has not written "
                           "one here (BEARER_TOKEN_FILE or the usual place); without "
                           "--managed-token jobsub runs htgettoken")
            return found
        if self.obtain:
            try:
                return tokens.obtain(group, role, self.policy, self.env, self.uid)
            except JobsubError as err:
                sink.absorb(err)
                return None
        found, reasons = tokens.find(group, role, self.policy, self.env, self.uid)
        if found is None:
            sink.warning(f"no bearer token fits group {group}, role {role}"
                         + (f" ({'; '.join(reasons)})" if reasons else "")
                         + ": the submit files get no OAuth lines", span,
                         "jobsub submit gets a token with htgettoken; or set BEARER_TOKEN_FILE")
        return found
