"""Which pool and schedd to talk to, and turning the bindings' failures into one clear line.

Where the collector and schedd come from, first match wins: command-line flags
(`--collector`, `--schedd`), the environment (`JOBSUB_COLLECTOR`, `JOBSUB_SCHEDD`), the site
configuration file (`collector:`, `schedd:`), then the local HTCondor configuration
(`CONDOR_CONFIG`: COLLECTOR_HOST and the local schedd).
The htcondor2 bindings are imported here, and only when a command needs the pool.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jobsub.compiler.diagnostics import JobsubError
from jobsub.compiler.siteconfig import Site

AUTH_HINT = ("check that you may use this schedd: an IDTOKEN or bearer token it accepts "
             "(SEC_TOKEN_DIRECTORY, BEARER_TOKEN_FILE)")


@dataclass(frozen=True)
class PoolSettings:
    collector: str | None = None  # host[:port]; None: the local configuration's
    schedd: str | None = None  # schedd name; None: the local schedd

    @classmethod
    def resolve(cls, collector: str | None = None, schedd: str | None = None,
                env: Mapping[str, str] | None = None, site: Site | None = None) -> PoolSettings:
        env = os.environ if env is None else env
        site = site or Site()
        return cls(collector or env.get("JOBSUB_COLLECTOR") or site.collector or None,
                   schedd or env.get("JOBSUB_SCHEDD") or site.schedd or None)


def condor_error(what: str, err: Exception, hint: str | None = None) -> JobsubError:
    """One line for a failure of the bindings: what we tried, what HTCondor said."""
    message = str(err).strip().rstrip(".") or type(err).__name__
    lowered = message.lower()
    if hint is None and any(w in lowered for w in ("authenticat", "denied", "permission",
                                                   "authoriz", "not authorized")):
        hint = AUTH_HINT
    return JobsubError(f"{what}: {message}", hint=hint)


class Pool:
    """A connection to one schedd (located through the collector)."""

    def __init__(self, settings: PoolSettings):
        import htcondor2

        self.htcondor = htcondor2
        self.settings = settings
        where = settings.collector or "the local HTCondor configuration's collector"
        try:
            self.collector = htcondor2.Collector(settings.collector) if settings.collector \
                else htcondor2.Collector()
            if settings.schedd:
                ad = self.collector.locate(htcondor2.DaemonType.Schedd, settings.schedd)
            else:
                ad = self.collector.locate(htcondor2.DaemonType.Schedd)
        except Exception as err:  # the bindings raise HTCondorException and others
            raise condor_error(f"cannot find the schedd through {where}", err,
                               "is HTCondor running and COLLECTOR_HOST (or --collector) "
                               "right? " + AUTH_HINT) from None
        if ad is None:
            raise JobsubError(f"no schedd named {settings.schedd!r} is known to {where}",
                              hint="check the name with: condor_status -schedd")
        self.schedd_ad = ad
        self.name: str = ad["Name"]
        self.schedd = htcondor2.Schedd(ad)

    def other(self, name: str) -> Pool:
        """The pool's schedd called `name` (job ids may say `@schedd`)."""
        if name == self.name:
            return self
        return Pool(PoolSettings(self.settings.collector, name))

    def call(self, what: str, fn, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            raise condor_error(f"{what} on schedd {self.name}", err) from None
