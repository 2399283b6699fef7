"""Semantic checks on the IR."""

from __future__ import annotations

import itertools

from jobsub.compiler.check import check_workflow, find_cycle
from jobsub.compiler.diagnostics import Sink, Span
from jobsub.compiler.ir import Edge, JobSpec, Node, Workflow


def wf(nodes, edges):
    return Workflow("w", "w", "/", specs=[JobSpec("s", "a.sh")],
                    nodes=[Node(n, "s", span=Span("w", i + 1, 1)) for i, n in enumerate(nodes)],
                    edges=[Edge(p, c) for p, c in edges])


def messages(w):
    sink = Sink()
    check_workflow(w, sink)
    return [d.message for d in sink.errors]


def test_clean():
    assert messages(wf(["a", "b"], [(["a"], ["b"])])) == []


def test_cycle_is_printed():
    w = wf(["a", "b", "c", "d"], [(["a"], ["b"]), (["b", "d"], ["c"]), (["c"], ["a", "d"])])
    cycle = find_cycle(w)
    assert cycle is not None and set(cycle) <= {"a", "b", "c", "d"}
    assert messages(w) == ["dependency cycle: " + " -> ".join([*cycle, cycle[0]])]


def test_self_loop():
    assert messages(wf(["a"], [(["a"], ["a"])])) == ["dependency cycle: a -> a"]


def test_names():
    assert messages(wf(["a", "a", "PARENT", "x+y", "all_nodes"], [(["a"], ["zz"])])) == [
        "duplicate node name a",
        "node name PARENT is reserved by DAGMan",
        "node name 'x+y' is not a valid DAGMan node name",
        "node name all_nodes is reserved by DAGMan",
        "dependency on unknown node zz",
    ]


def test_long_chain_does_not_recurse():
    names = [f"n{i}" for i in range(50_000)]
    w = wf(names, [([a], [b]) for a, b in itertools.pairwise(names)])
    assert find_cycle(w) is None


def test_site_both_requested_and_blocked():
    w = wf(["a"], [])
    w.specs[0].options = {"site": ["SiteA", "SiteB"], "blocklist": ["siteb"]}
    assert messages(w) == ["site siteb is both requested (--site) and blocked (--blocklist)"]
