"""How manifests are read: the fast pass must run on ruamel's C parser."""

from __future__ import annotations

import platform

import pytest


@pytest.mark.skipif(platform.python_implementation() != "CPython",
                    reason="the C parser exists for CPython only")
def test_the_fast_pass_reads_with_the_c_parser():
    """ruamel.yaml 0.19 stopped installing its C extension (ruamel.yaml.clib); without it
    the fast pass fell back to the pure-Python scanner and compiling a 100,000-job
    manifest took 95 s instead of 13 s. pyproject.toml asks for it; this says if it is
    missing."""
    from ruamel.yaml.main import CParser

    from jobsub.compiler.frontends.yamlsource import _yaml

    assert CParser is not None, "ruamel.yaml.clib is not installed"
    assert _yaml("safe").Parser is CParser
