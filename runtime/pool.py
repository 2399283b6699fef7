"""The site's schedds behind one collector: which they are, which one takes a submission,
and one clear line for any failure of the bindings.

Where things come from, first match wins: the collector from `--collector`,
`$JOBSUB_COLLECTOR`, the site file's `collector:`, else the local HTCondor configuration
(COLLECTOR_HOST); the site's schedds are the collector's schedd ads matching the site file's
`schedd_constraint` (every schedd when it has none); a submission goes to `--schedd`,
`$JOBSUB_SCHEDD` or the site file's `schedd:` when one is named, else to one of the site's
schedds not in downtime, weighted by load as jobsub_lite chooses. Job ids carry the name of
their schedd (`1234.0@name`), so later commands go straight to it.

Schedds are found by their `Name` in the collector's ads, never through DNS (a name such as
`schedd2@host` or a host alias need not resolve). The htcondor2 bindings are imported here,
and only when a command needs the pool.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.site.config import Site

from .jobids import quote

AUTH_HINT = ("check that you may use this schedd: an IDTOKEN or bearer token it accepts "
             "(SEC_TOKEN_DIRECTORY, BEARER_TOKEN_FILE)")
#: A schedd that restarted does not know the security session this process had with it;
#: the bindings forget it on this error, and the next connection makes a new one. Nothing
#: of the command was done yet, so it is asked once more.
SESSION_REJECTED = "SECMAN:2004"
#: What a schedd ad must carry for the bindings to talk to it, and for choosing one.
AD_ATTRS = ["Name", "Machine", "MyAddress", "AddressV1", "CondorVersion", "CondorPlatform",
            "RecentDaemonCoreDutyCycle", "InDownTime"]


@dataclass(frozen=True)
class PoolSettings:
    collector: str | None = None  # host[:port]; None: the local configuration's
    schedd: str | None = None  # the schedd every submission goes to; None: choose one
    constraint: str | None = None  # which schedds are the site's; {group}: the job's group

    @classmethod
    def resolve(cls, collector: str | None = None, schedd: str | None = None,
                env: Mapping[str, str] | None = None, site: Site | None = None) -> PoolSettings:
        """--collector, then the pool --global-pool chose, $JOBSUB_COLLECTOR, the site
        file's; the schedd likewise (--schedd, $JOBSUB_SCHEDD, the site file's)."""
        env = os.environ if env is None else env
        site = site or Site()
        chosen = site.collector if site.pool else None  # --global-pool's
        return cls(collector or chosen or env.get("JOBSUB_COLLECTOR") or site.collector or None,
                   schedd or env.get("JOBSUB_SCHEDD") or site.schedd or None,
                   site.schedd_constraint)


def condor_error(what: str, err: Exception, hint: str | None = None) -> JobsubError:
    """One line for a failure of the bindings: what we tried, what HTCondor said."""
    message = " ".join(str(err).split()).rstrip(".") or type(err).__name__
    lowered = message.lower()
    if hint is None and any(w in lowered for w in ("authenticat", "denied", "permission",
                                                   "authoriz", "not authorized")):
        hint = AUTH_HINT
    return JobsubError(f"{what}: {message}", hint=hint)


class Schedd:
    """One schedd: the name job ids carry, its host and version, and calls to it whose
    failures are one line naming it."""

    def __init__(self, htcondor, ad):
        self.htcondor = htcondor
        self.ad = ad
        self.name: str = str(ad["Name"])
        self.machine: str = str(ad.get("Machine") or self.name.rsplit("@", 1)[-1])
        self.version: str | None = ad.get("CondorVersion")
        self.schedd = htcondor.Schedd(ad)

    def call(self, what: str, fn, *args: Any, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            try:
                return fn(*args, **kwargs)
            except Exception as err:  # the bindings raise HTCondorException and others
                if attempt == 1 and SESSION_REJECTED in str(err):
                    continue  # the schedd restarted; the rejected session is forgotten now
                raise condor_error(f"{what} on schedd {self.name}", err) from None
        raise AssertionError("unreachable")

    def __repr__(self) -> str:
        return f"Schedd({self.name!r})"


def weight(ad) -> float:
    """jobsub_lite's load weight: the less busy a schedd's event loop, the likelier."""
    try:
        duty = float(ad.get("RecentDaemonCoreDutyCycle") or 0.0)
    except (TypeError, ValueError):
        duty = 0.0
    return 10.0 / duty if duty > 0.01 else 1000.0


def in_downtime(ad) -> bool:
    return ad.get("InDownTime") is True


class Pool:
    """The collector and the site's schedds. Nothing is asked until it is needed; the
    collector's answer is asked once."""

    def __init__(self, settings: PoolSettings, group: str | None = None):
        import htcondor2

        self.htcondor = htcondor2
        self.settings = settings
        self.group = group
        self.where = settings.collector or "the local HTCondor configuration's collector"
        try:
            self.collector = htcondor2.Collector(settings.collector) if settings.collector \
                else htcondor2.Collector()
        except Exception as err:
            raise self._unreachable(err) from None
        self._all: list | None = None
        self._site: list | None = None
        self._handles: dict[str, Schedd] = {}

    def _unreachable(self, err: Exception) -> JobsubError:
        return condor_error(f"cannot find the schedd through {self.where}", err,
                            "is HTCondor running and COLLECTOR_HOST (or --collector) right? "
                            + AUTH_HINT)

    def _query(self, constraint: str) -> list:
        try:
            return list(self.collector.query(self.htcondor.AdType.Schedd, constraint, AD_ATTRS))
        except Exception as err:
            raise self._unreachable(err) from None

    def site_constraint(self) -> str:
        template = self.settings.constraint
        if not template:
            return "true"
        if "{group}" in template and not self.group:
            raise JobsubError("the site's schedds depend on your group, and none was given",
                              hint="give -G GROUP (or set $JOBSUB_GROUP)")
        return template.format(group=quote(self.group or "")[1:-1])

    def all_ads(self) -> list:
        """Every schedd the collector knows."""
        if self._all is None:
            self._all = sorted(self._query("true"), key=lambda ad: str(ad["Name"]))
        return self._all

    def site_ads(self) -> list:
        """The site's schedds (those in downtime included: they may hold jobs)."""
        if self._site is None:
            constraint = self.site_constraint()
            self._site = self.all_ads() if constraint == "true" else \
                sorted(self._query(constraint), key=lambda ad: str(ad["Name"]))
        return self._site

    def names(self) -> list[str]:
        return [str(ad["Name"]) for ad in self.site_ads()]

    def _handle(self, ad) -> Schedd:
        name = str(ad["Name"])
        if name not in self._handles:
            self._handles[name] = Schedd(self.htcondor, ad)
        return self._handles[name]

    def schedd(self, name: str) -> Schedd:
        """The schedd called `name` (any the collector knows: a job id names its own)."""
        if name in self._handles:
            return self._handles[name]
        ads = self._query(f"Name == {quote(name)}")
        if not ads:
            raise JobsubError(f"no schedd named {name!r} is known to {self.where}",
                              hint=self._known_hint())
        return self._handle(ads[0])

    def _known_hint(self) -> str:
        try:
            names = self.names() or [str(ad["Name"]) for ad in self.all_ads()]
        except JobsubError:
            names = []
        if not names:
            return "the collector lists no schedd at all; check with: condor_status -schedd"
        return "the site's schedds: " + ", ".join(names)

    def schedds(self) -> list[Schedd]:
        """Every schedd of the site, for commands that ask them all."""
        ads = self.site_ads()
        if not ads:
            raise JobsubError(f"{self.where} lists no schedd of this site",
                              hint=self._constraint_hint())
        return [self._handle(ad) for ad in ads]

    def _constraint_hint(self) -> str:
        if self.settings.constraint:
            return f"the site file selects schedds with: {self.site_constraint()}"
        return "check with: condor_status -schedd"

    def choose(self, rng: random.Random | None = None) -> Schedd:
        """The schedd a new submission goes to."""
        if self.settings.schedd:
            return self.schedd(self.settings.schedd)
        ads = self.site_ads()
        up = [ad for ad in ads if not in_downtime(ad)]
        if not up:
            if ads:
                raise JobsubError("every schedd of the site is in downtime: "
                                  + ", ".join(str(ad["Name"]) for ad in ads),
                                  hint="try again later, or name one with --schedd")
            raise JobsubError(f"{self.where} lists no schedd of this site",
                              hint=self._constraint_hint())
        chosen = (rng or random).choices(up, weights=[weight(ad) for ad in up])[0]
        return self._handle(chosen)
