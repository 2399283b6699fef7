"""The JSON Schema of the IR, built from the option table so the two cannot drift.

`schemas/ir.schema.json` is this function's output, committed so that other tools can read
it; a test fails if the file and the table disagree (regenerate with
`python -m jobsub.compiler.ir.schema > schemas/ir.schema.json`).
"""

from __future__ import annotations

import json
import sys
from functools import lru_cache
from typing import Any

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.ir.model import IR_VERSION
from jobsub.compiler.options.table import OPTIONS, Scope


def whole(body: str) -> str:
    r"""A schema pattern that `body` must match all of. `$` alone also matches before a
    final line break in Python's re (which jsonschema and fastschema use), so `name\n`
    would pass; `(?![\s\S])` (nothing follows) means the same in ECMA-262, editors' regex."""
    return f"^{body}$(?![\\s\\S])"


_STRINGS = {"type": "array", "items": {"type": "string"}}
_NAME = {"type": "string", "pattern": whole("[A-Za-z0-9_][A-Za-z0-9_.:-]*")}


def _obj(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "required": list(properties),
            "properties": properties}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [{"type": "null"}, schema]}


_INT = {"type": "integer"}
_OPT_INT = {"type": ["integer", "null"]}
_OPT_STR = {"type": ["string", "null"]}
_BOOL = {"type": "boolean"}
_STRMAP = {"type": "object", "additionalProperties": {"type": "string"}}


def build_ir_schema() -> dict[str, Any]:
    job_options = {
        o.dest: {"description": o.help, **o.value_schema}
        for o in OPTIONS if o.scope is Scope.JOB
    }
    ref = lambda name: {"$ref": f"#/$defs/{name}"}  # noqa: E731
    workflow = _obj({
        "name": {"type": "string", "pattern": whole("[A-Za-z0-9_][A-Za-z0-9_.-]*")},
        "source": {"type": "string"},
        "base_dir": {"type": "string"},
        "kind": {"enum": ["dag", "job"]},
        "user": _OPT_STR,
        "specs": {"type": "array", "items": ref("spec")},
        "nodes": {"type": "array", "items": ref("node")},
        "edges": {"type": "array", "items": ref("edge")},
        "settings": ref("settings"),
        "subdags": {"type": "array", "items": ref("workflow")},
    })
    top = dict(workflow)
    top["required"] = ["ir_version", *workflow["required"]]
    top["properties"] = {"ir_version": {"const": IR_VERSION}, **workflow["properties"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://jobsub.invalid/schemas/ir.schema.json",
        "title": "jobsub workflow IR",
        "description": "What `jobsub compile --emit-ir` prints: a workflow after parsing, "
                       "before files are written. Generated from the option table.",
        **top,
        "$defs": {
            "workflow": workflow,
            "span": _nullable(_obj({k: ({"type": "string"} if k == "file" else
                                        {"type": "integer", "minimum": 0})
                                    for k in ("file", "line", "column", "end_line",
                                              "end_column")})),
            "options": {
                "description": "Normalised jobsub_submit option values, keyed by option name.",
                "type": "object", "additionalProperties": False,
                "properties": job_options,
            },
            "queue": _nullable(_obj({"names": _STRINGS,
                                     "rows": {"type": "array", "items": _STRINGS}})),
            "spec": _obj({"name": _NAME, "executable": {"type": "string", "minLength": 1},
                          "options": ref("options"), "span": ref("span"),
                          "queue": ref("queue"),
                          "oauth": _nullable(_obj({"service": {"type": "string"},
                                                   "handle": {"type": "string"},
                                                   "scopes": _STRINGS}))}),
            "script": _obj({
                "kind": {"enum": ["PRE", "POST", "HOLD"]},
                "executable": {"type": "string", "minLength": 1},
                "arguments": _STRINGS, "span": ref("span"),
                "defer": _nullable(_obj({"status": _INT, "time": _INT})),
                "debug": _nullable(_obj({"file": {"type": "string"},
                                         "stream": {"enum": ["STDOUT", "STDERR", "ALL"]}})),
            }),
            "node": _obj({
                "name": _NAME, "spec": {"oneOf": [{"type": "null"}, _NAME]},
                "arguments": _STRINGS, "vars": _STRMAP,
                "scripts": {"type": "array", "items": ref("script")},
                "retry": _nullable(_obj({"count": {"type": "integer", "minimum": 1},
                                         "unless_exit": _OPT_INT})),
                "span": ref("span"),
                "pre_skip": _OPT_INT, "priority": _OPT_INT, "category": _OPT_STR,
                "abort_on": _nullable(_obj({"status": _INT, "return_value": _OPT_INT})),
                "final": _BOOL, "noop": _BOOL, "done": _BOOL, "subdag": _OPT_STR,
                "section": {"type": ["integer", "null"], "minimum": 0},
            }),
            "edge": _obj({"parents": {**_STRINGS, "minItems": 1},
                          "children": {**_STRINGS, "minItems": 1},
                          "span": ref("span"), "weak": _BOOL}),
            "settings": _obj({
                "max_jobs_submitted": _OPT_INT, "max_idle": _OPT_INT, "max_pre": _OPT_INT,
                "max_post": _OPT_INT,
                "dot": _nullable(_obj({"file": {"type": "string"}, "update": _BOOL,
                                       "overwrite": _BOOL})),
                "node_status_file": _nullable(_obj({"file": {"type": "string"},
                                                    "interval": _OPT_INT,
                                                    "always_update": _BOOL})),
                "jobstate_log": _OPT_STR, "config": _STRMAP, "set_job_attr": _STRMAP,
                "categories": {"type": "object", "additionalProperties": _INT},
            }),
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
