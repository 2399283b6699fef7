"""`<serial>`/`<parallel>` blocks and `serial:`/`parallel:` groups mean the same thing: one
function turns either into edges, so that a converted file compiles to the same DAG."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jobsub.compiler.base.diagnostics import Span
from jobsub.compiler.ir.model import Edge

#: (entry nodes, exit nodes, where the part is written: a span, or a function looking it
#: up only for an edge)
Part = tuple[list[str], list[str], Span | Callable[[], Span | None] | None]


def group(kind: str, parts: Iterable[Part], edges: list[Edge]) -> tuple[list[str], list[str]]:
    """(entry nodes, exit nodes) of a group of parts; in a serial group each part's exits
    become the parents of the next part's entries (an edge located at that next part).
    Empty parts are skipped. The parts' lists are shared, not copied, by the edges and the
    result (a million-node file would hold a million more lists): nothing changes a list
    once a part is made, but the lists a parallel group makes here."""
    entries: list[str] = []
    exits: list[str] = []
    for first, last, where in parts:
        if not first:
            continue
        if kind == "parallel":
            entries += first
            exits += last
        else:
            if exits:
                edges.append(Edge(exits, first, where if where is None or
                                  isinstance(where, Span) else where()))
            else:
                entries = first
            exits = last
    return entries, exits
