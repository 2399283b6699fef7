"""Semantic checks on the IR, whichever front end built it.

Names must be unique and usable by DAGMan, every reference must resolve, and the graph must be
acyclic (a cycle is printed in full). Edges are walked through one virtual join vertex per
`PARENT ... CHILD ...` line, so a parallel-to-parallel join costs |P| + |C|, not |P| x |C|.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from jobsub.compiler.base.diagnostics import Sink
from jobsub.compiler.base.quoting import MACRO_WITH_DEFAULT, macro_names
from jobsub.compiler.ir.model import JobSpec, Node, Workflow
from jobsub.compiler.site.placement import blocked_sites, container, place
from jobsub.compiler.site.policy import Policy

#: DAGMan node names: no whitespace, no `+` (splices); a conservative set both parsers accept.
NODE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
RESERVED = frozenset({"PARENT", "CHILD", "ALL_NODES"})


def check_workflow(wf: Workflow, sink: Sink) -> None:
    specs = {}
    folded: dict[str, JobSpec] = {}
    for spec in wf.specs:
        check_spec_options(spec, sink)
        other = folded.setdefault(spec.name.casefold(), spec)
        if other.name != spec.name:
            sink.error(f"job names {other.name} and {spec.name} differ only in case", spec.span,
                       "their submit files would be one file on a case-insensitive file "
                       "system; rename one", notes=[(other.span, "the other")]
                       if other.span else ())
        if spec.name in specs:
            sink.error(f"duplicate job spec name {spec.name}", spec.span,
                       notes=[(specs[spec.name].span, "first defined here")]
                       if specs[spec.name].span else ())
        else:
            specs[spec.name] = spec

    index = _nodes_if_sound(wf, specs)
    if index is None:
        _check_nodes(wf, specs, sink)
        index = _positions(wf)

    # Edges from earlier nodes to later ones only (a dagnabbit file's, most manifests'):
    # every name they give is a node's, and there is no cycle.
    forward = _forward_only(wf, index)
    for edge in () if forward else wf.edges:
        for name in (*edge.parents, *edge.children):
            if name not in index:
                sink.error(f"dependency on unknown node {name}", edge.span)

    check_vars_in_environment(wf, sink)
    check_memory_retry(wf, sink)
    for sub in wf.subdags:
        check_workflow(sub, sink)

    for cycle in () if forward else _cycles(wf, index):
        sink.error("dependency cycle: " + " -> ".join([*cycle, cycle[0]]),
                   wf.nodes[index[cycle[0]]].span, "remove one of these dependencies")


def _nodes_if_sound(wf: Workflow, specs: dict[str, JobSpec]) -> dict[str, int] | None:
    """Each node's position by name if _check_nodes would find nothing wrong with the nodes,
    decided with loops in C (a million nodes); None if it might, and it says what."""
    names = [node.name for node in wf.nodes]
    index = dict(zip(names, range(len(names)), strict=True))
    if len(index) == len(names) and _plain_names(names, index) \
            and {node.spec for node in wf.nodes} - {None} <= specs.keys():
        return index
    return None


def _plain_names(names: list[str], unique: Mapping[str, int]) -> bool:
    """Whether the distinct `names` (also the keys of `unique`) all match NODE_NAME, none is
    RESERVED and no two differ only in case: told over their text joined by newlines, in
    C. NODE_NAME is ASCII, so a name's case is its ASCII case."""
    text = "\n".join(names)
    if not text.isascii() or not all(names):
        return False
    raw = text.encode("ascii")
    # only name characters and the joining newlines (so no name holds one), and no name
    # starting with a character that may only follow
    if raw.translate(None, _NAME_BYTES) != b"\n" * (len(names) - 1) or \
            raw[:1] in (b".", b":", b"-") or b"\n." in raw or b"\n:" in raw or b"\n-" in raw:
        return False
    lower = text.lower()
    if lower == text:  # all lowercase: distinct, so distinct in any case
        return _RESERVED_LOWER.isdisjoint(unique)
    folded = set(lower.split("\n"))
    return len(folded) == len(names) and _RESERVED_LOWER.isdisjoint(folded)


#: The bytes of NODE_NAME's characters, and RESERVED in lowercase.
_NAME_BYTES = bytes(c for c in range(128) if NODE_NAME.fullmatch("a" + chr(c)))
_RESERVED_LOWER = frozenset(name.lower() for name in RESERVED)


def _check_nodes(wf: Workflow, specs: dict[str, JobSpec], sink: Sink) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    folded_nodes: dict[str, str] = {}
    for node in wf.nodes:
        if not NODE_NAME.fullmatch(node.name):
            sink.error(f"node name {node.name!r} is not a valid DAGMan node name", node.span,
                       "use letters, digits, '_', '.', ':' and '-' (no spaces or '+')")
        elif node.name.upper() in RESERVED:
            sink.error(f"node name {node.name} is reserved by DAGMan", node.span,
                       "choose another name")
        other_name = folded_nodes.setdefault(node.name.casefold(), node.name)
        if other_name != node.name:
            sink.error(f"node names {other_name} and {node.name} differ only in case", node.span,
                       "DAGMan's rescue and status files name nodes, and readers of them "
                       "often ignore case; rename one")
        if node.name in nodes:
            sink.error(f"duplicate node name {node.name}", node.span,
                       notes=[(nodes[node.name].span, "first defined here")]
                       if nodes[node.name].span else ())
        else:
            nodes[node.name] = node
        if node.spec is not None and node.spec not in specs:
            sink.error(f"node {node.name} uses unknown job spec {node.spec}", node.span)
    return nodes


_TEXTUAL_UNSAFE = re.compile(r"[\s\"'\\]")


def check_vars_in_environment(wf: Workflow, sink: Sink) -> None:
    """A node's VARS named in its job's `environment` reach it by HTCondor's textual macro
    substitution inside the quoted environment value, where a blank, a quote or a
    backslash would change what the job sees (arguments do not have this problem: the
    compiler puts VARS into them itself)."""
    used: dict[str, set[str]] = {}
    for spec in wf.specs:
        for _name, value in spec.options.get("environment", []):
            if value and "$(" in value:
                used.setdefault(spec.name, set()).update(
                    macro_names(m.group(1) for m in MACRO_WITH_DEFAULT.finditer(value)))
    if not used:
        return
    for node in wf.nodes:
        names = used.get(node.spec or "")
        for var, value in (node.vars.items() if names else ()):
            if var.lower() in names and _TEXTUAL_UNSAFE.search(value):
                sink.error(f"VARS {var} of node {node.name} is used in the environment of "
                           f"its job, and its value {value!r} holds a blank, a quote or a "
                           "backslash, which HTCondor's text substitution would change",
                           node.span, "pass the value as an argument instead, or simplify it")


def check_memory_retry(wf: Workflow, sink: Sink) -> None:
    """A memory retry asks for more on each try: its cap must be above the first request,
    and lines the user wrote must not replace what it writes. In a DAG, a job the kernel
    killed for memory (not held) comes back only through the node's retry."""
    for spec in wf.specs:
        retry = spec.options.get("memory_retry")
        if retry is None:
            continue
        memory = spec.options.get("memory", 0)
        if retry["max"] is not None and retry["max"] <= memory:
            sink.error(f"job {spec.name}: the memory retry's max ({retry['max']} MB) is not "
                       f"above the memory it asks for first ({memory} MB)", spec.span,
                       "raise max, or lower memory")
        for line in spec.options.get("lines", []):
            key = line.split("=", 1)[0].strip().lower()
            if key in ("request_memory", "periodic_release", "retry_request_memory",
                       "retry_request_memory_increase", "retry_request_memory_max"):
                sink.error(f"job {spec.name}: --lines sets {key}, which the memory retry "
                           "writes", spec.span, "drop the line or the memory retry")
    if wf.kind != "dag":
        return
    with_retry = {s.name for s in wf.specs if s.options.get("memory_retry")}
    for node in wf.nodes:
        if node.spec in with_retry and node.retry is None:
            sink.warning(f"node {node.name} has a memory retry but no retry: a job held for "
                         "memory runs again with more, one the kernel killed for it does not",
                         node.span, "add retry: N (in dagnabbit, a `retry N` line)")
            break


def check_spec_options(spec: JobSpec, sink: Sink) -> None:
    """Combinations of options that contradict each other once all layers are merged."""
    blocked = blocked_sites(spec.options)
    if blocked:
        sink.error(f"site {', '.join(blocked)} is both requested (--site) and blocked "
                   "(--blocklist)", spec.span, "remove it from one of the lists")


def check_policy(wf: Workflow, policy: Policy, sink: Sink) -> None:
    """What the site policy makes of each job: options it overrides are said, not hidden."""
    for spec in wf.specs:
        for message in [*place(spec.options, policy).warnings,
                        *container(spec.options, policy).warnings]:
            sink.warning(f"job {spec.name}: {message}", spec.span)
    for sub in wf.subdags:
        check_policy(sub, policy, sink)


def find_cycle(wf: Workflow) -> list[str] | None:
    """Node names on one cycle, in order, or None."""
    cycles = find_cycles(wf)
    return cycles[0] if cycles else None


def find_cycles(wf: Workflow) -> list[list[str]]:
    """One cycle (node names, in order) for each knot of the graph: each set of nodes that
    depend on each other, so that one run reports every place to mend."""
    index = _positions(wf)
    return [] if _forward_only(wf, index) else _cycles(wf, index)


def _positions(wf: Workflow) -> dict[str, int]:
    """Each node name's position (its first node's, if names repeat)."""
    index: dict[str, int] = {}
    for i, node in enumerate(wf.nodes):
        index.setdefault(node.name, i)
    return index


def _cycles(wf: Workflow, index: dict[str, int]) -> list[list[str]]:
    """find_cycles, given the positions: Kahn's algorithm over integer vertices (nodes, then
    one join vertex per edge) settles the acyclic case in one linear pass; only if vertices
    remain are their strongly connected components found and a cycle traced in each,
    without recursion."""
    n = len(wf.nodes)
    succ: list[list[int]] = [[] for _ in range(n + len(wf.edges))]
    indegree = [0] * len(succ)
    for k, edge in enumerate(wf.edges):
        join = n + k
        children = [index[c] for c in edge.children if c in index]
        succ[join] = children
        for c in children:
            indegree[c] += 1
        for p in edge.parents:
            if p in index:
                succ[index[p]].append(join)
                indegree[join] += 1
    ready = [v for v, d in enumerate(indegree) if d == 0]
    seen = 0
    while ready:
        v = ready.pop()
        seen += 1
        for w in succ[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    if seen == len(succ):
        return []
    left = [v for v, d in enumerate(indegree) if d > 0]
    loops = [_trace_cycle(succ, knot) for knot in _knots(succ, left)]
    return [[wf.nodes[v].name for v in loop if v < n] for loop in loops]


def _forward_only(wf: Workflow, index: dict[str, int]) -> bool:
    """Whether every edge leads from earlier nodes to later ones, so that the nodes' own
    order is a topological one and there is no cycle: what the front ends make from a
    dagnabbit file and from most manifests, told without building the graph (a million
    nodes' successor lists cost seconds). True also says every edge names nodes of
    `index` only, on both sides."""
    get = index.get
    for edge in wf.edges:
        try:
            if max(map(get, edge.parents)) >= min(map(get, edge.children)):
                return False
        except (TypeError, ValueError):  # an unknown name (None), or an empty side
            return False
    return True


def _knots(succ: list[list[int]], left: list[int]) -> list[list[int]]:
    """The strongly connected components among `left` that hold a cycle (Tarjan's
    algorithm, iterative), in the order of their first vertex."""
    allowed = set(left)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    knots: list[list[int]] = []
    for root in left:
        if root in index:
            continue
        work = [(root, iter(succ[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in allowed:
                    continue
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1 or v in succ[v]:
                    knots.append(sorted(component))
    return sorted(knots)


def _trace_cycle(succ: list[list[int]], left: list[int]) -> list[int]:
    """A cycle among `left` (the vertices Kahn's algorithm could not order)."""
    remaining = set(left)
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in left:
        if root in state:
            continue
        path = [root]
        iters = [iter(succ[root])]
        state[root] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if nxt not in remaining or state.get(nxt) == 2:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):]
            state[nxt] = 1
            path.append(nxt)
            iters.append(iter(succ[nxt]))
    return []
