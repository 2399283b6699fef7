"""Where a job may run and in what container, as jobsub_lite decides it, from its options and
the site policy. Pure functions: the emitter uses the results, the policy check reports the
warnings. jobsub_lite's test vectors (site_and_usagemodel, singularity_image,
site_blocklist) are this module's tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.site.policy import Policy

_IMAGE_LINE = re.compile(r"\s*(?:\+|[Mm][Yy]\.)SingularityImage\s*=\s*(.*)", re.IGNORECASE)


@dataclass
class Placement:
    sites: list[str] = field(default_factory=list)
    usage_models: str | None = None  # emitted as +DESIRED_usage_model
    provides: list[tuple[str, str]] = field(default_factory=list)  # +DESIRED_K = "V"
    warnings: list[str] = field(default_factory=list)

    @property
    def usage_requested(self) -> bool:
        return bool(self.usage_models) or any(k == "usage_model" for k, _ in self.provides)


def _normal_site(site: str, policy: Policy) -> str:
    if policy.onsite_site and site.lower() == policy.onsite_site.lower():
        return policy.onsite_site
    return site


def place(o: Mapping[str, Any], policy: Policy) -> Placement:
    """Sites and usage models of a job with options `o` (jobsub_lite's rules)."""
    um = policy.usage_models
    provides = [(k, v) for k, v in o.get("resource_provides", [])]
    asked = next((v for k, v in provides if k == "usage_model"), None)
    rest = [(k, v) for k, v in provides if k != "usage_model"]
    out = Placement(provides=rest)
    overridden = None
    if o.get("site"):
        out.sites = [_normal_site(s, policy) for s in o["site"]]
        if policy.onsite_site:
            onsite = [s == policy.onsite_site for s in out.sites]
            out.usage_models = (um.onsite_sites if all(onsite) else
                                um.mixed_sites if any(onsite) else um.offsite)
        overridden = "--site"
    elif o.get("onsite"):
        out.usage_models = um.onsite
        if policy.onsite_site and "OFFSITE" not in out.usage_models.upper().split(","):
            out.sites = [policy.onsite_site]
        overridden = "--onsite"
    elif o.get("offsite"):
        out.usage_models = um.offsite
        overridden = "--offsite"
    elif asked is not None:
        out.provides = provides  # usage_model stays a resource it provides
        if policy.onsite_site and "OFFSITE" not in asked.upper().split(","):
            out.sites = [policy.onsite_site]
    else:
        out.usage_models = um.default
    if asked is not None and overridden:
        out.warnings.append(f"--resource-provides usage_model={asked} is ignored because "
                            f"{overridden} decides the usage models")
    if overridden in ("--onsite", "--offsite") and not uses_usage_models(policy):
        out.warnings.append(
            f"{overridden} asks for usage model {out.usage_models}, but the {policy.name} "
            "site defines no usage models: unless its slots advertise HAS_usage_model the "
            "job never runs")
    return out


def uses_usage_models(policy: Policy) -> bool:
    """Whether the site sorts its slots by usage model (jobsub_lite's onsite/offsite): it
    names an onsite site or gives jobs usage models by default."""
    return policy.onsite_site is not None or policy.usage_models.default is not None


def blocked_sites(o: Mapping[str, Any]) -> list[str]:
    """Sites both requested and blocked (an error)."""
    sites = {s.lower() for s in o.get("site") or []}
    return [b for b in o.get("blocklist") or [] if b.lower() in sites]


@dataclass
class Image:
    image: str | None
    lines: list[str]
    warnings: list[str] = field(default_factory=list)


def image_line_value(line: str) -> str | None:
    m = _IMAGE_LINE.fullmatch(line)
    if not m:
        return None
    return m.group(1).strip().strip('"').replace('\\"', '"').strip('"\\')


def container(o: Mapping[str, Any], policy: Policy) -> Image:
    """The job's container image and its remaining --lines: a --singularity-image other than
    the default wins, then an image named in --lines, then the default; --no-singularity
    asks for none (jobsub_lite's precedence)."""
    lines = list(o.get("lines", []))
    from_lines = [(i, v) for i, line in enumerate(lines)
                  if (v := image_line_value(line)) is not None]
    kept = [line for i, line in enumerate(lines) if i not in {i for i, _ in from_lines}]
    warnings = []
    explicit = o.get("singularity_image")
    if o.get("no_singularity"):
        if from_lines:
            warnings.append("--lines SingularityImage is dropped: --no-singularity asks for "
                            "no container")
        return Image(None, kept, warnings)
    non_default = explicit is not None and explicit != policy.default_image
    if from_lines and non_default:
        warnings.append(f"--lines SingularityImage {from_lines[-1][1]} is ignored: "
                        f"--singularity-image {explicit} takes precedence")
        return Image(explicit, kept, warnings)
    if from_lines:
        return Image(from_lines[-1][1], kept, warnings)
    return Image(explicit or policy.default_image, lines, warnings)
