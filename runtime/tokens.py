"""Bearer tokens: found where users keep them, checked, obtained with htgettoken when
missing or stale, and turned into a job's scopes and OAuth lines as jobsub_lite did.

A token's text is never printed, logged, stored in the IR or left behind: messages name the
file, not the content; the copy a submission needs is 0600 in a private folder and removed
however the submission ends.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.site.policy import TokenPolicy


class TokenError(ValueError):
    """A token file that cannot be used, and why (never its content)."""


def decode(text: str) -> dict[str, Any]:
    """The claims of a JWT (the payload), without checking its signature: the schedd's
    credd and the storage services check that; we only decide whether it fits the job."""
    parts = text.strip().split(".")
    if len(parts) != 3 or not parts[1]:
        raise TokenError("not a JSON Web Token (three dot-separated parts)")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("its payload is not base64-encoded JSON") from None
    if not isinstance(claims, dict):
        raise TokenError("its payload is not a JSON object")
    return claims


def read_claims(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            return decode(fh.read())
    except OSError as err:
        raise TokenError(f"cannot be read ({err.strerror})") from None


def groups_of(claims: Mapping[str, Any]) -> list[str]:
    groups = claims.get("wlcg.groups") or []
    return [g for g in groups if isinstance(g, str)] if isinstance(groups, list) else []


def problems(claims: Mapping[str, Any], group: str, role: str, policy: TokenPolicy,
             now: float | None = None) -> list[str]:
    """Why the token does not fit a job of `group` and `role` (empty: it fits)."""
    now = time.time() if now is None else now
    out = []
    exp = claims.get("exp")
    if not isinstance(exp, int | float):
        out.append("it has no expiry time")
    elif exp - now <= policy.min_lifetime:
        out.append("it has expired" if exp <= now else
                   f"it expires in {int(exp - now)} s (less than {policy.min_lifetime} s)")
    issuer = policy.issuer(group)
    if policy.issuer_url and claims.get("iss") != policy.issuer_url.format(issuer=issuer):
        out.append(f"it was not issued by {policy.issuer_url.format(issuer=issuer)}")
    groups = [g.lower() for g in groups_of(claims)]
    held = token_roles(claims, group)
    default = role.lower() == policy.default_role.lower()
    if f"/{group}".lower() not in groups:
        out.append(f"its wlcg.groups do not hold /{group}")
    elif not default and role.lower() not in held:
        out.append(f"its wlcg.groups do not hold /{group}/{role.lower()}")
    elif held - ({role.lower()} if not default else set()):
        # jobsub_lite: "a token with the wrong group or role"; a production token must
        # not give an analysis job, or another role's job, its scopes
        names = ", ".join(sorted(held))
        out.append(f"it is for role{'s' if len(held) > 1 else ''} {names} of group {group}, "
                   + (f"not {role}" if default else f"not {role.lower()} alone"))
    return out


def token_roles(claims: Mapping[str, Any], group: str) -> set[str]:
    """The roles of `group` a token holds (`/group/role` in its wlcg.groups), lower case."""
    out = set()
    for g in groups_of(claims):
        parts = g.strip("/").split("/")
        if len(parts) == 2 and parts[0].lower() == group.lower() and parts[1]:
            out.add(parts[1].lower())
    return out


def _token_folders(env: Mapping[str, str]) -> list[str]:
    """Where tokens live: $XDG_RUNTIME_DIR, else $TMPDIR, then /tmp (htgettoken's places)."""
    first = env.get("XDG_RUNTIME_DIR") or env.get("TMPDIR")
    return list(dict.fromkeys([*([first] if first else []), "/tmp"]))


def candidates(env: Mapping[str, str], uid: int, issuer: str, role: str) -> list[str]:
    """Where users keep tokens, in the order jobsub looks."""
    out = []
    if env.get("BEARER_TOKEN_FILE"):
        out.append(env["BEARER_TOKEN_FILE"])
    folders = _token_folders(env)
    out += [os.path.join(folder, f"bt_u{uid}") for folder in folders]
    out += [os.path.join(folder, f"bt_token_{issuer}_{role}_{uid}") for folder in folders]
    return list(dict.fromkeys(out))


def default_token_path(env: Mapping[str, str], uid: int, issuer: str, role: str) -> str:
    """Where htgettoken writes a token we ask for (jobsub_lite's name)."""
    return os.path.join(_token_folders(env)[0], f"bt_token_{issuer}_{role}_{uid}")


def refresh_path(env: Mapping[str, str], uid: int, group: str, role: str,
                 policy: TokenPolicy, now: float | None = None) -> str:
    """Where a new token goes: into $BEARER_TOKEN_FILE when that holds this group's and
    role's token gone stale (jobsub_lite had htgettoken refresh it there), else the
    default place, never over a token of another group or role."""
    path = env.get("BEARER_TOKEN_FILE")
    if path and os.path.exists(path):
        try:
            claims = read_claims(path)
        except TokenError:
            claims = None
        if claims is not None:
            wrong = problems({**claims, "exp": float("inf")}, group, role, policy, now)
            if not wrong:
                return path
    return default_token_path(env, uid, policy.issuer(group), role)


def role_for(group: str, flag: str | None, env: Mapping[str, str], uid: int,
             policy: TokenPolicy) -> str:
    """jobsub_lite's order: --role, the default-role file, the token's own role for the
    group, then the policy's default role."""
    if flag:
        return flag
    home = env.get("HOME") or os.path.expanduser("~")
    for folder in ("/tmp", os.path.join(home, ".config")):
        path = os.path.join(folder, f"jobsub_default_role_{group}_{uid}")
        with contextlib.suppress(OSError):
            if os.stat(path).st_uid == uid:
                with open(path, encoding="utf-8") as fh:
                    role = fh.read().strip()
                if role:
                    return role
    folders = len(_token_folders(env))
    for path in candidates(env, uid, policy.issuer(group), policy.default_role)[:1 + folders]:
        try:
            claims = read_claims(path)
        except TokenError:
            continue
        for g in groups_of(claims):
            parts = g.strip("/").split("/")
            if len(parts) == 2 and parts[0].lower() == group.lower():
                return parts[1]
        break
    return policy.default_role


@dataclass(frozen=True)
class Found:
    path: str
    claims: dict[str, Any]


def find(group: str, role: str, policy: TokenPolicy, env: Mapping[str, str], uid: int,
         now: float | None = None) -> tuple[Found | None, list[str]]:
    """The first token that fits, or None and the reasons each candidate did not."""
    reasons = []
    for path in candidates(env, uid, policy.issuer(group), role):
        if not os.path.exists(path):
            continue
        try:
            claims = read_claims(path)
        except TokenError as err:
            reasons.append(f"{path}: {err}")
            continue
        wrong = problems(claims, group, role, policy, now)
        if not wrong:
            return Found(path, claims), reasons
        reasons.append(f"{path}: {'; '.join(wrong)}")
    return None, reasons


def htgettoken_command(group: str, role: str, policy: TokenPolicy, env: Mapping[str, str],
                       out_path: str) -> list[str]:
    """htgettoken with the policy's options, then $HTGETTOKENOPTS (which may carry a
    managed token's --credkey), as jobsub_lite ran it."""
    command = ["htgettoken"]
    if policy.vault_server:
        command += ["-a", policy.vault_server]
    command += ["-i", policy.issuer(group)]
    if role.lower() != policy.default_role.lower():
        command += ["-r", role.lower()]
    command += [*policy.htgettoken_options, *shlex.split(env.get("HTGETTOKENOPTS", "")),
                "-o", out_path]
    return command


def obtain(group: str, role: str, policy: TokenPolicy, env: Mapping[str, str], uid: int,
           now: float | None = None) -> Found:
    """A token that fits: found, or fetched with htgettoken (which may ask the user to
    authenticate in a browser, as it always does)."""
    found, reasons = find(group, role, policy, env, uid, now)
    if found is not None:
        return found
    if shutil.which("htgettoken", path=env.get("PATH")) is None:
        raise JobsubError(f"no usable bearer token for group {group}, role {role}, and "
                          "htgettoken is not installed",
                          hint="pip install htgettoken, or set BEARER_TOKEN_FILE"
                               + (f" ({'; '.join(reasons)})" if reasons else ""))
    out_path = refresh_path(env, uid, group, role, policy, now)
    command = htgettoken_command(group, role, policy, env, out_path)
    # htgettoken talks to the user (it may ask for a browser login); the token itself goes
    # to out_path only.
    proc = subprocess.run(command, env=dict(env))
    if proc.returncode != 0:
        raise JobsubError(f"htgettoken failed (exit {proc.returncode}) getting a token for "
                          f"group {group}, role {role}",
                          hint=f"tokens found but not used: {'; '.join(reasons)}"
                          if reasons else None)
    try:
        claims = read_claims(out_path)
    except TokenError as err:
        raise JobsubError(f"the token htgettoken wrote to {out_path} {err}") from None
    wrong = problems(claims, group, role, policy, now)
    if wrong:
        raise JobsubError(f"the token htgettoken wrote to {out_path} does not fit: "
                          + "; ".join(wrong))
    with contextlib.suppress(OSError):
        os.chmod(out_path, 0o600)
    return Found(out_path, claims)


@contextlib.contextmanager
def private_copy(path: str) -> Iterator[str]:
    """A 0600 copy of the token in a private folder, removed however the block ends."""
    folder = tempfile.mkdtemp(prefix="jobsub-token-")
    target = os.path.join(folder, "token")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst)
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)
