"""The fast reader either reads a document exactly as ruamel does (same values, same types,
numbers with the same text) or declines; it never reads one differently."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.frontends import yamlfast
from jobsub.compiler.frontends.yamlsource import load, ruamel_plain, written

ROOT = Path(__file__).resolve().parents[3]


def same(fast, ruamel) -> bool:
    """Equal values of equal kinds all the way down (ruamel's round-trip containers and
    scalars are subclasses), numbers by the text a job gets."""
    if isinstance(fast, dict):
        return (isinstance(ruamel, dict) and list(fast) == list(ruamel)
                and all(same(fast[k], ruamel[k]) for k in fast))
    if isinstance(fast, list):
        return (isinstance(ruamel, list) and len(fast) == len(ruamel)
                and all(same(x, y) for x, y in zip(fast, ruamel, strict=True)))
    if isinstance(fast, bool) or fast is None:
        return fast is ruamel
    if isinstance(fast, int):
        return (isinstance(ruamel, int) and not isinstance(ruamel, bool)
                and written(fast) == written(ruamel) and fast == ruamel)
    return type(fast) is str and isinstance(ruamel, str) and fast == ruamel


def agrees(text: str) -> bool:
    """The fast reading is None or ruamel's: the one `jobsub` takes when it needs positions
    (round trip), which reads a little more than its C loader (`[http://x]`)."""
    fast = yamlfast.read(text)
    if fast is None:
        return True
    try:
        return same(fast, load(text, "t.yaml"))
    except JobsubError:
        return False


def test_a_large_plain_manifest_is_read_fast():
    text = "name: big\ndefaults: {memory: 1GB, expected_lifetime: 2h}\njobs:\n" + "".join(
        f"  j{i}: {{executable: job.sh, arguments: [--item, j{i}x, 42, -7], after: [j{i - 1}]}}\n"
        for i in range(1, 200))
    fast = yamlfast.read(text)
    assert fast is not None
    assert same(fast, ruamel_plain(text)) and agrees(text)
    assert fast["jobs"]["j5"]["arguments"] == ["--item", "j5x", 42, -7]


@pytest.mark.parametrize("text", [
    "a: [0x1F,2]\n",            # a number ruamel keeps the text of, inside a flow list
    "a: {b: 1_000}\n",
    "1_000: x\n",                # a key ruamel reads as a number
    "a: 1.10\n",
    "a: -0\n",
    "a: +5\n",
    "a: 010\n",
    "a: .inf\n",
    "a: -.5e3\n",                # text to ruamel, a float to ryaml
    "a: 2001-12-14\n",
    "b: {<<: {c: 1}}\n",
    "a: &x [1]\nb: *x\n",
    "a: !!binary aGVsbG8=\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: 1\na: 2\n",              # ruamel refuses duplicates
    "jobs:\n  a: {x: 1}\n# caf\x7f\n",  # ruamel refuses the character
    "1: x\n",
    "null: x\n",
    "a: 123456789012345678901234567890\n",
    # found by a review: the two parsers read these differently, or only libyaml takes them
    "- a\u2028- b\n", "- a\x85- b\n", "---\n\ufeffa: 1\n", "\ufeff<<: {a: 1}\n",
    "\ufeff010\n", '{"a":!!binary aGVsbG8=}\n', '{"a":!x 7}\n', "|\n...\n",
    "a:\t1\n", "a: b\t\n", "a: |#c\n  x\n", "a: 1\n...\n...\n",
    "jobs:\n  a:\n    arguments:\n      - --in=x\x85      - --out=y\n",
    "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]"
    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
])
def test_it_declines_what_ruamel_reads_its_own_way(text):
    assert yamlfast.read(text) is None


@pytest.mark.parametrize("path", sorted(
    [*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/**/*.yaml")]), ids=str)
def test_every_yaml_file_of_the_project_reads_alike(path):
    assert agrees(path.read_text(errors="replace"))


WORDS = ["a", "job.sh", "--item", "1GB", "2h", "yes", "on", "true", "TRUE", "tRue", "null",
         "~", "Null", "0", "7", "-7", "42", "-0", "+5", "010", "0o17", "0x1F", "0b101", "1_000",
         "1.10", "1.", ".5", "1e3", "-.5e3", ".inf", "-.Inf", ".nan", "nan", "inf",
         "2001-12-14", "12:30", "1:20:30", "<<", "=", "a b", "x#y", "1#2", "-", "--", "1-",
         "9223372036854775807", "18446744073709551616", "'1.10'", '"0x1F"', "'yes'", '"a\\tb"',
         "''", "a:b", "a:1", "http://x", "*.root", "&x", "!t", "%d",
         # a sign not before a number starts no number, but what follows a colon may be one
         "-a:1.5", "--a:1.5", "+x#1.5", "-x:0x1F", "--:1_000", "-.5:a", "+.inf", "-a", "+-1",
         "-_5", "+_3", "-_", "+_", "_5"]
SAFE = ["a", "job.sh", "--item", "1GB", "2h", "yes", "true", "tRue", "~", "0", "7", "-7",
        "nan", "12:30", "a b", "x#y", "1#2", "--", "1-", "'1.10'", '"0x1F"', "''", "a:1"]
KEYS = ["a", "b", "jobs", "'7'", "c d", "0x1F", "1_000", "7", "true", "<<"]
# mostly words it reads, so that many documents are read fast and compared
scalar = st.one_of(*[st.sampled_from(SAFE)] * 6, st.sampled_from(WORDS))
key = st.one_of(*[st.sampled_from(KEYS[:5])] * 6, st.sampled_from(KEYS))


def flow(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return scalar
    inner = flow(depth - 1)
    return st.one_of(
        scalar,
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(key, inner), max_size=3).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.lists(inner, max_size=3).map(lambda xs: "[" + ",".join(xs) + "]"))


@st.composite
def documents(draw) -> str:
    lines = []
    for k in draw(st.lists(key, min_size=1, max_size=5)):
        if draw(st.booleans()):
            lines.append(f"{k}: {draw(flow(2))}")
        else:
            lines.append(f"{k}:")
            lines += [f"  - {v}" for v in draw(st.lists(flow(1), min_size=1, max_size=3))]
        if draw(st.booleans()):
            lines.append(f"# {draw(scalar)}")
    return "\n".join(lines) + "\n"


def test_the_random_documents_include_ones_read_fast():
    """Else the test below could not fail."""
    find(documents(), lambda text: yamlfast.read(text) is not None and "{" in text
         and "[" in text and "- " in text, settings=settings(max_examples=2000))


@settings(max_examples=400, deadline=None)
@given(documents())
def test_random_documents_read_alike_or_not_at_all(text):
    assert agrees(text), text


def test_deep_flow_nesting_is_declined_at_once():
    """ryaml's parser is quadratic in it (100,000 brackets: minutes); ruamel's reader
    refuses such a document before parsing."""
    import time

    start = time.perf_counter()
    assert yamlfast.read("a: " + "[" * 100_000 + "]" * 100_000 + "\n") is None
    assert time.perf_counter() - start < 1.0


# -- a `jobs:` block of one-line jobs, read as JSON ------------------------------------------

JOB_WORDS = ["job.sh", "--item", "j1x", "a", "/bin/x", "-v", "--", "x=1", "a+b", "_u",
             "true", "Null", "FALSE", "trueish", "nullx", "1", "-1", "1GB", "-.5", ".5",
             "a:b", "a b", "'q'", '"q"', "~", "yes", "x#y", "-", "<<", "="]
JOB_NAMES = ["j1", "j2", "a.b", "x-y", "_z", "true", "null", "7", "a b"]
JOB_KEYS = ["executable", "arguments", "after", "x", "true"]


@st.composite
def job_values(draw) -> str:
    words = st.sampled_from(JOB_WORDS[:9]) if draw(st.booleans()) else st.sampled_from(JOB_WORDS)
    if draw(st.booleans()):
        return draw(words)
    return "[" + draw(st.sampled_from([", ", ", ", ","])).join(
        draw(st.lists(words, max_size=3))) + "]"


@st.composite
def job_blocks(draw) -> str:
    before = draw(st.sampled_from(["", "name: w\n", "defaults: {memory: 1GB}\n",
                                   "x: 'it''s'\n", "x: [a,\n  b]\n", "x: 'a\n  b'\n",
                                   "# a comment's\n", "x: {a: [1, 2]}\n"]))
    names = st.sampled_from(JOB_NAMES[:5]) if draw(st.booleans()) else \
        st.sampled_from(JOB_NAMES)
    keys = st.sampled_from(JOB_KEYS[:3]) if draw(st.booleans()) else st.sampled_from(JOB_KEYS)
    indent = draw(st.sampled_from(["  ", "  ", "    ", " "]))
    lines = []
    for name in draw(st.lists(names, min_size=1, max_size=4)):
        entries = [f"{k}: {draw(job_values())}"
                   for k in draw(st.lists(keys, min_size=1, max_size=3))]
        lines.append(f"{draw(st.sampled_from([indent] * 5 + [indent + ' ']))}{name}: {{"
                     + draw(st.sampled_from([", "] * 5 + [","])).join(entries) + "}")
    after = draw(st.sampled_from(["", "", "dag: {maxjobs: 5}\n", "\n  j9: {x: a}\n",
                                  "  # c\n"]))
    return before + "jobs:\n" + "\n".join(lines) + "\n" + after


def test_random_job_blocks_include_ones_read_as_json():
    """Else the test below could not fail."""
    import ryaml

    find(job_blocks(), lambda text: yamlfast._one_line_jobs(text, ryaml.loads) is not None
         and yamlfast.read(text) is not None and "[" in text.split("jobs:")[1]
         and text.startswith("defaults"), settings=settings(max_examples=2000))


@settings(max_examples=600, deadline=None)
@given(job_blocks())
def test_random_job_blocks_read_alike_or_not_at_all(text):
    assert agrees(text), text


@pytest.mark.parametrize("text", [
    "jobs:\n  a: {executable: x}\n  a: {executable: y}\n",         # a name twice
    "jobs:\n  a: {executable: x, executable: y}\n",                # a key twice
    "jobs:\n  a: {executable: x}\n    b: {executable: y}\n",       # not one block
    "x: [a,\njobs:\n  a: {executable: x}\n]\n",                    # inside a flow list
    "x: 'a\njobs:\n  a: {executable: x}\n'\njobs:\n",               # inside a quote
    # found by a review: quotes and brackets that counting took for closed
    'x: "a\\"\njobs:\n  j: {k: v}\n"\njobs:\n', "a'b: 'open\njobs:\n  j: {k: v}\n'\njobs:\n",
    "x: [a, # ]\njobs:\n  j: {k: v}\n]\njobs:\n", 'x: ["]",\njobs:\n  j: {k: v}\n]\njobs:\n',
    # and keys longer than YAML takes
    "jobs:\n  " + "a" * 1100 + ": {k: v}\n", "jobs:\n  j: {" + "a" * 1100 + ": v}\n",
])
def test_a_job_block_is_not_read_as_json_unless_it_is_one(text):
    import ryaml

    assert yamlfast._one_line_jobs(text, ryaml.loads) is None
    assert agrees(text)


def test_a_job_block_read_as_json_is_what_ruamel_reads():
    text = ("name: w\njobs:\n  j1: {executable: job.sh, arguments: [--item, j1x]}\n"
            "  j2: {executable: job.sh, arguments: [], after: [j1]}\n"
            "  j3: {executable: /bin/x, after: j2, arguments: [-v, x=1]}\n"
            "dag: {maxjobs: 5}\n")
    import ryaml

    assert yamlfast._one_line_jobs(text, ryaml.loads) is not None
    fast = yamlfast.read(text)
    assert same(fast, load(text, "t.yaml")) and list(fast) == ["name", "jobs", "dag"]
    assert fast["jobs"]["j3"] == {"executable": "/bin/x", "after": "j2",
                                  "arguments": ["-v", "x=1"]}
