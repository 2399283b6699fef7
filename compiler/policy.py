"""Site policy: the facts about a pool that jobsub_lite hard-coded (usage models, onsite site
name, default container). The built-in `local` policy is a personal pool with none of them;
policy files come with site support. Emitters read these, never lab names in code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    name: str = "local"
    onsite_site: str | None = None  # the site --onsite means (jobsub_lite: FermiGrid)
    onsite_usage_models: str = "DEDICATED,OPPORTUNISTIC"
    offsite_usage_models: str = "OFFSITE"
    default_usage_models: str | None = None  # usage models when nothing is asked for
    default_image: str | None = None  # container image when none is asked for


LOCAL = Policy()
