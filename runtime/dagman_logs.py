"""Reading what DAGMan and HTCondor wrote about a DAG's nodes.

- JOBSTATE_LOG (jobsub turns it on for every DAG): one line per node event, DAGMan's own view
  of each node (PRE, job, POST, submit failures) and of itself (started, finished, recovery).
- the nodes log (`NAME.dag.nodes.log`), through htcondor2.JobEventLog: every job event, with
  exit codes, signals, hold reasons and codes, memory used and asked for, hosts and times.
- rescue DAGs (`NAME.dag.rescueNNN`): the nodes DAGMan counts as done, and its list of failed
  nodes, once it has exited.
- `NAME.dag.dagman.out`: PRE script exit statuses and submit failures, which no log holds.
"""

from __future__ import annotations

import datetime
import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

#: jobstate.log lines: `TIME NODE EVENT ID TAG - SEQ`, and DAGMan's own `TIME INTERNAL *** ...`.
_LINE = re.compile(r"(\d+) (\S+) (\S+) (\S+) (\S+) - (-?\d+)$")
_INTERNAL = re.compile(r"(\d+) INTERNAL \*\*\* (\w+)(?: (\S+))? \*\*\*$")
_RESCUE = re.compile(r"\.rescue(\d{3})$")


@dataclass
class NodeEvent:
    time: int
    event: str  # SUBMIT, EXECUTE, JOB_HELD, JOB_SUCCESS, POST_SCRIPT_FAILURE, ...
    job: str | None  # "cluster.proc" where the event names a job
    value: int | None  # JOB_SUCCESS/JOB_FAILURE: the node job's exit code
    sequence: int


@dataclass
class JobstateLog:
    nodes: dict[str, list[NodeEvent]] = field(default_factory=dict)
    started: list[int] = field(default_factory=list)  # times DAGMan started (a run each)
    finished: int | None = None  # DAGMan's exit code, if it has exited (last run)
    finished_at: int | None = None
    recovery: bool = False  # the last run started in recovery mode


def read_jobstate(path: str) -> JobstateLog | None:
    """The log, or None if there is none. Events of earlier runs of the same DAG (a rescue
    started in the same folder) are kept; the last run's DAGMAN_STARTED is what counts."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
    except OSError:
        return None
    log = JobstateLog()
    for raw in text.splitlines():
        line = raw.rstrip("\n")
        m = _LINE.match(line)
        if m:
            node, event, ident = m.group(2), m.group(3), m.group(4)
            value = None
            job = None
            if event in ("JOB_SUCCESS", "JOB_FAILURE"):
                value = _int(ident)
            elif ident != "-":
                job = ident
            log.nodes.setdefault(node, []).append(
                NodeEvent(int(m.group(1)), event, job, value, int(m.group(6))))
            continue
        m = _INTERNAL.match(line)
        if m:
            what = m.group(2)
            if what == "DAGMAN_STARTED":
                log.started.append(int(m.group(1)))
                log.finished = log.finished_at = None
                log.recovery = False
            elif what == "DAGMAN_FINISHED":
                log.finished, log.finished_at = _int(m.group(3)), int(m.group(1))
            elif what == "RECOVERY_STARTED":
                log.recovery = True
    return log


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


@dataclass
class JobRecord:
    """One job (cluster.proc) of a node, as its events tell it."""

    job: str
    node: str | None = None
    submitted: int | None = None
    started: int | None = None  # last execute
    ended: int | None = None
    host: str | None = None  # the slot it last ran in
    exit_code: int | None = None
    signal: int | None = None
    held: bool = False
    hold_reason: str | None = None
    hold_code: int | None = None
    hold_subcode: int | None = None
    holds: int = 0
    evictions: int = 0
    aborted: bool = False
    abort_reason: str | None = None
    memory_used: int | None = None  # MB
    memory_asked: int | None = None  # MB
    post_status: int | None = None  # the POST script's exit code (DAGMan logs it here)
    post_signal: int | None = None
    #: (time, state) changes: idle, running, held, done, failed (for timelines)
    changes: list[tuple[int, str]] = field(default_factory=list)


# JobEventLog event type numbers (HTCondor's ULogEventNumber).
SUBMIT, EXECUTE, EXECUTABLE_ERROR, EVICTED, TERMINATED, SHADOW_EXCEPTION = 0, 1, 2, 4, 5, 7
ABORTED, HELD, RELEASED, POST_SCRIPT = 9, 12, 13, 16


def read_nodes_log(path: str) -> dict[str, JobRecord]:
    """Every job of the log by `cluster.proc`, in the order they were submitted. An
    unreadable or missing log gives nothing (its absence is reported by the caller)."""
    import htcondor2

    jobs: dict[str, JobRecord] = {}
    if not os.path.isfile(path):
        return jobs
    try:
        events = htcondor2.JobEventLog(path).events(0)
        for event in events:
            _apply(jobs, event)
    except Exception:  # a log cut short mid-event (the DAG still runs): what was read stays
        pass
    return jobs


def _apply(jobs: dict[str, JobRecord], event) -> None:
    if event.cluster <= 0:  # DAGMan's stand-in events for NOOP nodes: no job ran
        return
    key = f"{event.cluster}.{event.proc}"
    record = jobs.get(key)
    if record is None:
        record = jobs[key] = JobRecord(key)
    kind, when = event.type, _when(event["EventTime"])
    if kind == SUBMIT:
        record.submitted = when
        notes = str(event.get("LogNotes") or "")
        if notes.startswith("DAG Node: "):
            record.node = notes[len("DAG Node: "):].strip()
        record.changes.append((when, "idle"))
    elif kind == EXECUTE:
        record.started = when
        slot = event.get("SlotName")
        record.host = str(slot) if slot else _host(event.get("ExecuteHost"))
        record.changes.append((when, "running"))
    elif kind == TERMINATED:
        record.ended = when
        if event.get("TerminatedNormally"):
            record.exit_code = _num(event.get("ReturnValue"))
        else:
            record.signal = _num(event.get("TerminatedBySignal"))
        record.memory_used = _num(event.get("MemoryUsage"))
        record.memory_asked = _num(event.get("RequestMemory"))
        record.changes.append((when, "done" if record.exit_code == 0 else "failed"))
    elif kind == EVICTED:
        record.evictions += 1
        record.changes.append((when, "idle"))
    elif kind == HELD:
        record.held = True
        record.holds += 1
        record.hold_reason = str(event.get("HoldReason") or "") or None
        record.hold_code = _num(event.get("HoldReasonCode"))
        record.hold_subcode = _num(event.get("HoldReasonSubCode"))
        record.changes.append((when, "held"))
    elif kind == RELEASED:
        record.held = False
        record.changes.append((when, "idle"))
    elif kind == ABORTED:
        record.aborted = True
        record.ended = when
        record.abort_reason = str(event.get("Reason") or "") or None
        record.changes.append((when, "failed"))
    elif kind == POST_SCRIPT:
        if record.node is None and event.get("DAGNodeName"):
            record.node = str(event.get("DAGNodeName"))
        if event.get("TerminatedNormally"):
            record.post_status = _num(event.get("ReturnValue"))
        else:
            record.post_signal = _num(event.get("TerminatedBySignal"))


@functools.lru_cache(maxsize=4096)
def _when(iso: str) -> int:
    """An event's time in seconds, parsed once per distinct second (a DAG's nodes log holds
    tens of thousands of events over far fewer seconds). Without a zone it is local time,
    as HTCondor writes it and as htcondor2's JobEvent.timestamp reads it."""
    return int(datetime.datetime.fromisoformat(iso).timestamp())


def _num(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _host(address) -> str | None:
    if not address:
        return None
    m = re.search(r"alias=([^&>]+)", str(address))
    return m.group(1) if m else str(address).strip("<>").split("?")[0]


@dataclass
class Rescue:
    path: str
    number: int
    done: set[str]
    failed: list[str]  # from its header: the nodes that failed


def rescue_files(folder: str, dag: str) -> list[str]:
    """`dag`'s rescue DAGs in `folder`, oldest first."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = [n for n in names if n.startswith(f"{dag}.rescue") and _RESCUE.search(n)]
    return [os.path.join(folder, n) for n in sorted(found)]


def read_rescue(path: str) -> Rescue:
    with open(path, encoding="utf-8", errors="replace") as fh:
        return parse_rescue(fh.read(), path)


def parse_rescue(text: str, path: str) -> Rescue:
    """DONE lines, and the header's failed-node list (`# Nodes that failed: N` then
    `#   A,B,...,<ENDLIST>`). A node name is the whole word after DONE (htcondor2.dags'
    lstrip("DONE ") would eat leading D, O, N, E letters of node names)."""
    done: set[str] = set()
    failed: list[str] = []
    in_list = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("# Nodes that failed:"):
            in_list = True
            continue
        if in_list and line.startswith("#"):
            items = [x.strip() for x in line[1:].split(",")]
            for item in items:
                if item == "<ENDLIST>":
                    in_list = False
                elif item:
                    failed.append(item)
            continue
        in_list = False
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "DONE":
            done.add(words[1])
    m = _RESCUE.search(path)
    return Rescue(path, int(m.group(1)) if m else 0, done, failed)


_PRE_FAILED = re.compile(r"PRE Script of [Nn]ode (\S+) failed with status (-?\d+)")
_PRE_DIED = re.compile(r"PRE Script of [Nn]ode (\S+) died on (.+)$")
_SUBMIT_FAILED = re.compile(r"Job submit try (\d+)/(\d+) failed")
_SUBMIT_NODE = re.compile(r"Submitting HTCondor Node (\S+) job")


@dataclass
class DagmanOut:
    pre_status: dict[str, str] = field(default_factory=dict)  # node -> "status 3"/"signal"
    submit_failures: dict[str, str] = field(default_factory=dict)  # node -> last message
    errors: list[str] = field(default_factory=list)  # DAGMan's own ERROR lines


def read_dagman_out(path: str, limit: int = 64 << 20) -> DagmanOut:
    """What only dagman.out says. Read from the end when large (the last run is what
    matters)."""
    out = DagmanOut()
    try:
        size = os.path.getsize(path)
        with open(path, encoding="utf-8", errors="replace") as fh:
            if size > limit:
                fh.seek(size - limit)
                fh.readline()
            lines = fh.read().splitlines()
    except OSError:
        return out
    node = None
    for line in _messages(lines):
        if "PRE Script" not in line and "Job submit" not in line and \
                "Submitting HTCondor" not in line and not line.startswith("ERROR"):
            continue  # nearly every line: read without a regular expression
        m = _SUBMIT_NODE.search(line)
        if m:
            node = m.group(1)
        m = _PRE_FAILED.search(line)
        if m:
            out.pre_status[m.group(1)] = f"exit {m.group(2)}"
            continue
        m = _PRE_DIED.search(line)
        if m:
            out.pre_status[m.group(1)] = m.group(2).strip().rstrip(".")
            continue
        m = _SUBMIT_FAILED.search(line)
        if m and node:
            out.submit_failures[node] = line
        elif line.startswith("ERROR") and not line.startswith("ERROR: the following"):
            out.errors.append(line)
    return out


def _messages(lines: list[str]) -> Iterator[str]:
    """dagman.out lines without their `MM/DD/YY HH:MM:SS ` prefix."""
    for line in lines:
        yield line[18:] if len(line) > 18 and line[2] == "/" and line[8] == " " else line


def tail(path: str, lines: int = 20, limit: int = 64 << 10) -> list[str]:
    """The last `lines` lines of a text file (at most `limit` bytes read)."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            if size > limit:
                fh.seek(size - limit)
            data = fh.read()
    except OSError:
        return []
    text = data.decode("utf-8", errors="replace")
    if size > limit:
        text = text.split("\n", 1)[-1]
    return text.rstrip("\n").splitlines()[-lines:] if text.strip() else []
