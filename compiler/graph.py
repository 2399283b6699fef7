"""`jobsub graph`: the workflow's dependency graph in Graphviz DOT.

Large joins (every parent of a PARENT/CHILD line to every child) are drawn through one small
point, as DAGMan itself joins them, so a 1,000 x 1,000 join is 2,000 edges, not a million.
"""

from __future__ import annotations

import json

from .ir import Workflow

JOIN_THRESHOLD = 16  # parents x children above this goes through a join point


def _q(text: str) -> str:
    return json.dumps(text)  # a DOT-compatible double-quoted string


def to_dot(wf: Workflow) -> str:
    specs = wf.spec_by_name()
    lines = [f"digraph {_q(wf.name)} {{", "  rankdir=TB;", "  node [shape=box];"]
    for node in wf.nodes:
        if node.subdag is not None:
            label = f"{node.name}\nsubdag {node.subdag}"
        else:
            label = f"{node.name}\n{specs[node.spec].executable.rsplit('/', 1)[-1]}"
        style = ", style=bold" if node.final else ""
        lines.append(f"  {_q(node.name)} [label={_q(label)}{style}];")
    for k, edge in enumerate(wf.edges):
        attr = " [style=dashed]" if edge.weak else ""
        if len(edge.parents) * len(edge.children) > JOIN_THRESHOLD:
            join = _q(f"join_{k}")
            lines.append(f"  {join} [shape=point];")
            lines += [f"  {_q(p)} -> {join}{attr};" for p in edge.parents]
            lines += [f"  {join} -> {_q(c)}{attr};" for c in edge.children]
        else:
            lines += [f"  {_q(p)} -> {_q(c)}{attr};" for p in edge.parents
                      for c in edge.children]
    lines.append("}")
    return "\n".join(lines) + "\n"
