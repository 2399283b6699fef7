"""The JSON Schema of the YAML job manifest, built from the option table so the two cannot
drift: every option of the table is a job key (its `dest`), with the forms YAML allows.

`schemas/manifest.schema.json` is this function's output, committed for editors
(`# yaml-language-server: $schema=...`) and printed by `jobsub schema`; a test fails if the
file and the table disagree (regenerate with
`python -m jobsub.compiler.frontends.manifestschema > schemas/manifest.schema.json`).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from jobsub.compiler.base.limits import MAX_NAME
from jobsub.compiler.ir.schema import whole
from jobsub.compiler.options.table import OPTIONS, Kind, Option, Scope

NAME_PATTERN = whole("[A-Za-z_][A-Za-z0-9_.-]*")
#: A name of the manifest's (job, template, category): it ends up in file names.
NAME = {"pattern": NAME_PATTERN, "maxLength": MAX_NAME}
VAR_PATTERN = whole("[A-Za-z_][A-Za-z0-9_]*")

_STR = {"type": "string"}
_SCALAR = {"type": ["string", "number", "boolean"]}


def _d(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, **schema}


def option_schema(opt: Option) -> dict[str, Any]:
    """The YAML forms of one option: what a user may write for it."""
    numeric = opt.schema.get("type") == "integer"
    one = {"type": ["string", "integer"]} if numeric else {"type": ["string", "number"]}
    if opt.kind is Kind.FLAG:
        return _d(opt.help, {"type": "boolean"})
    if opt.kind is Kind.CHOICE:
        return _d(opt.help, {"enum": sorted(set(opt.choices.values()))})
    if opt.kind is Kind.PAIR:
        return _d(opt.help + " In YAML: a mapping TAG: DIR, or a list of [TAG, DIR] pairs.", {
            "oneOf": [{"type": "object", "additionalProperties": _STR},
                      {"type": "array", "items": {"type": "array", "items": _STR,
                                                  "minItems": 2, "maxItems": 2}}]})
    if opt.kind is Kind.APPEND:
        if opt.yaml == "mapping":
            return _d(opt.help + f" In YAML: a mapping {opt.yaml_pair}, or a list of strings as on "
                                 "the command line.", {
                "oneOf": [{"type": "object",
                           "additionalProperties": {"type": ["string", "number", "boolean",
                                                             "null"]}},
                          {"type": "array", "items": _STR}]})
        return _d(opt.help + " In YAML: a string or a list of strings.",
                  {"oneOf": [_STR, {"type": "array", "items": _STR}]})
    if opt.yaml == "list":
        return _d(opt.help + " In YAML: a comma-separated string or a list.",
                  {"oneOf": [_STR, {"type": "array", "items": _STR, "minItems": 1}]})
    return _d(opt.help, one)


def _script() -> dict[str, Any]:
    return {"oneOf": [
        _d("The script's path (relative to the manifest), no arguments.", _STR),
        {"type": "object", "additionalProperties": False, "required": ["script"],
         "properties": {
             "script": _d("Path of the script, relative to the manifest's folder.", _STR),
             "arguments": _d("Its arguments. DAGMan's macros ($JOB, $RETURN, ...) are "
                             "allowed; no blanks inside an argument.",
                             {"type": "array", "items": _SCALAR}),
             "defer": _d("Run the script again later when it exits with `status`.", {
                 "type": "object", "additionalProperties": False,
                 "required": ["status", "time"],
                 "properties": {"status": _d("Exit status that defers.", {"type": "integer"}),
                                "time": _d("Seconds to wait.", {"type": "integer",
                                                                "minimum": 0})}}),
             "debug": _d("Capture the script's output in a file (HTCondor 23.3 and newer).", {
                 "type": "object", "additionalProperties": False, "required": ["file"],
                 "properties": {"file": _d("File to write.", _STR),
                                "stream": _d("Which stream (default ALL).",
                                             {"enum": ["STDOUT", "STDERR", "ALL"]})}}),
         }}]}


def _job_keys(template: bool) -> dict[str, Any]:
    keys: dict[str, Any] = {
        "extends": _d("Templates to start from, in order; this job's keys win.",
                      {"oneOf": [_STR, {"type": "array", "items": _STR}]}),
        "executable": _d("The program to run, relative to the manifest's folder "
                         "(file:// is optional).", _STR),
        "arguments": _d("The executable's arguments, one list item each; they reach the job "
                        "exactly. $(NAME) is an HTCondor macro (sweep parameters, "
                        "$(Process)); ${VAR} comes from the submitting environment.",
                        {"type": "array", "items": _SCALAR}),
        "vars": _d("DAGMan VARS for the node(s): macros the submit file can use as $(NAME).",
                   {"type": "object", "propertyNames": {"pattern": VAR_PATTERN},
                    "additionalProperties": _SCALAR}),
        "pre": _d("DAGMan PRE script, run on the access point before the job.", _script()),
        "post": _d("DAGMan POST script, run after the job ($RETURN is its exit code).",
                   _script()),
        "hold": _d("DAGMan HOLD script, run when the job is held.", _script()),
        "pre_skip": _d("Skip the node (as successful) when the PRE script exits with this.",
                       {"type": "integer"}),
        "retry": _d("Retry a failed node this many times, or {count, unless_exit, memory}.", {
            "oneOf": [{"type": "integer", "minimum": 1},
                      {"type": "object", "additionalProperties": False, "required": ["count"],
                       "properties": {
                           "count": _d("How many retries.", {"type": "integer", "minimum": 1}),
                           "unless_exit": _d("Do not retry when the node exits with this.",
                                             {"type": "integer"}),
                           "memory": _d("Held or killed for using more memory than it asked "
                                        "for, the job asks `factor` times more on its next "
                                        "try, at most `max` (same as memory_retry).", {
                               "type": "object", "additionalProperties": False,
                               "properties": {
                                   "factor": _d("Multiplier per try (default 2).",
                                                {"type": "number", "exclusiveMinimum": 1}),
                                   "max": _d("The most to ask for: NUMBER[KB|MB|GB|TB]; "
                                             "a bare number is MB.",
                                             {"type": ["string", "integer"]})}})}}]}),
        "priority": _d("DAGMan node priority (higher runs first).", {"type": "integer"}),
        "category": _d("Throttling category; see `categories`.",
                       {"type": "string", **NAME}),
        "abort_dag_on": _d("Abort the whole DAG when the node exits with `status` "
                           "(optionally making the DAG return `return`).", {
            "oneOf": [{"type": "integer"},
                      {"type": "object", "additionalProperties": False,
                       "required": ["status"],
                       "properties": {"status": _d("Node exit status.", {"type": "integer"}),
                                      "return": _d("The DAG's exit status.",
                                                   {"type": "integer"})}}]}),
        "noop": _d("Do not run the job (scripts still run).", {"type": "boolean"}),
        "done": _d("Mark the node as already done.", {"type": "boolean"}),
    }
    for opt in OPTIONS:
        if opt.scope is Scope.JOB:
            keys[opt.dest] = option_schema(opt)
    if not template:
        keys.update({
            "after": _d("Jobs this job runs after (all their nodes).",
                        {"oneOf": [_STR, {"type": "array", "items": _STR}]}),
            "after_weak": _d("Jobs this job runs after even if they fail (WEAK edges, "
                             "HTCondor 25.13.2 and newer).",
                             {"oneOf": [_STR, {"type": "array", "items": _STR}]}),
            "matrix": _d("Sweep: one item per combination of these parameters' values; each "
                         "parameter is $(NAME) in the job.", {
                "type": "object", "minProperties": 1,
                "propertyNames": {"pattern": VAR_PATTERN},
                "additionalProperties": {"type": "array", "items": _SCALAR, "minItems": 1}}),
            "foreach": _d("Sweep: one item per mapping of parameter values.", {
                "type": "array", "minItems": 1,
                "items": {"type": "object", "minProperties": 1,
                          "propertyNames": {"pattern": VAR_PATTERN},
                          "additionalProperties": _SCALAR}}),
            "expand": _d("How a sweep runs: one DAG node per item with its own VARS (nodes, "
                         "the default) or one node whose submit file queues every item "
                         "(queue).", {"enum": ["nodes", "queue"]}),
            "final": _d("The DAG's FINAL node: runs last, whatever happened.",
                        {"type": "boolean"}),
            "subdag": _d("Run another workflow (a manifest, or a .dag file) as this node.",
                         _STR),
        })
    return keys


def _structure() -> dict[str, Any]:
    return {"type": "array", "items": {"oneOf": [
        _d("A job name.", {"type": "string", **NAME}),
        {"type": "object", "additionalProperties": False, "minProperties": 1,
         "maxProperties": 1,
         "properties": {"serial": _d("Run these one after another.",
                                     {"$ref": "#/$defs/structure"}),
                        "parallel": _d("Run these side by side.",
                                       {"$ref": "#/$defs/structure"})}},
    ]}}


#: The largest whole number DAGMan and condor_submit read as one (a C int); a bigger one is
#: read as something else, so the schema refuses it.
INT_MAX = 2**31 - 1


def _bounded(schema: Any) -> Any:
    """`schema` with every integer limited to what HTCondor holds."""
    if isinstance(schema, dict):
        out = {k: _bounded(v) for k, v in schema.items()}
        types = out.get("type")
        if types == "integer" or (isinstance(types, list) and "integer" in types):
            out.setdefault("minimum", -INT_MAX - 1)
            out.setdefault("maximum", INT_MAX)
        return out
    if isinstance(schema, list):
        return [_bounded(v) for v in schema]
    return schema


def build_manifest_schema() -> dict[str, Any]:
    return _bounded(_manifest_schema())


def _manifest_schema() -> dict[str, Any]:
    job = {"type": "object", "additionalProperties": False, "properties": _job_keys(False)}
    template = {"type": "object", "additionalProperties": False,
                "properties": _job_keys(True)}
    defaults = {"type": "object", "additionalProperties": False,
                "properties": {k: v for k, v in _job_keys(True).items() if k != "extends"}}
    filename = {"type": "string", "minLength": 1}
    dag = {"type": "object", "additionalProperties": False, "properties": {
        "maxjobs": _d("At most this many node jobs in the queue.", {"type": "integer",
                                                                    "minimum": 1}),
        "maxidle": _d("Stop submitting while this many node jobs are idle.",
                      {"type": "integer", "minimum": 1}),
        "maxpre": _d("At most this many PRE scripts at once.", {"type": "integer",
                                                                "minimum": 1}),
        "maxpost": _d("At most this many POST scripts at once.", {"type": "integer",
                                                                  "minimum": 1}),
        "dot": _d("Write the DAG's graph in DOT form: a file, or {file, update, overwrite}.", {
            "oneOf": [filename, {"type": "object", "additionalProperties": False,
                                 "required": ["file"], "properties": {
                                     "file": _d("The DOT file.", filename),
                                     "update": _d("Rewrite it as the DAG runs.",
                                                  {"type": "boolean"}),
                                     "overwrite": _d("Overwrite instead of numbering.",
                                                     {"type": "boolean"})}}]}),
        "node_status_file": _d("Keep a node status file: a file, or {file, interval, "
                               "always_update}.", {
            "oneOf": [filename, {"type": "object", "additionalProperties": False,
                                 "required": ["file"], "properties": {
                                     "file": _d("The status file.", filename),
                                     "interval": _d("Minimum seconds between updates.",
                                                    {"type": "integer", "minimum": 0}),
                                     "always_update": _d("Write even when nothing changed.",
                                                         {"type": "boolean"})}}]}),
        "jobstate_log": _d("Write a machine-readable job state log to this file.", filename),
        "config": _d("DAGMan configuration knobs for this DAG (DAGMAN_*).", {
            "type": "object", "propertyNames": {"pattern": whole("[A-Za-z_][A-Za-z0-9_.]*")},
            "additionalProperties": _SCALAR}),
        "set_job_attr": _d("Attributes set on the DAGMan job's ad.", {
            "type": "object", "propertyNames": {"pattern": VAR_PATTERN},
            "additionalProperties": _SCALAR}),
    }}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://jobsub.invalid/schemas/manifest.schema.json",
        "title": "jobsub job manifest",
        "description": "A workflow for `jobsub compile`: jobs, their options (the "
                       "jobsub_submit options by their snake_case names), dependencies, "
                       "sweeps and DAGMan settings.",
        "type": "object",
        "additionalProperties": False,
        "required": ["jobs"],
        "properties": {
            "version": _d("Manifest format version.", {"const": 1}),
            "name": _d("Name of the workflow: the stem of the files written.",
                       {"type": "string", "pattern": whole("[A-Za-z0-9_][A-Za-z0-9_.-]*"),
                        "maxLength": MAX_NAME}),
            "defaults": _d("Options and settings every job starts from.", defaults),
            "templates": _d("Named sets of job keys that jobs `extends`.", {
                "type": "object", "propertyNames": NAME,
                "additionalProperties": template}),
            "jobs": _d("The jobs, by name.", {
                "type": "object", "minProperties": 1,
                "propertyNames": NAME,
                "additionalProperties": job}),
            "serial": _d("Run these jobs (or nested groups) one after another.",
                         {"$ref": "#/$defs/structure"}),
            "parallel": _d("Run these jobs (or nested groups) side by side.",
                           {"$ref": "#/$defs/structure"}),
            "categories": _d("Throttles: at most `maxjobs` node jobs of the category at once.", {
                "type": "object", "propertyNames": NAME,
                "additionalProperties": {
                    "type": "object", "additionalProperties": False, "required": ["maxjobs"],
                    "properties": {"maxjobs": _d("The limit.", {"type": "integer",
                                                                "minimum": 1})}}}),
            "dag": _d("DAG-wide settings.", dag),
        },
        "$defs": {"structure": _structure()},
    }


if __name__ == "__main__":
    json.dump(build_manifest_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
