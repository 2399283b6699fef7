"""Site policy: the facts about a pool that jobsub_lite hard-coded (usage models, the onsite
site, the default container, the accounting-group format, extra requirements and
attributes, how tokens are obtained, where the dropbox is). Profiles ship in `sites/`
(`local`, the default, is a personal pool with none of them; `fermilab` reproduces
jobsub_lite); a site writes its own. Emitters read these values: no lab names in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class UsageModels:
    """Which usage models a job asks for (`+DESIRED_usage_model`) in each situation."""

    default: str | None = None  # nothing asked
    onsite: str = "DEDICATED,OPPORTUNISTIC"  # --onsite
    offsite: str = "OFFSITE"  # --offsite; --site without the onsite site
    onsite_sites: str = "DEDICATED,OPPORTUNISTIC"  # --site naming only the onsite site
    mixed_sites: str = "DEDICATED,OPPORTUNISTIC,OFFSITE"  # --site naming it and others


@dataclass(frozen=True)
class TokenPolicy:
    """How a job's bearer token is found, checked and obtained (htgettoken)."""

    vault_server: str | None = None
    issuers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    htgettoken_options: tuple[str, ...] = ()
    issuer_url: str | None = None  # e.g. "https://cilogon.org/{issuer}": `iss` must match
    default_role: str = "Analysis"
    drop_scopes: tuple[str, ...] = ("storage.modify",)
    min_lifetime: int = 60  # seconds a token must still be valid

    def issuer(self, group: str) -> str:
        """The token issuer of `group` (groups may share one: the aliases)."""
        return self.issuers.get(group, group)


@dataclass(frozen=True)
class Policy:
    name: str = "local"
    onsite_site: str | None = None  # the site --onsite means (jobsub_lite: FermiGrid)
    usage_models: UsageModels = field(default_factory=UsageModels)
    default_image: str | None = None  # container image when none is asked for
    accounting_group: str | None = None  # "group_{group}.{user}"
    accounting_subgroup: str | None = None  # "group_{group}.{subgroup}.{user}"
    notify_user: str | None = None  # default --email-to, e.g. "{user}@example.org"
    base_requirements: tuple[str, ...] = ()  # ANDed first, as written
    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tokens: TokenPolicy | None = None  # None: no bearer tokens (a personal pool)
    dropbox: str | Mapping[str, Any] | None = None  # a folder, or {plugin, options}
    copy_command: str | None = None  # e.g. "ifdh cp": the wrapper copies -f/-d/-L with it

    @property
    def onsite_usage_models(self) -> str:
        return self.usage_models.onsite

    @property
    def default_usage_models(self) -> str | None:
        return self.usage_models.default


LOCAL = Policy()
