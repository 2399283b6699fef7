"""The manifest's schema: generated from the option table, documented, and the examples
valid against it; data-driven failing manifests report at the expected places."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from jobsub.compiler.frontends.manifestschema import build_manifest_schema
from jobsub.compiler.options.table import OPTIONS, Scope
from tests.helpers import compile_file

ROOT = Path(__file__).parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
BAD = sorted((ROOT / "tests" / "data" / "manifests" / "bad").glob("*.yaml"))


def test_committed_schema_matches_the_table():
    committed = json.loads((ROOT / "schemas" / "manifest.schema.json").read_text())
    assert committed == build_manifest_schema(), ("regenerate: python -m "
        "jobsub.compiler.frontends.manifestschema > schemas/manifest.schema.json")


def test_every_option_is_a_job_key():
    job = build_manifest_schema()["properties"]["jobs"]["additionalProperties"]["properties"]
    assert {o.dest for o in OPTIONS if o.scope is Scope.JOB} <= set(job)


def _properties(node, path=()):
    if isinstance(node, dict):
        for key, value in (node.get("properties") or {}).items():
            yield (*path, key), value
        for key, value in node.items():
            if key != "properties":
                yield from _properties(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _properties(value, (*path, i))


def test_every_key_is_described():
    undocumented = [p for p, v in _properties(build_manifest_schema())
                    if not v.get("description") and "$ref" not in v]
    assert undocumented == []


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid_and_compile(path):
    doc = YAML(typ="safe").load(path.read_text())
    jsonschema.validate(doc, build_manifest_schema())
    _, files, sink = compile_file(path)
    assert not sink.diagnostics, [str(d) for d in sink.diagnostics]
    assert files


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_manifests(path):
    """Each file says what it expects in '# expect: LINE:COL severity: text' comments."""
    wanted = re.findall(r"#\s*expect:\s*(\d+):(\d+) (error|warning): (.+)", path.read_text())
    assert wanted, "the case states no expectation"
    _, files, sink = compile_file(path)
    got = [(d.span.line, d.span.column, d.severity, d.message) for d in sink.diagnostics]
    for line, col, severity, text in wanted:
        assert any((ln, c, sev) == (int(line), int(col), severity) and text.strip() in msg
                   for ln, c, sev, msg in got), (line, col, text, got)
    assert files == [] or not any(s == "error" for _, _, s, _ in wanted)
