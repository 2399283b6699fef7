"""Fuzzing `jobsub compile` in-process: whatever the input, the compiler must either write a
folder HTCondor's own parsers accept (exit 0) or report located errors and write nothing
(exit 1); exit 2 is bad usage. A traceback, another exit status, a leftover temporary folder
or an error without FILE:LINE:COL is a bug.

Inputs: mutations of the repository's dagnabbit files, YAML manifests and site policies
(lines deleted, duplicated, swapped, the file truncated, hostile tokens inserted, characters
replaced), random text, jobsub_submit command lines mixing every flag of the option table
with hostile values; and, built on purpose: YAML anchors and aliases (values that contain
themselves, alias bombs), nesting of any depth in both formats, numbers where text reaches
the job (which must arrive as written), and names holding control characters. Every case
must end within CASE_SECONDS: a hang is a failure like a crash.

Each property runs 200 examples by default: on two cores the file takes about 15 s when
nothing fails, about 35 s while failures are found and shrunk.
Environment:
  JOBSUB_FUZZ_EXAMPLES=N   run N examples per property instead (a longer hunt: 2000 examples
                           take about 30 s per property when nothing fails);
  JOBSUB_FUZZ_REPORT=FILE  append one JSON line per property: how many examples ended in
                           exit 0, 1 and 2 (to see that the fuzzing reaches both outcomes).
Hypothesis replays failures it saved in .hypothesis/ first; point HYPOTHESIS_STORAGE_DIRECTORY
elsewhere for a fresh search.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import re
import shutil
import signal
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import htcondor2
import pytest
from hypothesis import (
    HealthCheck,
    currently_in_test_context,
    given,
    is_hypothesis_test,
    note,
    settings,
)
from hypothesis import strategies as st

from jobsub.cli.main import main
from jobsub.compiler.base.limits import MAX_NESTING
from jobsub.compiler.options.table import OPTIONS
from tests.condor_syntax import decode_arguments, decode_environment, decode_vars_line
from tests.helpers import CORPUS, CORPUS_ENV, CORPUS_EXECUTABLES, CORPUS_SITE, make_executable

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
MANIFESTS = ROOT / "tests" / "data" / "manifests"
SITES = ROOT / "sites"

DEFAULT_EXAMPLES = 200
EXAMPLES_WANTED = int(os.environ.get("JOBSUB_FUZZ_EXAMPLES") or DEFAULT_EXAMPLES)
FUZZ = settings(max_examples=EXAMPLES_WANTED, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@dataclass(frozen=True)
class Seed:
    """A file to mutate; `folder` is copied next to it (None: the corpus executables)."""

    path: Path
    folder: Path | None
    site: str = "local"
    args: tuple[str, ...] = ()  # what the seed needs on the command line
    fails: bool = False  # the seed itself is meant to be rejected

    @property
    def text(self) -> str:
        return _read(self.path)


_TEXTS: dict[Path, str] = {}


def _read(path: Path) -> str:
    if path not in _TEXTS:
        _TEXTS[path] = path.read_text(encoding="utf-8")
    return _TEXTS[path]


#: Corpus inputs jobsub_lite's own tests expect to be rejected.
CORPUS_REJECTED = {"dagTest4", "dagTest5", "edge_lines.dagnabbit", "edge_outside.dagnabbit",
                   "edge_prepost.dagnabbit", "edge_prescript_first.dagnabbit"}
#: Manifests that use DAGMan features of a newer HTCondor than the default target.
NEWER_CONDOR = {"features.yaml", "weak.yaml"}
DAG_SEEDS = [
    *(Seed(p, None, CORPUS_SITE.get(p.name, "local"), fails=p.name in CORPUS_REJECTED)
      for sub in ("dagnabbit", "edge") for p in sorted((CORPUS / sub).iterdir())),
    *(Seed(p, EXAMPLES) for p in sorted(EXAMPLES.glob("*.dagnabbit"))),
]
YAML_SEEDS = [
    *(Seed(p, EXAMPLES) for p in sorted(EXAMPLES.glob("*.yaml"))),
    *(Seed(p, p.parent, fails=p.parent.name == "bad",
           args=("--condor-version", "25.14.0") if p.name in NEWER_CONDOR else ())
      for p in sorted(MANIFESTS.glob("**/*.yaml"))),
]
SITE_SEEDS = [SITES / "fermilab.yaml", SITES / "local.yaml"]
#: The workflow compiled under every mutated site policy (it compiles under both seeds).
SITE_WORKFLOW = EXAMPLES / "nested.dagnabbit"

LONG_WORD = "w" * 5000
COMMON_TOKENS = ['"', "'", "\\", "\t", "\r", "\r\n", "\n", "\x00", "$(", "$$(", ";", ",", "=",
                 "#", "é", "💥", "\u2028", LONG_WORD, "--", "-", ""]
DAG_TOKENS = ["<serial>", "</serial>", "<parallel>", "</parallel>", "<Serial>",
              "jobsub_submit", "jobsub submit", "prescript", "postscript", "file://",
              "file://nope.sh", "-f", "-e", "-d", "--memory", "--memory=", "-N", "--lines",
              '+Attr="x"', *COMMON_TOKENS]
YAML_TOKENS = [": ", "- ", "{", "}", "[", "]", "&a", "*a", "!!python/object:os.system",
               "!!binary", "<<: *a", "? ", "|", ">", "%YAML 1.1", "---", "...", "null", "~",
               "1e999", "0x10", "yes", ".inf", "jobs:", "name: x\nname: y\n", "version: 1",
               "executable: nope.sh", "after: [", "matrix:", "retry: -1", "memory: 1e999",
               "serial:", "parallel:", *COMMON_TOKENS]
SITE_TOKENS = ["{user}", "{group}", "{nope}", "tokens:", "usage_models:", "dropbox: x",
               "attributes:", "default_image:", "accounting_group:", "base_requirements:",
               *YAML_TOKENS]
#: Keys that are not plain names once YAML has read them.
ODD_KEYS = ["1", "0x10", "1.5", ".inf", "null", "~", "true", "no", "2024-01-01", "[a]",
            "[]", "{a: 1}", "{}", "? [a]", "''", '"a b"', '"$(x)"', "é", "a.b", "a/b", "-x",
            "jobs", "name", LONG_WORD]
HOSTILE_CHARS = ["<", ">", "/", '"', "'", "\\", "\t", "\r", "\n", "\x00", "$", "(", ")", ":",
                 "-", "#", "{", "}", "[", "]", "é", "💥", "\u2028", " "]
#: Any character that UTF-8 can hold (no lone surrogates).
ANY_CHAR = st.characters(exclude_categories=("Cs",))

#: The longest any one compile may take (a 10-line input takes well under a second).
CASE_SECONDS = 20
COUNTS: Counter = Counter()


class Hang(BaseException):
    """A compile that ran past CASE_SECONDS (BaseException: the CLI catches Exception)."""


@contextlib.contextmanager
def _time_bound(seconds: int = CASE_SECONDS):
    def fire(_signum, _frame):
        raise Hang(f"no answer within {seconds} s")

    before = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
_STUB_BIN: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _dagman_stub(tmp_path_factory):
    """Submit.from_dag wants an executable `condor_dagman` on PATH; any will do."""
    bindir = tmp_path_factory.mktemp("stubbin")
    make_executable(bindir / "condor_dagman", "#!/bin/sh\nexit 0\n")
    _STUB_BIN[:] = [bindir]
    yield
    _STUB_BIN.clear()


@pytest.fixture(autouse=True)
def _outcome_report(request):
    """Count examples per exit status, so a long run shows it reached every outcome."""
    COUNTS.clear()
    yield
    report = os.environ.get("JOBSUB_FUZZ_REPORT")
    if report and is_hypothesis_test(request.function):
        line = {"test": request.node.name, "examples": sum(COUNTS.values()),
                **{f"exit_{k}": v for k, v in sorted(COUNTS.items(), key=str)}}
        with open(report, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")


# --- inputs ---------------------------------------------------------------------------


#: A mapping key as YAML writes it: what the rename_key edit replaces.
YAML_KEY = re.compile(r"^([ \t]*(?:- )?)([^\s:#'\"{}\[\]-][^:#\n]*?)([ \t]*:(?:[ \t]|$))", re.M)


@st.composite
def mutated(draw, text: str, tokens: Sequence[str], keys: Sequence[str] = ()) -> str:
    """`text` after 1-4 edits; positions are drawn from the text as it is at each edit.
    With `keys`, an edit may also replace a YAML mapping key by one of them (job names and
    matrix variables that are numbers, null or collections reach code expecting strings)."""
    ops = ["delete", "duplicate", "swap", "truncate", "insert", "insert_line", "replace"]
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        op = draw(st.sampled_from([*ops, "rename_key"] if keys else ops))
        if op in ("delete", "duplicate", "swap") and lines:
            i = draw(st.integers(0, len(lines) - 1))
            if op == "delete":
                del lines[i]
            elif op == "duplicate":
                lines.insert(i, lines[i])
            else:
                j = draw(st.integers(0, len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif op == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif op == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(tokens)) + text[at:]
        elif op == "insert_line":
            at = draw(st.integers(0, len(lines)))
            lines.insert(at, draw(st.sampled_from(tokens)) + "\n")
            text = "".join(lines)
        elif op == "replace" and text:
            at = draw(st.integers(0, len(text) - 1))
            char = draw(st.one_of(st.sampled_from(HOSTILE_CHARS), ANY_CHAR))
            text = text[:at] + char + text[at + 1:]
        elif op == "rename_key":
            found = list(YAML_KEY.finditer(text))
            if found:
                key = draw(st.sampled_from(found))
                text = text[:key.start(2)] + draw(st.sampled_from(keys)) + text[key.end(2):]
    return text


def random_text(tokens: list[str]):
    """Text with no seed: any characters, bytes read as latin-1, or a soup of tokens."""
    return st.one_of(
        st.text(ANY_CHAR, max_size=400),
        st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
        st.lists(st.one_of(st.sampled_from(tokens), st.sampled_from([" ", "\n"]),
                           st.text(ANY_CHAR, max_size=8)), max_size=40).map("".join),
    )


# --- running the compiler -------------------------------------------------------------


def _populate(work: Path, folder: Path | None) -> None:
    """What a seed needs beside it: its folder's files, or the executables the corpus names."""
    if folder is not None:
        shutil.copytree(folder, work, dirs_exist_ok=True)
    else:
        for name in CORPUS_EXECUTABLES:
            make_executable(work / name)
        (work / "testdir").mkdir(exist_ok=True)


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8"))  # bytes: keep \r and \r\n as generated


@contextlib.contextmanager
def _isolated(work: Path, env: dict[str, str]):
    """Run in `work` with a known environment (no jobsub settings of the developer's), and
    put back the cwd, environment and SIGTERM handler the CLI changes."""
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_term = signal.getsignal(signal.SIGTERM)
    fresh = {k: v for k, v in saved_env.items()
             if not k.startswith(("JOBSUB_", "BEARER_TOKEN"))
             and k not in ("GROUP", "SUBMIT_FLAGS")}
    fresh.update(CORPUS_ENV)
    fresh.update(PWD=str(work), HOME=str(work), XDG_RUNTIME_DIR=str(work), JOBSUB_DEBUG="1",
                 PATH=os.pathsep.join([*map(str, _STUB_BIN), saved_env.get("PATH", "")]))
    fresh.update(env)
    os.environ.clear()
    os.environ.update(fresh)
    os.chdir(work)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        signal.signal(signal.SIGTERM, saved_term)


def _accepted_by_htcondor(out: Path) -> None:
    """Every submit file parses with htcondor2.Submit, every DAG with Submit.from_dag."""
    subs, dags = sorted(out.rglob("*.sub")), sorted(out.rglob("*.dag"))
    for sub in subs:
        parsed = htcondor2.Submit(sub.read_text(encoding="utf-8"))
        parsed.getQArgs()
        list(parsed.itemdata() or [])
    for dag in dags:
        os.chdir(dag.parent)  # DAGMan reads paths relative to its working directory
        htcondor2.Submit.from_dag(dag.name, {"force": True})


def compile_and_check(work: Path, source: Path, blame: Path, *, args: tuple[str, ...] = (),
                      env: dict[str, str] | None = None) -> int:
    """Run `jobsub compile SOURCE -o work/out ARGS` and assert the contract; `blame` is the
    file an error must be located in."""
    return run_and_check(work, ["compile", str(source), "-o", str(work / "out"), *args],
                         blame, env)


def compile_seed(work: Path, seed: Seed, text: str) -> int:
    """`text` in place of `seed`, beside what the seed needs, compiled under the seed's site."""
    _populate(work, seed.folder)
    source = work / seed.path.name
    _write(source, text)
    return compile_and_check(work, source, source, args=seed.args,
                             env={"JOBSUB_SITE_CONFIG": seed.site})


def run_and_check(work: Path, argv: list[str], blame: Path | None,
                  env: dict[str, str] | None = None) -> int:
    """Run `jobsub ARGV` (which writes work/out) and assert the contract. Exit 0 must leave
    a folder HTCondor accepts unless nothing was asked to be written (--emit-ir, --help:
    only without `blame`); exit 1 must have an error located in `blame`, when given."""
    out = work / "out"
    stdout, stderr = io.StringIO(), io.StringIO()
    with _isolated(work, env or {}), \
            contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            with _time_bound():
                code = main(argv)
        except SystemExit as stop:
            code = stop.code
        except Hang:
            COUNTS["hang"] += 1
            raise
        finally:
            gc.unfreeze()  # the CLI freezes what it made; a long run must not keep it all
        err = stderr.getvalue()
        if currently_in_test_context():  # shown with a falsifying example
            note(f"exit status {code!r}; stderr:\n{err}")
        COUNTS[code] += 1
        assert code in (0, 1, 2), f"exit status {code!r}"
        assert "Traceback" not in err and "internal error" not in err, err
        leftovers = [p.name for p in work.iterdir() if p.name.startswith(".out")]
        assert not leftovers, f"temporary folders left behind: {leftovers}"
        if code == 0:
            assert out.is_dir() or blame is None, "exit 0 but no output folder"
            if out.is_dir():
                _accepted_by_htcondor(out)
        else:
            assert not os.path.lexists(out), f"exit {code} but {out} was written"
        if code == 1 and blame is not None:
            located = re.compile(rf"^{re.escape(str(blame))}:\d+:\d+: error: ", re.M)
            assert located.search(err), f"no error located in {blame}:\n{err}"
    return code


# --- the properties -------------------------------------------------------------------


@st.composite
def dag_inputs(draw):
    seed = draw(st.sampled_from(DAG_SEEDS))
    return seed, draw(mutated(seed.text, DAG_TOKENS))


@st.composite
def yaml_inputs(draw):
    seed = draw(st.sampled_from(YAML_SEEDS))
    return seed, draw(mutated(seed.text, YAML_TOKENS, ODD_KEYS))


@st.composite
def site_inputs(draw):
    seed = draw(st.sampled_from(SITE_SEEDS))
    return seed, draw(mutated(_read(seed), SITE_TOKENS, ODD_KEYS))


@FUZZ
@given(dag_inputs())
def test_mutated_dagnabbit(case):
    """Mutated jobsub_lite dagnabbit files: located errors or accepted output, never a crash."""
    seed, text = case
    note(f"seed {seed.path.name}, text {text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        compile_seed(Path(tmp), seed, text)


@FUZZ
@given(yaml_inputs())
def test_mutated_manifest(case):
    """Mutated YAML manifests: YAML syntax, schema and semantic errors are all located."""
    seed, text = case
    note(f"seed {seed.path.relative_to(ROOT)}, text {text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        compile_seed(Path(tmp), seed, text)


@FUZZ
@given(site_inputs())
def test_mutated_site_policy(case):
    """A broken site policy file is reported in that file, for a workflow that is fine."""
    seed, text = case
    note(f"seed {seed.name}, text {text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, SITE_WORKFLOW.parent)
        policy = work / "site.yaml"
        _write(policy, text)
        compile_and_check(work, work / SITE_WORKFLOW.name, policy,
                          args=("--site-config", str(policy)),
                          env={"JOBSUB_GROUP": "fermilab"})


@FUZZ
@given(st.sampled_from([".dagnabbit", ".yaml"]), st.data())
def test_random_text(suffix, data):
    """Text from no seed at all, as a dagnabbit file and as a manifest."""
    text = data.draw(random_text(DAG_TOKENS if suffix == ".dagnabbit" else YAML_TOKENS))
    note(f"text {text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        _populate(work, None)
        source = work / f"random{suffix}"
        _write(source, text)
        compile_and_check(work, source, source, env={"JOBSUB_SITE_CONFIG": "local"})


@pytest.mark.parametrize("seed", [*DAG_SEEDS, *YAML_SEEDS], ids=lambda s: s.path.name)
def test_seeds_compile_as_expected(seed, tmp_path):
    """The fuzzing starts from working inputs: unmutated seeds compile (the ones meant to be
    rejected fail, located), so the temporary folders hold what the seeds need."""
    assert compile_seed(tmp_path, seed, seed.text) == (1 if seed.fails else 0)


@pytest.mark.parametrize("seed", SITE_SEEDS, ids=lambda p: p.name)
def test_site_seeds_compile(seed, tmp_path):
    """Both bundled policies, copied as files, compile the workflow the site fuzzing uses."""
    _populate(tmp_path, SITE_WORKFLOW.parent)
    policy = tmp_path / "site.yaml"
    _write(policy, _read(seed))
    assert compile_and_check(tmp_path, tmp_path / SITE_WORKFLOW.name, policy,
                             args=("--site-config", str(policy)),
                             env={"JOBSUB_GROUP": "fermilab"}) == 0


#: Every flag of the option table; the command-line fuzzing combines them with values.
JOB_FLAGS = sorted({f for o in OPTIONS for f in o.flags})
VALUES = ["1", "0", "-1", "2GB", "1e999", "3h", "x=y", "A", "A=b c", "usage_model=DEDICATED",
          "'", '"', "\\", "$(Cluster)", "$(nope)", "", " ", "é", "a,b", "#", LONG_WORD,
          "file://a.sh", "file://missing.sh", "dropbox://a.sh", "tardir://bin", "--"]


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(JOB_FLAGS), st.sampled_from(VALUES),
                          st.text(ANY_CHAR, max_size=12)), max_size=8),
       st.lists(st.sampled_from(VALUES), max_size=4))
def test_random_command_lines(options, arguments):
    """jobsub_submit's command line with any mix of flags and values (never submitted:
    -n): exit 0 with accepted output, or 1/2 with nothing written; never a crash."""
    note(f"argv {options!r} file://a.sh {arguments!r}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        make_executable(work / "a.sh")
        run_and_check(work, ["submit", "-n", *options, "-o", str(work / "out"),
                             "file://a.sh", *arguments], None, {"JOBSUB_SITE_CONFIG": "local"})


# --- built on purpose: aliases, depth, numbers, control characters ----------------------

SWEEP = "jobs:\n  a: {executable: bin/step.sh, arguments: [x]}\n"
ALIAS_SHAPES = [
    # (text, refers to itself): an anchor and an alias placed in the manifest's values
    ("x: &x [*x]\n" + SWEEP, True),
    ("jobs: &j\n  a: {executable: bin/step.sh, vars: {v: *j}}\n", True),
    ("jobs:\n  a: &a {executable: bin/step.sh, environment: {E: x}}\n  b: *a\n", False),
    ("t: &t {executable: bin/step.sh}\njobs:\n  a: *t\n  b: *t\n", False),
    ("jobs:\n  a: {executable: bin/step.sh, arguments: &a [1, 2]}\n"
     "  b: {executable: bin/step.sh, arguments: *a}\n", False),
    ("jobs:\n  a: {executable: bin/step.sh}\nserial: &s [a, *s]\n", True),
    ("jobs:\n  a: &a {executable: bin/step.sh, after: [*a]}\n", True),
]


@st.composite
def alias_documents(draw) -> str:
    """A manifest with anchors and aliases: a shape from ALIAS_SHAPES, or an alias bomb of
    drawn depth and fan-out whose last level is used as a job's arguments."""
    if draw(st.booleans()):
        return draw(st.sampled_from(ALIAS_SHAPES))[0]
    depth, fan = draw(st.integers(1, 9)), draw(st.integers(1, 12))
    lines = ["l0: &l0 [" + ", ".join(["x"] * fan) + "]"]
    for i in range(1, depth):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fan) + "]")
    lines += ["jobs:", f"  j: {{executable: bin/step.sh, arguments: *l{depth - 1}}}"]
    return "\n".join(lines) + "\n"


@FUZZ
@given(alias_documents())
def test_anchors_and_aliases(text):
    """Aliases that share a part compile; one that contains itself or expands past the
    bound is a located error; none hangs or crashes (the document has no top-level keys
    jobsub knows beside jobs: those are located errors too)."""
    note(f"text {text!r}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        source = work / "aliases.yaml"
        _write(source, text)
        compile_and_check(work, source, source, env={"JOBSUB_SITE_CONFIG": "local"})


@st.composite
def nested_documents(draw) -> tuple[str, str]:
    """(suffix, text): blocks or groups nested to a drawn depth, up to twice the limit, or
    YAML flow lists far deeper than any parser's stack."""
    kinds = draw(st.lists(st.sampled_from(["serial", "parallel"]), min_size=1,
                          max_size=2 * MAX_NESTING))
    form = draw(st.sampled_from(["dagnabbit", "yaml", "flow"]))
    if form == "dagnabbit":
        body = "jobsub_submit file://bin/step.sh x\n" * draw(st.integers(1, 3))
        return ".dagnabbit", ("".join(f"<{k}>\n" for k in kinds) + body
                              + "".join(f"</{k}>\n" for k in reversed(kinds)))
    if form == "yaml":
        group = "[a]"
        for k in reversed(kinds):
            group = f"[{{{k}: {group}}}]"
        return ".yaml", f"{SWEEP}serial: {group}\n"
    depth = draw(st.integers(1, 5000))
    return ".yaml", ("jobs:\n  a: {executable: bin/step.sh, arguments: "
                     + "[" * depth + "x" + "]" * depth + "}\n")


@FUZZ
@given(nested_documents())
def test_nesting_of_any_depth(case):
    """Nesting past the limit is a located error in the right file, never a RecursionError."""
    suffix, text = case
    note(f"suffix {suffix}, text {text[:200]!r}... ({len(text)} characters)")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        source = work / f"nested{suffix}"
        _write(source, text)
        compile_and_check(work, source, source, env={"JOBSUB_SITE_CONFIG": "local"})


#: YAML 1.2 number spellings: each must reach the job as written.
NUMBER_TEXTS = st.one_of(
    st.sampled_from(["1.10", "0x1F", "0o17", "1e3", "1E+3", "010", ".5", "-0.0", "+7",
                     "1_000", ".inf", "-.inf", ".nan", "0", "-0", "00", "1.0", "2e-1"]),
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)


@FUZZ
@given(st.lists(NUMBER_TEXTS, min_size=1, max_size=6), st.sampled_from(
    ["arguments", "environment", "vars", "matrix"]))
def test_numbers_reach_the_job_as_written(numbers, channel):
    """An unquoted number in any channel that reaches the job arrives as its text."""
    note(f"{channel}: {numbers!r}")
    job = "executable: bin/step.sh"
    if channel == "arguments":
        job += ", arguments: [" + ", ".join(numbers) + "]"
    elif channel == "environment":
        job += ", environment: {" + ", ".join(f"E{i}: {n}" for i, n in enumerate(numbers)) + "}"
    elif channel == "vars":
        job += ", vars: {" + ", ".join(f"v{i}: {n}" for i, n in enumerate(numbers)) + "}"
        job += ", arguments: [" + ", ".join(f"'$(v{i})'" for i in range(len(numbers))) + "]"
    else:
        job += ", matrix: {p: [" + ", ".join(numbers) + "]}, arguments: ['$(p)']"
    text = f"jobs:\n  a: {{{job}}}\n"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        source = work / "numbers.yaml"
        _write(source, text)
        code = compile_and_check(work, source, source, env={"JOBSUB_SITE_CONFIG": "local"})
        if code != 0:
            return  # YAML itself may refuse a spelling (located: checked above)
        dag = (work / "out" / "numbers.dag").read_text(encoding="utf-8")
        nodes = [decode_vars_line(ln)[1] for ln in dag.splitlines() if ln.startswith("VARS ")]
        if channel == "environment":
            env = dict(decode_environment((work / "out" / "a.sub").read_text().split(
                "environment             = ", 1)[1].split("\n", 1)[0]))
            assert [env[f"E{i}"] for i in range(len(numbers))] == numbers
        elif channel == "matrix":
            assert sorted(n["JOBSUB_ARGS"] for n in nodes) == sorted(numbers)
        else:
            [node] = nodes
            assert decode_arguments('"' + node["JOBSUB_ARGS"] + '"') \
                == numbers


CONTROL = st.sampled_from(["\x01", "\x07", "\x1b", "\t", "\x7f", "\n", "\r", "\x0b",
                           "\x0c", "\u2028", "\x85"])


@FUZZ
@given(CONTROL, st.sampled_from(["file", "name", "job", "category", "matrix", "vars",
                                  "template"]))
def test_names_with_control_characters(control, where):
    """A control character in a file name or a manifest name is refused, located, or
    kept out of every file written (never a raw line break in a generated file)."""
    bad = f"z{control}z"
    note(f"{where}: {bad!r}")
    job = {"executable": "bin/step.sh"}
    doc: dict = {"jobs": {"a": job}}
    if where == "name":
        doc["name"] = bad
    elif where == "job":
        doc["jobs"] = {bad: job}
    elif where == "category":
        job["category"] = bad
        doc["categories"] = {bad: {"maxjobs": 1}}
    elif where == "matrix":
        job["matrix"] = {bad: [1]}
    elif where == "vars":
        job["vars"] = {bad: "x"}
    elif where == "template":
        doc["templates"] = {bad: {"memory": "1GB"}}
        job["extends"] = bad
    name = f"w{control}x.yaml" if where == "file" else "w.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        _populate(work, EXAMPLES)
        source = work / name
        _write(source, json.dumps(doc))
        code = compile_and_check(work, source, source, env={"JOBSUB_SITE_CONFIG": "local"})
        if code == 0:
            for path in (work / "out").rglob("*"):
                if path.is_file() and path.suffix in (".dag", ".sub", ".sh", ".config"):
                    for line in path.read_text(encoding="utf-8").splitlines():
                        assert bad not in line, (path.name, line)
