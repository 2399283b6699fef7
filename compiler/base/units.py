"""Sizes and durations as jobsub_submit users write them, normalised to HTCondor's units.

Sizes are binary (1GB = 1024MB), as jobsub_lite computes them. Results are whole numbers,
rounded up, so a request is never smaller than what was asked for.
"""

from __future__ import annotations

import math
import re

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGT]i?B?|B)?\s*", re.IGNORECASE)
_FACTOR_KB = {"B": 1 / 1024, "K": 1, "M": 1024, "G": 1024**2, "T": 1024**3}

_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd])?\s*", re.IGNORECASE)
_FACTOR_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}

#: jobsub_lite's named lifetimes.
LIFETIMES = {"short": 3 * 3600, "medium": 8 * 3600, "long": 85200}


class UnitError(ValueError):
    """A value that does not parse; the message says what was expected."""


def size_kb(text: str, default_unit: str) -> float:
    """`text` in KiB; `default_unit` ('K' or 'M') applies to a bare number."""
    m = _SIZE.fullmatch(text)
    if not m:
        raise UnitError(f"{text!r} is not a size; expected NUMBER[KB|MB|GB|TB]")
    unit = (m.group(2) or default_unit)[0].upper()
    return float(m.group(1)) * _FACTOR_KB[unit]


def memory_mb(text: str) -> int:
    """`--memory`: a bare number is MB."""
    return _positive(math.ceil(size_kb(text, "M") / 1024), text, "memory")


def disk_kb(text: str) -> int:
    """`--disk`: a bare number is KB (jobsub_lite's help once said MB; its code uses KB)."""
    return _positive(math.ceil(size_kb(text, "K")), text, "disk")


def seconds(text: str) -> int:
    """`NUMBER[s|m|h|d]`; a bare number is seconds."""
    m = _DURATION.fullmatch(text)
    if not m:
        raise UnitError(f"{text!r} is not a duration; expected NUMBER[s|m|h|d]")
    return _positive(math.ceil(float(m.group(1)) * _FACTOR_S[(m.group(2) or "s").lower()]),
                     text, "duration")


def lifetime(text: str) -> int:
    """`--expected-lifetime` and `--timeout`: short, medium, long, or a duration."""
    named = LIFETIMES.get(text.strip().lower())
    if named is not None:
        return named
    if not _DURATION.fullmatch(text):
        raise UnitError(f"{text!r} is not a lifetime; expected short, medium, long "
                        "or NUMBER[s|m|h|d]")
    return seconds(text)


def count_or_zero(text: str) -> int:
    """A whole number, 0 or more (--maxConcurrent 0: no limit)."""
    value = _whole(text)
    if value < 0:
        raise UnitError(f"{text!r}: the number must be 0 (no limit) or more")
    return _positive(value, text, "number") if value else 0


def count(text: str) -> int:
    """A positive whole number (cpus, gpus, -N)."""
    return _positive(_whole(text), text, "number")


def _whole(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise UnitError(f"{text!r} is not a whole number") from None


#: The largest count, size (MB, KB) or duration (s) HTCondor reads as a whole number: a C
#: int. Written bigger, condor_submit reads something else (a float, or garbage).
INT_MAX = 2**31 - 1


def _positive(value: int, text: str, what: str) -> int:
    if value <= 0:
        raise UnitError(f"{text!r}: the {what} must be greater than zero")
    if value > INT_MAX:
        raise UnitError(f"{text!r}: the {what} is more than HTCondor can hold "
                        f"({INT_MAX:,} in its unit)")
    return value


#: The most a memory retry may multiply the request by at each try.
MAX_MEMORY_FACTOR = 16


def memory_retry(text: str) -> dict:
    """`--memory-retry N[:FACTOR[:MAX]]`: a job held or killed for using more memory than it
    asked for runs again, up to N times, each time asking FACTOR (default 2) times more, but
    never more than MAX (a size; bare number MB; default: no cap but N tries)."""
    parts = text.split(":")
    if len(parts) > 3 or not text.strip():
        raise UnitError(f"{text!r} is not N[:FACTOR[:MAX]], e.g. 3:2:16GB")
    tries = count(parts[0].strip())
    factor = 2.0
    if len(parts) > 1 and parts[1].strip():
        try:
            factor = float(parts[1].strip().strip("xX"))
        except ValueError:
            raise UnitError(f"{parts[1]!r} is not a factor; expected a number such as 2 "
                            "or 1.5") from None
        if not 1 < factor <= MAX_MEMORY_FACTOR:
            raise UnitError(f"{parts[1]!r}: the factor must be above 1 and at most "
                            f"{MAX_MEMORY_FACTOR}")
    cap = memory_mb(parts[2]) if len(parts) > 2 and parts[2].strip() else None
    return {"count": tries, "factor": factor, "max": cap}


# The reverses: a normalised value written back in the largest unit that holds it exactly,
# so that reading the text gives the value again (jobsub convert writes them).

def write_mb(mb: int) -> str:
    return f"{mb // 1024}GB" if mb % 1024 == 0 else f"{mb}MB"


def write_kb(kb: int) -> str:
    for unit, factor in (("TB", 1024 ** 3), ("GB", 1024 ** 2), ("MB", 1024)):
        if kb % factor == 0:
            return f"{kb // factor}{unit}"
    return f"{kb}KB"


def write_seconds(seconds: int) -> str:
    for unit, factor in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % factor == 0:
            return f"{seconds // factor}{unit}"
    return f"{seconds}s"


def write_pairs(pairs: list) -> dict | list:
    """KEY=VALUE pairs as a mapping, or as KEY=VALUE strings when a key repeats."""
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return {k: v for k, v in pairs}
    return [f"{k}={v}" for k, v in pairs]
