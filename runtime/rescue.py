"""`jobsub rescue`: run a failed DAG again from DAGMan's rescue DAG, so the nodes that
finished are not run again.

DAGMan writes `NAME.dag.rescueNNN` (the nodes done, and those that failed) when a node fails
and nothing more can run, or when the DAG is removed. Submitted again from the same folder
with that file beside it, DAGMan runs only what is not done (AutoRescue; jobsub never passes
`-force`, which would set the rescue aside). The DAG is recompiled from its workflow file
(edits to resources, such as more memory, take effect), and the rescue file goes with it.

A rescue file names nodes; an edit to the workflow can make a name mean other work
(dagnabbit's `stage_N` shift when a line is inserted). Every node the rescue marks done
must therefore still exist and compute what it computed (jobsub.json's fingerprints, which
leave resources out); otherwise the rescue is refused, naming the nodes it would mislabel.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from jobsub.compiler.base.diagnostics import JobsubError

from . import dagman_logs, records
from .dagman_logs import Rescue
from .nodemap import NodeMap
from .subject import Subject

_FOUND = re.compile(r"(?:Found rescue DAG number|Rescue DAG number) (\d+)")


def latest(folder: Path, dag_file: str) -> Rescue | None:
    """The newest rescue DAG of `dag_file` in `folder`."""
    found = dagman_logs.rescue_files(str(folder), dag_file)
    return dagman_logs.read_rescue(found[-1]) if found else None


def started_from(subject: Subject, folder: Path | None) -> Rescue | None:
    """The rescue DAG the run started from: the one `jobsub rescue` sent with it (its
    record says which), or for a folder DAGMan ran in by hand, the one its dagman.out says
    it found."""
    name = (subject.record or {}).get("rescue_from")
    if isinstance(name, str) and subject.schedd is not None and subject.job is not None:
        data = records.submitted_files(subject.schedd.name, subject.job.cluster).get(name)
        return dagman_logs.parse_rescue(data.decode("utf-8", "replace"), name) if data \
            else None
    if folder is None:
        return None
    dag = subject.top_file
    if subject.folder is None or not dag:
        return None
    number = None
    try:
        with open(folder / f"{dag}.dagman.out", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if "STARTING UP" in line:
                    number = None
                m = _FOUND.search(line)
                if m:
                    number = int(m.group(1))
    except OSError:
        return None
    if not number:
        return None
    path = folder / f"{dag}.rescue{number:03d}"
    return dagman_logs.read_rescue(str(path)) if path.is_file() else None


@dataclass
class Mislabel:
    node: str
    was: str  # where the old workflow wrote it
    now: str  # where the new one does, or "" if it is gone

    def __str__(self) -> str:
        if not self.now:
            return f"{self.node} ({self.was or 'done'}) is no longer in the workflow"
        if self.now == self.was:
            return f"{self.node} ({self.now}) was changed: it would count as done without " \
                   "running what it now says"
        return f"{self.node} was written at {self.was or '?'}; that name is now the job at " \
               f"{self.now}"


@dataclass
class Plan:
    rescue: Rescue
    done: int  # nodes kept
    to_run: int
    failed: list[str]
    extra_files: list[tuple[str, bytes]] = field(default_factory=list)  # rescue DAGs to send


def compare(old: NodeMap | None, new: NodeMap, rescue: Rescue) -> list[Mislabel]:
    """Nodes the rescue marks done whose name means other work in `new`."""
    if old is None:
        raise JobsubError("this submission has no jobsub.json (an older jobsub, or a DAG "
                          "jobsub did not compile): its nodes cannot be checked against the "
                          "workflow", hint="submit it again afresh")
    out = []
    old_dag, new_dag = old.top, new.top
    for name in sorted(rescue.done):
        was = old.shown(old.origin(old_dag, name))
        before = old_dag.fingerprint(name)
        if name not in new_dag.nodes:
            out.append(Mislabel(name, was, ""))
        elif before is None or before != new_dag.fingerprint(name):
            out.append(Mislabel(name, was, new.shown(new.origin(new_dag, name))))
    return out


def plan(folder: Path, dag_file: str, old: NodeMap | None, new: NodeMap) -> Plan:
    """What a rescue of the DAG whose files are in `folder` would do, or why it cannot."""
    rescue = latest(folder, dag_file)
    if rescue is None:
        raise JobsubError(f"{dag_file} has no rescue DAG: DAGMan writes one when a node fails "
                          "and nothing more can run, or when the DAG is removed",
                          hint="if it is still running, wait for it or jobsub rm it first")
    if new.top.dag != dag_file:
        raise JobsubError(f"the workflow now compiles to {new.top.dag}, not {dag_file}; the "
                          "rescue DAG names the old one", hint="keep the workflow's name")
    wrong = compare(old, new, rescue)
    if wrong:
        shown = "\n  ".join(str(m) for m in wrong[:20])
        more = f"\n  ... and {len(wrong) - 20} more" if len(wrong) > 20 else ""
        raise JobsubError(f"the workflow was edited since it ran, and {len(wrong)} node(s) "
                          f"the rescue DAG marks done would now mean other work:\n  {shown}"
                          f"{more}", hint="undo the edit (add new jobs at the end, or give "
                          "them names), or run the workflow afresh with jobsub submit")
    extra = [(os.path.basename(rescue.path), Path(rescue.path).read_bytes())]
    for sub in new.dags[1:]:  # each sub-DAG's own rescue, for its own DAGMan
        found = latest(folder, sub.dag) if sub.dag else None
        if found is not None:
            extra.append((os.path.basename(found.path), Path(found.path).read_bytes()))
    total = len(new.top.nodes)
    done = len(rescue.done & set(new.top.nodes))
    return Plan(rescue, done, total - done, rescue.failed, extra)
