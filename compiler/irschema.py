"""The JSON Schema of the IR, built from the option table so the two cannot drift.

`schemas/ir.schema.json` is this function's output, committed so that other tools can read
it; a test fails if the file and the table disagree (regenerate with
`python -m jobsub.compiler.irschema > schemas/ir.schema.json`).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any

from .diagnostics import JobsubError
from .ir import IR_VERSION
from .options import OPTIONS, Scope

_STRINGS = {"type": "array", "items": {"type": "string"}}
_SPAN = {
    "oneOf": [
        {"type": "null"},
        {"type": "object", "additionalProperties": False,
         "required": ["file", "line", "column", "end_line", "end_column"],
         "properties": {k: ({"type": "string"} if k == "file" else
                            {"type": "integer", "minimum": 0})
                        for k in ("file", "line", "column", "end_line", "end_column")}},
    ]
}
_NAME = {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.:-]*$"}


def build_ir_schema() -> dict[str, Any]:
    job_options = {
        o.dest: {"description": o.help, **o.value_schema}
        for o in OPTIONS if o.scope is Scope.JOB
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://jobsub.invalid/schemas/ir.schema.json",
        "title": "jobsub workflow IR",
        "description": "What `jobsub compile --emit-ir` prints: a workflow after parsing, "
                       "before files are written. Generated from the option table.",
        "type": "object",
        "additionalProperties": False,
        "required": ["ir_version", "name", "source", "base_dir", "kind", "user", "settings",
                     "specs", "nodes", "edges"],
        "properties": {
            "ir_version": {"const": IR_VERSION},
            "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
            "source": {"type": "string"},
            "base_dir": {"type": "string"},
            "kind": {"enum": ["dag", "job"]},
            "user": {"type": ["string", "null"]},
            "settings": {
                "type": "object", "additionalProperties": False,
                "required": ["max_jobs_submitted"],
                "properties": {"max_jobs_submitted": {"type": ["integer", "null"],
                                                      "minimum": 1}},
            },
            "specs": {"type": "array", "items": {"$ref": "#/$defs/spec"}},
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
        },
        "$defs": {
            "span": _SPAN,
            "options": {
                "description": "Normalised jobsub_submit option values, keyed by option name.",
                "type": "object", "additionalProperties": False,
                "properties": job_options,
            },
            "spec": {
                "type": "object", "additionalProperties": False,
                "required": ["name", "executable", "options", "span"],
                "properties": {"name": _NAME, "executable": {"type": "string", "minLength": 1},
                               "options": {"$ref": "#/$defs/options"},
                               "span": {"$ref": "#/$defs/span"}},
            },
            "script": {
                "type": "object", "additionalProperties": False,
                "required": ["kind", "executable", "arguments", "span"],
                "properties": {"kind": {"enum": ["PRE", "POST"]},
                               "executable": {"type": "string", "minLength": 1},
                               "arguments": _STRINGS, "span": {"$ref": "#/$defs/span"}},
            },
            "node": {
                "type": "object", "additionalProperties": False,
                "required": ["name", "spec", "arguments", "vars", "scripts", "retry", "span"],
                "properties": {"name": _NAME, "spec": _NAME, "arguments": _STRINGS,
                               "vars": {"type": "object",
                                        "additionalProperties": {"type": "string"}},
                               "scripts": {"type": "array",
                                           "items": {"$ref": "#/$defs/script"}},
                               "retry": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/retry"}]},
                               "span": {"$ref": "#/$defs/span"}},
            },
            "retry": {
                "type": "object", "additionalProperties": False,
                "required": ["count", "unless_exit"],
                "properties": {"count": {"type": "integer", "minimum": 1},
                               "unless_exit": {"type": ["integer", "null"]}},
            },
            "edge": {
                "type": "object", "additionalProperties": False,
                "required": ["parents", "children", "span"],
                "properties": {"parents": {**_STRINGS, "minItems": 1},
                               "children": {**_STRINGS, "minItems": 1},
                               "span": {"$ref": "#/$defs/span"}},
            },
        },
    }


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = build_ir_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def validate_ir(data: dict[str, Any]) -> None:
    """Raise JobsubError naming the first place where `data` breaks the IR schema."""
    error = next(iter(_validator().iter_errors(data)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise JobsubError(f"internal: IR does not match its schema at {where}: {error.message}")


if __name__ == "__main__":
    json.dump(build_ir_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
