"""Semantic checks on the IR."""

from __future__ import annotations

import graphlib
import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.ir.check import check_workflow, find_cycle, find_cycles
from jobsub.compiler.ir.model import Edge, JobSpec, Node, Workflow


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


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.lists(st.integers(0, n - 1), min_size=1, max_size=3),
                                   st.lists(st.integers(0, n - 1), min_size=1, max_size=3)),
                         max_size=8))))
def test_find_cycle_agrees_with_graphlib(case):
    """A cycle is reported exactly when graphlib finds one, and it is a real cycle."""
    n, groups = case
    names = [f"n{i}" for i in range(n)]
    w = wf(names, [([names[p] for p in ps], [names[c] for c in cs]) for ps, cs in groups])
    sorter = graphlib.TopologicalSorter()
    for ps, cs in groups:
        for c in cs:
            sorter.add(names[c], *(names[p] for p in ps))
    try:
        sorter.prepare()
        acyclic = True
    except graphlib.CycleError:
        acyclic = False
    cycle = find_cycle(w)
    assert (cycle is None) == acyclic
    if cycle:
        arcs = {(names[p], names[c]) for ps, cs in groups for p in ps for c in cs}
        assert all((a, b) in arcs for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True))


def test_every_knot_of_cycles_is_reported_in_one_run():
    """Two separate cycles (and nodes stuck behind them) give two messages, not one per run."""
    w = wf(["a", "b", "c", "d", "e", "f"],
           [(["a"], ["b"]), (["b"], ["a"]), (["b"], ["c"]),
            (["d"], ["e"]), (["e"], ["f"]), (["f"], ["d"])])
    assert sorted(messages(w)) == ["dependency cycle: a -> b -> a",
                                   "dependency cycle: d -> e -> f -> d"]


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                         max_size=10))))
def test_one_cycle_per_strongly_connected_knot(case):
    """As many cycles as the graph has strongly connected components holding a cycle, each
    a real cycle inside its own component."""
    n, arcs = case
    names = [f"n{i}" for i in range(n)]
    w = wf(names, [([names[p]], [names[c]]) for p, c in arcs])
    reach = {(p, c) for p, c in arcs}
    for k, i, j in itertools.product(range(n), repeat=3):  # Warshall: transitive closure
        if (i, k) in reach and (k, j) in reach:
            reach.add((i, j))
    knots = {frozenset(j for j in range(n) if (i, j) in reach and (j, i) in reach)
             for i in range(n) if (i, i) in reach}
    cycles = find_cycles(w)
    assert len(cycles) == len(knots)
    for cycle in cycles:
        members = {int(name[1:]) for name in cycle}
        assert any(members <= knot for knot in knots)
        pairs = {(names[p], names[c]) for p, c in arcs}
        assert all((a, b) in pairs for a, b in zip(cycle, [*cycle[1:], cycle[0]], strict=True))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "A", "b", "parent", "Child", "all_nodes",
                                           "x y", "n+1", "", "ok.1", "é", ".a", "-x", ":y",
                                           "a\nb", "b\n", "a-b:c", "_", "PARENT",
                                           "\u212a", "k", "K"]),
                          st.sampled_from(["s", "t", None])), max_size=5))
def test_the_nodes_pass_at_once_only_where_each_would(nodes):
    """The nodes' names and specs are checked with loops in C first; that may pass them
    only where the node-by-node check would say nothing."""
    from jobsub.compiler.ir.check import _check_nodes, _nodes_if_sound

    wf = Workflow("w", "w.yaml", ".", nodes=[Node(n, s) for n, s in nodes])
    specs = {"s": JobSpec("s", "a.sh")}
    sink = Sink()
    slow = _check_nodes(wf, specs, sink)
    fast = _nodes_if_sound(wf, specs)
    assert fast is None or (not sink.diagnostics and
                            {name: wf.nodes[i] for name, i in fast.items()} == slow)
    assert fast is not None or sink.diagnostics


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(["a", "b", "c", "x"]), max_size=3),
                          st.lists(st.sampled_from(["a", "b", "c", "x"]), max_size=3)),
                max_size=4))
def test_forward_edges_name_only_known_nodes_and_make_no_cycle(edges):
    """check_workflow skips the unknown-name and cycle searches when every edge leads from
    earlier nodes to later ones; that may be said only of edges naming known nodes on both
    sides (x is no node), with no cycle."""
    from jobsub.compiler.ir.check import _forward_only

    wf = Workflow("w", "w.yaml", ".", nodes=[Node(n, None, subdag="s.dag") for n in "abc"],
                  edges=[Edge(p, c, None) for p, c in edges])
    index = {"a": 0, "b": 1, "c": 2}
    sink = Sink()
    check_workflow(wf, sink)
    if _forward_only(wf, index):
        assert all(p and c and {*p, *c} <= index.keys() for p, c in edges)
        assert not sink.diagnostics and find_cycles(wf) == []
    else:
        assert any(not p or not c or "x" in {*p, *c} or
                   max(map(index.get, p)) >= min(map(index.get, c)) for p, c in edges)
