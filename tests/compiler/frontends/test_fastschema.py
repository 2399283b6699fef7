"""The compiled yes/no schema check agrees with jsonschema: on every manifest, site file and
IR we have, on random changes to them, and on the corners of JSON Schema's semantics."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from jobsub.compiler.frontends.fastschema import compile_schema
from jobsub.compiler.frontends.yamlsource import validator
from jobsub.compiler.ir.model import to_json
from jobsub.schemas import load as load_schema
from tests.helpers import compile_file

ROOT = Path(__file__).parents[3]
MANIFESTS = sorted([*(ROOT / "examples").glob("*.yaml"),
                    *(ROOT / "tests" / "data" / "manifests").rglob("*.yaml")])
SITES = sorted((ROOT / "sites").glob("*.yaml"))


def _load(path: Path):
    try:
        return YAML(typ="safe").load(path.read_text())
    except Exception:  # the syntax-error case
        return None


def agree(schema_name: str, doc) -> bool:
    schema = load_schema(schema_name)
    fast = compile_schema(schema)
    assert fast is not None
    slow = validator(schema).is_valid(doc)
    assert fast(doc) == slow, json.dumps(doc, default=str)[:400]
    return slow


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifests(path):
    agree("manifest.schema.json", _load(path))


@pytest.mark.parametrize("path", SITES, ids=lambda p: p.name)
def test_sites(path):
    assert agree("site.schema.json", _load(path))


def test_ir_of_the_corpus(corpus):
    for name in ("dagTest3", "dagTestH", "edge_nesting.dagnabbit"):
        wf, _, _ = compile_file(corpus / name)
        assert agree("ir.schema.json", to_json(wf))


def test_some_documents_are_invalid():
    """The agreement above is not only on valid documents."""
    results = [agree("manifest.schema.json", _load(p)) for p in MANIFESTS]
    assert any(results) and not all(results)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-2, 2, allow_nan=False)
    | st.sampled_from(["", "x", "1GB", "job.sh", "$(run)", "short", "a b", "OFFSITE"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["memory", "after", "count", "x", "retry", "script",
                                       "arguments", "executable"]), inner, max_size=3),
    max_leaves=6)


def _paths(doc, here=()):
    yield here
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*here, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*here, i))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([p for p in MANIFESTS if _load(p) is not None]), st.data())
def test_changed_manifests(path, data):
    doc = copy.deepcopy(_load(path))
    paths = [p for p in _paths(doc) if p]
    where = data.draw(st.sampled_from(paths))
    parent = doc
    for step in where[:-1]:
        parent = parent[step]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["memroy", "after", "count", "retry", "vars"]))] = \
            data.draw(_JSON)
    else:
        parent[where[-1]] = data.draw(_JSON)
    agree("manifest.schema.json", doc)


@pytest.mark.parametrize("schema, good, bad", [
    ({"type": "integer"}, [1, -3], [True, 1.5, "1", None, 1.0]),  # 1.0: not as written
    ({"type": "number", "minimum": 0}, [0, 2.5], [-1, False]),
    ({"minimum": 0}, ["x", -0.0, True], [-1]),  # keywords apply to their own types only
    ({"enum": [1, "a"]}, [1, 1.0, "a"], [True, "b"]),
    ({"const": False}, [False], [0, None]),
    ({"pattern": "^a"}, ["ab", 3], ["ba"]),
    ({"pattern": "b"}, ["abc"], ["a"]),  # search, not match
    ({"minLength": 2}, ["ab", 5], ["a"]),
    ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, [-1, "x", 0.5], [1]),
    # alternatives of distinct types: the value's own type picks one (a dict subclass, and
    # bool beside integer, go the counting way)
    ({"oneOf": [{"type": "string", "pattern": "^a"}, {"type": "object"},
                {"type": ["integer", "null"]}]},
     ["ab", {}, OrderedDict(), 3, None], ["b", 1.5, True, []]),
    ({"oneOf": [{"type": "number"}, {"type": "integer"}]}, [1.5], [1, "1"]),  # 1 passes both
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"],
      "additionalProperties": False}, [{"a": "x"}], [{}, {"a": 1}, {"a": "x", "b": 1}]),
    ({"propertyNames": {"pattern": "^[a-z]+$"}, "maxProperties": 1}, [{"ab": 1}, {}],
     [{"A": 1}, {"a": 1, "b": 2}]),
    ({"items": {"type": "string"}, "minItems": 1, "maxItems": 2}, [["a"], "x"],
     [[], [1], ["a", "b", "c"]]),
    ({"$defs": {"n": {"type": "integer"}}, "items": {"$ref": "#/$defs/n"}}, [[1, 2]], [["1"]]),
])
def test_semantics(schema, good, bad):
    fast = compile_schema(schema)
    slow = validator(schema)
    for value in good:
        assert fast(value) and slow.is_valid(value), value
    for value in bad:
        assert not fast(value) and not slow.is_valid(value), value


def test_unknown_keyword_means_no_fast_check():
    assert compile_schema({"type": "string", "format": "email"}) is None
    assert compile_schema({"properties": {"a": {"anyOf": [{}]}}}) is None
