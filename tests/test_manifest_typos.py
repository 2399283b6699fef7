"""A typo anywhere in the example manifests is reported at its line and column: every key
the format defines, and every value that names something (a job, a template, a file, a
category), is mistyped in turn and the diagnostic must point exactly there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from jobsub.compiler.frontends.manifestschema import build_manifest_schema
from tests.helpers import compile_file

EXAMPLES = Path(__file__).parent.parent / "examples"
FEATURES = Path(__file__).parent / "data" / "manifests" / "features" / "features.yaml"
CASES = [*sorted(EXAMPLES.glob("*.yaml")), FEATURES]
REFERENCE_KEYS = {"after", "extends", "executable", "script", "category", "subdag"}


def _resolve(schema, node):
    while isinstance(node, dict) and "$ref" in node:
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    return node


def _object_schemas(schema, node):
    """The object-shaped alternatives of a subschema."""
    node = _resolve(schema, node)
    if not isinstance(node, dict):
        return []
    if "oneOf" in node:
        return [s for alt in node["oneOf"] for s in _object_schemas(schema, alt)]
    return [node] if node.get("type") == "object" else []


def _defined(schema, node, key) -> bool:
    return any(key in (o.get("properties") or {}) for o in _object_schemas(schema, node))


def _child(schema, node, key):
    for o in _object_schemas(schema, node):
        if key in (o.get("properties") or {}):
            return o["properties"][key]
        if isinstance(o.get("additionalProperties"), dict):
            return o["additionalProperties"]
    return None


def _items(schema, node):
    node = _resolve(schema, node)
    if isinstance(node, dict):
        if "items" in node:
            return node["items"]
        for alt in node.get("oneOf", []):
            alt = _resolve(schema, alt)
            if isinstance(alt, dict) and "items" in alt:
                return alt["items"]
    return None


def mutations(doc, schema):
    """(description, where) for each key the schema defines and each reference value,
    found by walking the document beside its schema."""
    out = []

    def walk(node, sub, path):
        if isinstance(node, dict):
            for key in list(node):
                child = _child(schema, sub, key)
                name = "/".join(map(str, (*path, key)))
                if _defined(schema, sub, key):
                    out.append((f"key {name}", (tuple(path), "key", key)))
                value = node[key]
                if key in REFERENCE_KEYS and isinstance(value, str):
                    out.append((f"value {name}", (tuple(path), "value", key)))
                if key in REFERENCE_KEYS and isinstance(value, list):
                    out.extend((f"item {name}/{i}", (tuple((*path, key)), "item", i))
                               for i, item in enumerate(value) if isinstance(item, str))
                walk(value, child, [*path, key])
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, _items(schema, sub), [*path, i])

    walk(doc, schema, [])
    return out


def apply(doc, where):
    path, kind, key = where
    node = doc
    for step in path:
        node = node[step]
    if kind == "key":
        position = list(node).index(key)
        value = node.pop(key)
        node.insert(position, key + "x", value)
    else:
        node[key] = node[key] + "x"


def where_now(doc, where) -> tuple[int, int]:
    """Line and column of the mistyped key or value in the document as written out."""
    path, kind, key = where
    node = doc
    for step in path:
        node = node[step]
    if kind == "key":
        line, col = node.lc.key(key + "x")
    elif kind == "value":
        line, col = node.lc.value(key)
    else:
        line, col = node.lc.item(key)
    return line + 1, col + 1


def _cases():
    yaml = YAML()
    schema = build_manifest_schema()
    for path in CASES:
        doc = yaml.load(path.read_text())
        for description, where in mutations(doc, schema):
            yield pytest.param(path, where, id=f"{path.stem}:{description}")


@pytest.mark.parametrize("path, where", list(_cases()))
def test_typo_is_reported_where_it_is(tmp_path, path, where):
    folder = tmp_path / "w"
    shutil.copytree(path.parent, folder)
    yaml = YAML()
    doc = yaml.load(path.read_text())
    apply(doc, where)
    target = folder / path.name
    with target.open("w") as fh:
        yaml.dump(doc, fh)
    line, col = where_now(yaml.load(target.read_text()), where)
    _, _, sink = compile_file(target, env={"FEATURES_MARKER": "/tmp/marker"})
    places = {(d.span.line, d.span.column) for d in sink.diagnostics if d.span}
    assert (line, col) in places, [f"{d.span}: {d.message}" for d in sink.diagnostics]
