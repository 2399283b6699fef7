"""`jobsub report`: one self-contained HTML page for a submitted DAG — its graph coloured by
state, the status per job group, the failures by cause and node by node (with the end of
their stderr and the workflow line that made them), and a timeline of each group's jobs.

Nothing is fetched when the page is opened: styles, script, pictures (SVG) and data (JSON)
are all in it, so it can be mailed or kept beside the run. Its size depends on the number
of job groups and failures shown (at most MAX_PROBLEMS nodes), not on the size of the DAG.
"""

from __future__ import annotations

import json
import re
import time
from functools import lru_cache

from . import pictures
from .analyze import Analysis
from .dagstate import STATES, DagState
from .nodemap import NodeMap

MAX_PROBLEMS = 2000
_STATE_COLOR = {"succeeded": "#43a047", "failed": "#e53935", "removed": "#9e9e9e",
                "held": "#fb8c00", "running": "#1e88e5", "idle": "#90caf9",
                "recovering": "#8e24aa", "halted": "#fdd835"}


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("jobsub.runtime", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("report.html.j2")


def _inline_svg(svg: bytes | str) -> str:
    """An SVG document as an element to put in a page (no XML prolog or doctype)."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    text = re.sub(r"<\?xml[^>]*\?>", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>", "", text, flags=re.S)
    return re.sub(r"<!--.*?-->", "", text, flags=re.S).strip()


def _script_json(data: dict) -> str:
    """JSON that is safe inside a <script> element: no `<` at all (a job's stderr may hold
    `</script>` or `<!--`), written as the JSON escape that means the same."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def render(analysis: Analysis, dag: DagState, nodemap: NodeMap | None,
           workflow: str | None = None, now: float | None = None) -> str:
    from markupsafe import Markup

    status = analysis.status
    if status.kind == "job" and nodemap is not None:  # its procs, as its one node
        worst = next((s for s in ("failed", "held", "running", "idle") if status.totals.get(s)),
                     "done")
        states = dict.fromkeys(nodemap.top.nodes, worst)
    else:
        states = {n.name: n.state for n in dag.nodes
                  if n.dag == (nodemap.top.dag if nodemap else n.dag)}
    if nodemap is not None:
        graph = _inline_svg(pictures.render(pictures.dot(nodemap, states), "svg"))
    else:
        graph = "<p>No graph: this DAG has no jobsub.json (jobsub did not compile it).</p>"
    series = pictures.timeline_series(dag.timeline.steps)
    data = analysis.as_json()
    data["problems_total"] = len(data["problems"])
    data["problems"] = data["problems"][:MAX_PROBLEMS]
    totals = [(s, status.totals[s]) for s in STATES if status.totals.get(s)]
    made = time.strftime("%Y-%m-%d %H:%M", time.localtime(now))
    return _template().render(
        title=f"{status.subject}", subject=status.subject, workflow=workflow, made=made,
        status=status, state_color=_STATE_COLOR.get(status.state, "#555"), totals=totals,
        colors=pictures.COLORS, states=[s for s in STATES if status.totals.get(s)] or ["done"],
        groups=status.groups, causes=analysis.causes, next_steps=analysis.next_steps,
        graph_svg=Markup(graph), timeline_svg=Markup(_inline_svg(
            pictures.timeline_svg(series))),
        notes=[*analysis.notes, *status.notes], data_json=Markup(_script_json(data)))
