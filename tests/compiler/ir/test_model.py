"""The IR's JSON form: valid against the schema, and a lossless round trip."""

from __future__ import annotations

import json

import jsonschema
import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.ir.model import from_json, to_json
from jobsub.compiler.ir.schema import validate_ir
from jobsub.schemas import load as load_schema
from tests.helpers import compile_file


@pytest.mark.parametrize("name", ["dagTest3", "dagTest8", "dagTestH", "edge_nesting.dagnabbit"])
def test_roundtrip_and_schema(corpus, name):
    wf, _, sink = compile_file(corpus / name)
    assert not sink.errors
    data = to_json(wf)
    jsonschema.validate(data, load_schema("ir.schema.json"))  # the shipped file
    again = to_json(from_json(json.loads(json.dumps(data))))
    assert again == data


def test_schema_rejects_what_the_table_forbids(corpus):
    wf, _, _ = compile_file(corpus / "dagTest")
    data = to_json(wf)
    data["specs"][0]["options"]["memroy"] = 5
    with pytest.raises(JobsubError, match="memroy"):
        validate_ir(data)
    data = to_json(wf)
    data["specs"][0]["options"]["memory"] = "2GB"
    with pytest.raises(JobsubError, match="options/memory"):
        validate_ir(data)
