"""Property tests (hypothesis): generated manifests and dagnabbit files never crash the
compiler; what compiles is acyclic and has every declared dependency; what does not is
reported with locations; dagnabbit -> convert -> manifest compiles to the same DAG."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from jobsub.compiler.base.diagnostics import Sink
from jobsub.compiler.frontends.dagnabbit import parse_tree
from jobsub.compiler.ir.check import find_cycle
from jobsub.compiler.tools.convert import to_manifest
from tests.helpers import compile_file, emitted_texts, make_executable

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
NAMES = [f"j{i}" for i in range(7)]


@st.composite
def manifests(draw):
    count = draw(st.integers(1, len(NAMES)))
    names = NAMES[:count]
    jobs = {}
    for name in names:
        job = {"executable": "a.sh",
               "arguments": draw(st.lists(st.sampled_from(["x", "two words", "$(p)", ""]),
                                          max_size=3))}
        after = draw(st.lists(st.sampled_from([*names, "missing"]), max_size=3, unique=True))
        if after:
            job["after"] = after
        if draw(st.booleans()):
            job["retry"] = draw(st.integers(1, 3))
        if draw(st.integers(0, 3)) == 0:
            job["matrix"] = {"p": draw(st.lists(st.integers(0, 9), min_size=1, max_size=3))}
            job["expand"] = draw(st.sampled_from(["nodes", "queue"]))
        jobs[name] = job
    doc = {"jobs": jobs}
    if draw(st.booleans()):
        pool = list(names)
        draw(st.randoms()).shuffle(pool)

        def group(depth):
            items = []
            while pool and draw(st.booleans()):
                if depth < 3 and draw(st.integers(0, 3)) == 0:
                    inner = group(depth + 1)
                    if inner:
                        items.append({draw(st.sampled_from(["serial", "parallel"])): inner})
                else:
                    items.append(pool.pop())
            return items
        structure = group(0)
        if structure:
            doc[draw(st.sampled_from(["serial", "parallel"]))] = structure
    return doc


@SETTINGS
@given(manifests())
def test_generated_manifests(doc):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_executable(folder / "a.sh")
        path = folder / "wf.yaml"
        with path.open("w") as fh:
            YAML().dump(doc, fh)
        wf, files, sink = compile_file(path)
        if sink.errors:
            assert all(d.span and d.span.line >= 1 for d in sink.errors), sink.errors
            assert files == []
            return
        assert files and find_cycle(wf) is None
        nodes_of = {name: [n.name for n in wf.nodes
                           if n.name == name or n.name.startswith(f"{name}_")]
                    for name in doc["jobs"]}
        pairs = {(p, c) for e in wf.edges for p in e.parents for c in e.children}
        for name, job in doc["jobs"].items():
            for parent in job.get("after", []):
                for p in nodes_of[parent]:
                    for c in nodes_of[name]:
                        assert (p, c) in pairs, (p, c)


@st.composite
def dagnabbits(draw):
    counter = iter(range(1000))
    words = st.sampled_from(["a", "'b c'", '"d e"', "f\\ g", "$(Cluster)", "-x", "''",
                             # a $ the manifest would read as ${VAR}/$VAR if unescaped
                             "'$HOME'", "'${X}'", "'a\\$b'", "'$$Y'", "'\\$Z'", "'$JOB'",
                             "'${JOB}'", "'$(A:b c)'", "'$()'", "'$ 1'"])

    def block(depth):
        lines = []
        for _ in range(draw(st.integers(1, 3))):
            if depth < 3 and draw(st.integers(0, 2)) == 0:
                tag = draw(st.sampled_from(["serial", "parallel"]))
                lines += [f"<{tag}>", *block(depth + 1), f"</{tag}>"]
            else:
                args = " ".join(draw(st.lists(words, max_size=3)))
                mem = draw(st.sampled_from(["", "--memory 1GB ", "-e A=1 ", "-e 'B=$HOME' "]))
                lines.append(f"jobsub_submit {mem}file://a.sh {next(counter)} {args}")
                if draw(st.integers(0, 3)) == 0:
                    lines.append("retry 2")
        return lines
    return "\n".join(["<serial>", *block(0), "</serial>"]) + "\n"


@SETTINGS
@given(dagnabbits())
def test_convert_roundtrip(text):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_executable(folder / "a.sh")
        src = folder / "wf.dagnabbit"
        src.write_text(text)
        wf, files, sink = compile_file(src)
        assert not sink.errors, sink.errors
        manifest = folder / "wf.yaml"
        manifest.write_text(to_manifest(wf, parse_tree(text, str(src), Sink()), src.name))
        _, files2, sink2 = compile_file(manifest)
        assert not sink2.errors, sink2.errors
        assert emitted_texts(files) == emitted_texts(files2)
