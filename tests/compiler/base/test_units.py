"""Units as jobsub_submit users write them."""

from __future__ import annotations

import pytest

from jobsub.compiler.base import units


@pytest.mark.parametrize("text, mb", [("2GB", 2048), ("3G", 3072), ("1000", 1000),
                                      ("1000MB", 1000), ("1.5GB", 1536), ("512KB", 1),
                                      ("1TB", 1024 * 1024), ("2gb", 2048)])
def test_memory(text, mb):
    assert units.memory_mb(text) == mb


@pytest.mark.parametrize("text, kb", [("2GB", 2097152), ("500000", 500000), ("10GB", 10485760),
                                      ("100MB", 102400), ("1K", 1)])
def test_disk(text, kb):
    assert units.disk_kb(text) == kb


@pytest.mark.parametrize("text, s", [("short", 10800), ("medium", 28800), ("long", 85200),
                                     ("2d", 172800), ("3h", 10800), ("90m", 5400), ("45", 45),
                                     ("LONG", 85200)])
def test_lifetime(text, s):
    assert units.lifetime(text) == s


@pytest.mark.parametrize("fn, text", [(units.memory_mb, "lots"), (units.memory_mb, "0"),
                                      (units.disk_kb, "2XB"), (units.seconds, "2w"),
                                      (units.lifetime, "forever"), (units.count, "1.5"),
                                      (units.count, "0")])
def test_bad_values(fn, text):
    with pytest.raises(units.UnitError):
        fn(text)
