"""The compiled folder's `jobsub.json` (written by compiler/emit/nodemap.py), read back: for
each node of each (sub-)DAG, its job group, the workflow line that made it, its retries and
the fingerprint of what it computes."""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.base.conventions import node_stdio_stem
from jobsub.compiler.emit.nodemap import MAP_FILE, MAP_VERSION


@dataclass(frozen=True)
class Origin:
    """Where a node was written: `file` as the workflow named it (relative to the top
    workflow file's folder), or None when unknown."""

    file: str | None
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Group:
    """A job group: the nodes sharing one submit file."""

    name: str
    submit: str | None
    executable: str | None
    origin: Origin
    memory: int | None  # MB asked for
    memory_retry: dict | None
    stdio: str | None  # what its .out/.err names start with ($(JOB) in a DAG)
    identity: str | None = None


@dataclass
class DagMap:
    name: str
    dag: str | None
    parent: str | None
    jobstate_log: str | None
    nodes_log: str | None
    dagman_out: str | None
    final: list[str]
    group_edges: list[list]
    edges: list[list] | None
    groups: dict[str, Group]
    nodes: dict[str, int]  # node name -> row in the columns
    columns: dict[str, list]

    def group(self, node: str) -> str | None:
        row = self.nodes.get(node)
        return None if row is None else self.columns["spec"][row]

    def origin(self, node: str, sources: list[str]) -> Origin:
        row = self.nodes.get(node)
        if row is None:
            return Origin(None)
        return Origin(_source(sources, self.columns["source"][row]),
                      self.columns["line"][row], self.columns["column"][row])

    def retries(self, node: str) -> int:
        row = self.nodes.get(node)
        return 0 if row is None else self.columns["retry"][row]

    def stdio(self, node: str) -> str | None:
        """What the node's .out/.err names start with, inside the DAG's folder; None for a
        node the map does not know."""
        row = self.nodes.get(node)
        group = None if row is None else self.groups.get(self.columns["spec"][row])
        if group is None or not group.stdio:
            return None
        sections = self.columns.get("section")
        return node_stdio_stem(group.stdio, node, sections[row] if sections else None)

    def fingerprint(self, node: str) -> str | None:
        row = self.nodes.get(node)
        return None if row is None else self.columns["fingerprint"][row]


@dataclass
class NodeMap:
    workflow: str
    kind: str
    sources: list[str]
    dags: list[DagMap] = field(default_factory=list)
    base: str | None = None  # the folder source paths are relative to, when known

    @property
    def top(self) -> DagMap:
        return self.dags[0]

    def by_dag_file(self, dag: str | None) -> DagMap | None:
        return next((d for d in self.dags if d.dag == dag), None)

    def origin(self, dag: DagMap, node: str) -> Origin:
        return dag.origin(node, self.sources)

    def shown(self, origin: Origin) -> str:
        """`origin` as a user finds the file from here: relative to the current folder
        when the workflow's folder is known."""
        if not origin.file:
            return ""
        path = _shown_path(origin.file, self.base)
        return f"{path}:{origin.line}" if origin.line else path


@functools.lru_cache(maxsize=256)
def _shown_path(path: str, base: str | None) -> str:
    """(A DAG's thousands of nodes come from a handful of files.)"""
    if base and not os.path.isabs(path):
        return os.path.relpath(os.path.join(base, path))
    return path


def parse(text: str, base: str | None = None) -> NodeMap | None:
    """The map, or None for text that is not one jobsub wrote (an older jobsub wrote
    none: the runtime then names nodes without their lines)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("jobsub_map") != MAP_VERSION:
        return None
    sources = [str(x) for x in data.get("sources", [])]
    dags = [_dag(one, sources) for one in data.get("workflows", [])]
    return NodeMap(str(data.get("workflow", "")), str(data.get("kind", "dag")), sources,
                   dags, base)


def _source(sources: list[str], index: Any) -> str | None:
    return sources[index] if isinstance(index, int) and 0 <= index < len(sources) else None


def _dag(one: dict[str, Any], sources: list[str]) -> DagMap:
    groups = {
        name: Group(name, g.get("submit"), g.get("executable"),
                    Origin(_source(sources, g.get("source")), g.get("line", 0),
                           g.get("column", 0)),
                    g.get("memory"), g.get("memory_retry"), g.get("stdio"), g.get("identity"))
        for name, g in one.get("specs", {}).items()}
    columns = one.get("nodes", {})
    names = columns.get("name", [])
    return DagMap(one.get("name", ""), one.get("dag"), one.get("parent"),
                  one.get("jobstate_log"), one.get("nodes_log"), one.get("dagman_out"),
                  list(one.get("final", [])), list(one.get("group_edges", [])),
                  one.get("edges"), groups, {n: i for i, n in enumerate(names)}, columns)


def load(folder: str, base: str | None = None) -> NodeMap | None:
    """The map in a folder (compiled, fetched or recorded), or None."""
    try:
        with open(os.path.join(folder, MAP_FILE), encoding="utf-8") as fh:
            return parse(fh.read(), base)
    except OSError:
        return None
