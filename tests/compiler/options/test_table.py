"""The option table is consistent, and the committed IR schema is generated from it."""

from __future__ import annotations

import json
from pathlib import Path

from jobsub.compiler.ir.schema import build_ir_schema
from jobsub.compiler.options.flags import FlagParser
from jobsub.compiler.options.table import OPTIONS, Kind, merge

ROOT = Path(__file__).parents[3]


def test_flags_are_unique():
    seen = {}
    for opt in OPTIONS:
        for flag in opt.flags:
            assert flag not in seen, f"{flag} in {opt.dest} and {seen.get(flag)}"
            seen[flag] = opt.dest


def test_both_spellings_of_every_long_flag():
    parser = FlagParser(OPTIONS)
    for opt in OPTIONS:
        for flag in opt.flags:
            if flag.startswith("--"):
                for spelling in (flag, "--" + flag[2:].replace("-", "_"),
                                 "--" + flag[2:].replace("_", "-")):
                    assert parser._lookup(spelling)[0] is opt, spelling


def test_every_option_has_help_and_converters_where_needed():
    for opt in OPTIONS:
        assert opt.help.strip()
        if opt.kind is Kind.CHOICE:
            assert set(opt.choices) == set(opt.flags)


def test_committed_ir_schema_matches_the_table():
    committed = json.loads((ROOT / "schemas" / "ir.schema.json").read_text())
    assert committed == build_ir_schema(), \
        "regenerate: python -m jobsub.compiler.ir.schema > schemas/ir.schema.json"


def test_merge_accumulates_lists_and_clears_conflicts():
    base = {"environment": [["A", "1"]], "memory": 1, "onsite": True}
    assert merge(base, {"environment": [["B", "2"]], "memory": 2, "site": ["X"]}) == {
        "environment": [["A", "1"], ["B", "2"]], "memory": 2, "site": ["X"]}


def test_timeout_takes_jobsub_lites_named_lengths():
    from jobsub.compiler.options.table import BY_DEST, Context

    convert = BY_DEST["timeout"].convert
    assert [convert(t, Context({})) for t in ("short", "Medium", "long", "90m", "45")] == \
        [3 * 3600, 8 * 3600, 85200, 5400, 45]
