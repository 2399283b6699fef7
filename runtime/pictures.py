"""Pictures of a workflow: its DAG as Graphviz DOT, coloured by state once it has run, drawn
through Graphviz (pygraphviz: its wheels carry Graphviz itself) as SVG or PNG; and the
timeline of its job groups as SVG.

Small DAGs are drawn node by node. Above NODE_LIMIT nodes (or when asked) each job group —
the nodes sharing one submit file — is one box with a bar of its nodes' states ("simulate
x100,000: 99,950 done, 37 failed"), so a 100,000-node workflow is still one readable page:
the picture's size depends on the number of groups, never on the number of nodes. FINAL
nodes are drawn last.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping

from .dagstate import STATES
from .nodemap import DagMap, NodeMap

NODE_LIMIT = 300
#: Parents x children above this go through one join point (as DAGMan joins them).
JOIN_THRESHOLD = 16
COLORS = {"done": "#43a047", "running": "#1e88e5", "idle": "#90caf9", "held": "#fb8c00",
          "pre": "#b39ddb", "post": "#b39ddb", "retrying": "#fdd835", "failed": "#e53935",
          "futile": "#9e9e9e", "waiting": "#eeeeee"}
BAR_WIDTH = 180
TIMES = "\u00d7"  # the multiplication sign, as in "simulate (times) 100,000"


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a DOT double-quoted string


def dot(nodemap: NodeMap, states: Mapping[str, str] | None = None,
        by_group: bool | None = None) -> str:
    """The top DAG as DOT. `states`: node name -> state (a submitted DAG), else plain.
    `by_group`: None decides by size."""
    top = nodemap.top
    if by_group is None:
        by_group = len(top.nodes) > NODE_LIMIT or top.edges is None
    lines = [f"digraph {_q(top.name or 'workflow')} {{", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", '
             'fontname="Helvetica", fontsize=11];', '  edge [color="#555555"];']
    if by_group:
        lines += _groups(top, states)
    else:
        lines += _nodes(top, states)
    lines += _legend(states)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes(top: DagMap, states: Mapping[str, str] | None) -> list[str]:
    lines = []
    for name in top.nodes:
        group = top.group(name) or ""
        info = top.groups.get(group)
        label = f"{name}\n{info.executable}" if info and info.executable else \
            f"{name}\n{group}" if group.startswith("subdag ") else name
        state = (states or {}).get(name)
        attrs = [f"label={_q(label)}"]
        if state:
            attrs.append(f'fillcolor="{COLORS.get(state, "#ffffff")}"')
            attrs.append(f"tooltip={_q(f'{name}: {state}')}")
        if name in top.final:
            attrs.append("peripheries=2")
        lines.append(f"  {_q(name)} [{', '.join(attrs)}];")
    for k, (parents, children, weak) in enumerate(top.edges or []):
        attr = " [style=dashed]" if weak else ""
        if len(parents) * len(children) > JOIN_THRESHOLD:
            join = _q(f"join_{k}")
            lines.append(f"  {join} [shape=point, label=\"\", width=0.05];")
            lines += [f"  {_q(p)} -> {join}{attr};" for p in parents]
            lines += [f"  {join} -> {_q(c)}{attr};" for c in children]
        else:
            lines += [f"  {_q(p)} -> {_q(c)}{attr};" for p in parents for c in children]
    if top.final:
        lines.append("  { rank=sink; " + " ".join(_q(n) for n in top.final) + " }")
    return lines


def _groups(top: DagMap, states: Mapping[str, str] | None) -> list[str]:
    counts: dict[str, dict[str, int]] = {}
    for name in top.nodes:
        group = top.group(name) or "?"
        state = (states or {}).get(name, "waiting" if states is not None else "")
        per = counts.setdefault(group, {})
        per[state] = per.get(state, 0) + 1
    finals = {top.group(n) for n in top.final}
    lines = []
    for group, per in counts.items():
        info = top.groups.get(group)
        total = sum(per.values())
        title = html.escape(f"{group}" + (f" ({info.executable})" if info and
                                          info.executable else "") + f" {TIMES}{total:,}")
        rows = [f'<TR><TD COLSPAN="{max(1, len(per))}"><B>{title}</B></TD></TR>']
        if states is not None:
            said = ", ".join(f"{per[s]:,} {s}" for s in STATES if per.get(s))
            rows.append(f'<TR><TD COLSPAN="{max(1, len(per))}">'
                        f'<FONT POINT-SIZE="9">{html.escape(said)}</FONT></TD></TR>')
            cells = "".join(
                f'<TD BGCOLOR="{COLORS[s]}" WIDTH="{max(1, round(BAR_WIDTH * per[s] / total))}"'
                f' HEIGHT="8" FIXEDSIZE="TRUE"></TD>' for s in STATES if per.get(s))
            rows.append(f"<TR>{cells}</TR>")
        label = ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
                 + "".join(rows) + "</TABLE>>")
        extra = ", peripheries=2" if group in finals else ""
        lines.append(f"  {_q(group)} [shape=box, style=rounded, label={label}{extra}];")
    for a, b, weak in top.group_edges:
        if a in counts and b in counts:
            lines.append(f"  {_q(a)} -> {_q(b)}{' [style=dashed]' if weak else ''};")
    if finals - {None}:
        lines.append("  { rank=sink; " + " ".join(_q(g) for g in finals if g) + " }")
    return lines


def _legend(states: Mapping[str, str] | None) -> list[str]:
    if states is None:
        return []
    seen = [s for s in STATES if s in set(states.values())]
    if not seen:
        return []
    cells = "".join(f'<TD BGCOLOR="{COLORS[s]}">{s}</TD>' for s in seen)
    return ['  legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" '
            f'CELLSPACING="0" CELLPADDING="3"><TR>{cells}</TR></TABLE>>];',
            "  { rank=sink; legend }"]


FORMATS = ("dot", "svg", "png")


def render(dot_text: str, fmt: str) -> bytes:
    """DOT laid out and drawn by Graphviz (the `dot` layout)."""
    if fmt == "dot":
        return dot_text.encode()
    import pygraphviz

    graph = pygraphviz.AGraph(string=dot_text)
    with _quiet_stderr():
        return graph.draw(format=fmt, prog="dot")


class _quiet_stderr:
    """Graphviz's font library can warn on stderr about the system's font configuration;
    the picture is fine, and the user did not ask."""

    def __enter__(self):
        self.saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)


# --- timeline ---------------------------------------------------------------------------

PLOTTED = ("running", "idle", "held")


def timeline_series(steps: Mapping[str, list[tuple[int, str | None, str]]],
                    points: int = 300) -> dict:
    """How many jobs of each group were running, idle and held over time, from the jobs'
    state changes, sampled at `points` times on one axis for all groups (so the page is
    the same size for 10 jobs or 100,000)."""
    times = [t for changes in steps.values() for t, _, _ in changes]
    if not times:
        return {"start": 0, "end": 0, "groups": {}}
    start, end = min(times), max(times)
    span = max(1, end - start)
    marks = [start + span * i / (points - 1) for i in range(points)]
    groups = {}
    for group, changes in steps.items():
        events = sorted(changes, key=lambda c: c[0])
        count = dict.fromkeys(PLOTTED, 0)
        series: dict[str, list[int]] = {s: [] for s in PLOTTED}
        i = 0
        for t in marks:
            while i < len(events) and events[i][0] <= t:
                _, was, now = events[i]
                if was in count:
                    count[was] -= 1
                if now in count:
                    count[now] += 1
                i += 1
            for s in PLOTTED:
                series[s].append(max(0, count[s]))
        groups[group] = series
    return {"start": start, "end": end, "points": points, "groups": groups}


def timeline_svg(series: dict, width: int = 900, row: int = 70) -> str:
    """Small multiples, one row per group: running, idle and held jobs stacked."""
    groups = series.get("groups", {})
    if not groups:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    left, top = 170, 10
    plot_w = width - left - 10
    height = top + row * len(groups) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{width}" '
             f'height="{height}" font-family="Helvetica" font-size="11">']
    for k, (group, data) in enumerate(groups.items()):
        y0 = top + k * row
        peak = max(1, max(a + b + c for a, b, c in zip(*(data[s] for s in PLOTTED),
                                                          strict=True)))
        n = len(data["running"])
        xs = [left + plot_w * i / max(1, n - 1) for i in range(n)]
        base = [0] * n
        for state in PLOTTED:
            upper = [b + v for b, v in zip(base, data[state], strict=True)]
            pts = [f"{x:.1f},{y0 + row - 12 - (row - 20) * u / peak:.1f}"
                   for x, u in zip(xs, upper, strict=True)]
            pts += [f"{x:.1f},{y0 + row - 12 - (row - 20) * b / peak:.1f}"
                    for x, b in zip(reversed(xs), reversed(base), strict=True)]
            parts.append(f'<polygon class="{state}" fill="{COLORS[state]}" '
                         f'points="{" ".join(pts)}"><title>{html.escape(group)}: {state}'
                         '</title></polygon>')
            base = upper
        parts.append(f'<text x="4" y="{y0 + row / 2:.0f}">{html.escape(group[:24])}</text>')
        parts.append(f'<text x="{left - 4}" y="{y0 + 18}" text-anchor="end" '
                     f'fill="#777">{peak}</text>')
        parts.append(f'<line x1="{left}" y1="{y0 + row - 12}" x2="{left + plot_w}" '
                     f'y2="{y0 + row - 12}" stroke="#ccc"/>')
    span = max(1, series["end"] - series["start"])
    parts.append(f'<text x="{left}" y="{height - 8}">0</text>')
    parts.append(f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end">'
                 f'{_duration(span)}</text>')
    legend = " ".join(f'<tspan fill="{COLORS[s]}">■ {s}</tspan>' for s in PLOTTED)
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 8}" '
                 f'text-anchor="middle">{legend}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
