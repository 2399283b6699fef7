"""From a checked workflow to the list of files to write: names, rendered text, copies.

Layout of an output folder:
  NAME.dag          the DAG (kind "dag"), or nothing for a single job
  NAME.config       DAGMan configuration, when the workflow sets any
  SPEC.sub, SPEC.sh the submit file and wrapper of each distinct job spec
  SUB.dag, SUB.SPEC.sub, ...   a sub-DAG compiled from a manifest (node SUB), the same way
  files/...         copies of the user's executables and scripts (files/2/x.sh if two
                    different files share a name)
  dropbox/HASH/...  dropbox:// files and tardir:// tarballs, unless the site names a
                    shared dropbox folder (then they go there, by the same names)
Everything is relative, so the folder can be moved; DAGMan runs with it as working directory.
The folder is flat: sub-DAGs too run in it, so that every file DAGMan and the jobs write is
at its top, where a spooled DAGMan job's output is fetched from (HTCondor sends back no
sub-folder of a spool directory).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from jobsub.compiler.base.conventions import (
    FOLDER_KEEPER,
    OUTPUT_FOLDER_VAR,
    jobsub_node_vars,
    node_output_folders,
)
from jobsub.compiler.base.diagnostics import JobsubError, Sink
from jobsub.compiler.base.quoting import Unrepresentable, macro_names
from jobsub.compiler.emit.dag import config_text, dag_lines
from jobsub.compiler.emit.dropbox import Backend, Location, backend
from jobsub.compiler.emit.inputs import JobFiles, Shipped, job_files, sandbox_name_taken
from jobsub.compiler.emit.nodemap import MAP_FILE, DagFiles, node_map
from jobsub.compiler.emit.output import OutFile, spooled, unwritable
from jobsub.compiler.emit.submit import Names, render_submit, render_wrapper, stdio_stem
from jobsub.compiler.ir.model import JobSpec, Workflow, outputs_in_folders
from jobsub.compiler.ir.versions import DEFAULT_TARGET
from jobsub.compiler.site.policy import Policy


def _source(wf: Workflow, path: str) -> str:
    """A workflow's executable or script path, absolute (sub-DAGs have their own folder)."""
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(wf.base_dir, path))


def workflows_in(wf: Workflow) -> list[Workflow]:
    """`wf` and its compiled sub-DAGs, at any depth."""
    out, todo = [], [wf]
    while todo:
        one = todo.pop(0)
        out.append(one)
        todo += one.subdags
    return out


def user_files(wf: Workflow) -> dict[str, str]:
    """Output path (under files/) of every executable and script the workflow and its
    sub-DAGs use, by absolute source path."""
    sources: list[str] = []
    seen: set[str] = set()

    def add(one: Workflow, path: str) -> None:
        key = _source(one, path)
        if key not in seen:
            seen.add(key)
            sources.append(key)

    for one in workflows_in(wf):
        for spec in one.specs:
            add(one, spec.executable)
        for node in one.nodes:
            for script in node.scripts:
                add(one, script.executable)
    out: dict[str, str] = {}
    taken: dict[str, int] = {}
    for src in sources:
        base = os.path.basename(src)
        n = taken.get(base, 0) + 1
        taken[base] = n
        out[src] = f"files/{base}" if n == 1 else f"files/{n}/{base}"
    return out


def spec_stem(prefix: str, spec: JobSpec) -> str:
    """What a spec's files are named after: its name, after its sub-DAG's `NODE.` prefix."""
    return f"{prefix}{spec.name}"


def submit_name(stem: str) -> str:
    return f"{stem}.sub"


def sub_prefix(prefix: str, sub: Workflow) -> str:
    """The prefix of the files of sub-DAG `sub` (node SUB: `SUB.`), inside `prefix`."""
    return f"{prefix}{sub.name}."


def submit_files(wf: Workflow, prefix: str = "") -> Iterator[tuple[str, JobSpec]]:
    """(submit file, spec) of every job of the workflow and its sub-DAGs, as plan names
    them."""
    for spec in wf.specs:
        yield submit_name(spec_stem(prefix, spec)), spec
    for sub in wf.subdags:
        yield from submit_files(sub, sub_prefix(prefix, sub))


def wrapper_name(spec: str, executable: str) -> str:
    """The wrapper's file name. In the job's sandbox it sits beside the user's executable
    under its own name, so the two must differ (a wrapper that ran itself would fork until
    the machine refused)."""
    base = os.path.basename(executable)
    name, n = f"{spec}.sh", 1
    while name == base:
        n += 1
        name = f"{spec}.{n}.sh"
    return name


def plan(wf: Workflow, policy: Policy, sink: Sink,
         target: tuple[int, int, int] = DEFAULT_TARGET) -> list[OutFile]:
    """Every file of the output folder, for HTCondor `target`. Errors (unrepresentable
    values) go to `sink`."""
    copies = user_files(wf)
    try:
        box = backend(policy.dropbox)
    except JobsubError as err:
        sink.absorb(err)
        return []
    shipped: dict[str, OutFile] = {}
    parts: list[DagFiles] = []
    files = _plan_workflow(wf, policy, sink, copies, box, shipped, "", target, parts)
    if not sink.errors:
        try:
            files.append(OutFile(MAP_FILE, spool=spooled(node_map(wf, parts), MAP_FILE)))
        except JobsubError as err:
            sink.absorb(err)
    for f in files:  # the spooled ones were refused as they were made
        refused = unwritable(f.path, f.text) if f.text is not None else None
        if refused is not None:
            sink.absorb(refused)
    files += [OutFile(rel, source=src, executable=True) for src, rel in copies.items()]
    files += shipped.values()
    files += [OutFile(f"{folder}/{FOLDER_KEEPER}", "") for folder in sorted(
        node_output_folders(n.section for part in parts if outputs_in_folders(part.wf)
                            for n in part.wf.nodes))]
    return files


def _plan_workflow(wf: Workflow, policy: Policy, sink: Sink, copies: dict[str, str],
                   box: Backend, shipped: dict[str, OutFile], prefix: str,
                   target: tuple[int, int, int], parts: list[DagFiles],
                   parent: str | None = None) -> list[OutFile]:
    """The files of one workflow, named with `prefix` (a sub-DAG's `NODE.`)."""
    files: list[OutFile] = []
    names: dict[str, Names] = {}
    node_vars: dict[str, set[str]] = {}
    with_section: set[str] = set()
    folders = outputs_in_folders(wf)
    for node in wf.nodes:
        if node.spec is None:
            continue
        if node.vars:
            node_vars.setdefault(node.spec, set()).update(node.vars)
        if node.section is not None and node.spec not in with_section:
            with_section.add(node.spec)
            node_vars.setdefault(node.spec, set()).update(jobsub_node_vars(0))
            if folders:
                node_vars[node.spec].add(OUTPUT_FOLDER_VAR)
    for spec in wf.specs:
        executable = copies[_source(wf, spec.executable)]
        stem = spec_stem(prefix, spec)
        wrapper = wrapper_name(stem, executable)
        if sandbox_name_taken(os.path.basename(executable)):
            sink.error(f"job {spec.name}: the executable's name "
                       f"{os.path.basename(executable)} is one the job's wrapper writes "
                       "itself in the sandbox", spec.span, "rename the executable")
        try:
            shipping = job_files(spec, wf.base_dir, box, bool(policy.copy_command),
                                 spec.span, frozenset({os.path.basename(executable), wrapper}))
        except JobsubError as err:
            sink.absorb(err)
            shipping = JobFiles([], [])
        for f in [*shipping.inputs, *shipping.tarballs]:
            if f.content is not None or f.source is not None:
                out = _dropbox_file(box, f)
                shipped.setdefault(out.path, out)
        names[spec.name] = Names(submit_name(stem), wrapper, executable, shipping,
                                 macro_names(node_vars.get(spec.name, ())), stem, folders)

    single = wf.kind == "job"
    for spec in wf.specs:
        n = names[spec.name]
        try:
            files.append(OutFile(n.submit, render_submit(wf, spec, n, policy,
                                                         wf.nodes[0] if single else None,
                                                         target)))
            files.append(OutFile(n.wrapper, render_wrapper(wf, spec, n, policy),
                                 executable=True))
        except JobsubError as err:
            sink.absorb(err)

    dag_file = (f"{prefix}{wf.name}.dag" if not prefix else f"{prefix[:-1]}.dag") \
        if not single else None
    jobstate_log = (wf.settings.jobstate_log or f"{dag_file}.jobstate.log") if dag_file \
        else None
    parts.append(DagFiles(wf, dag_file, parent, {s: n.submit for s, n in names.items()},
                          {s.name: stdio_stem(s, names[s.name], not single)
                           for s in wf.specs}, jobstate_log))
    if dag_file is not None:
        config = None
        try:
            text = config_text(wf)
        except Unrepresentable as err:
            sink.error(f"DAG configuration: {err}")
            text = None
        if text is not None:
            config = f"{prefix}{wf.name}.config"
            files.append(OutFile(config, text))
        scripts = {sc.executable: copies[_source(wf, sc.executable)]
                   for node in wf.nodes if node.scripts for sc in node.scripts}
        subdags = {sub.name: f"{sub_prefix(prefix, sub)[:-1]}.dag" for sub in wf.subdags}
        lines = dag_lines(wf, {s: names[s].submit for s in names}, scripts, config, sink,
                          subdags, jobstate_log)
        try:
            files.append(OutFile(dag_file, spool=spooled(_chunks(lines), dag_file)))
        except JobsubError as err:
            sink.absorb(err)

    for sub in wf.subdags:
        files += _plan_workflow(sub, policy, sink, copies, box, shipped,
                                sub_prefix(prefix, sub), target, parts, sub.name)
    return files


def _chunks(lines: Iterator[str], size: int = 10_000, most: int = 1 << 20) -> Iterator[str]:
    """`lines` as newline-ended pieces of `size` lines each, or fewer once they hold `most`
    characters (a "line" may be a sweep's run of nodes: 10,000 of them in one piece would
    be the whole DAG in memory)."""
    piece: list[str] = []
    length = 0
    for line in lines:
        piece.append(line)
        length += len(line)
        if len(piece) >= size or length >= most:
            piece.append("")
            yield "\n".join(piece)
            piece, length = [], 0
    if piece:
        piece.append("")
        yield "\n".join(piece)


def _dropbox_file(box: Backend, f: Shipped) -> OutFile:
    """A dropbox:// file or tarball: in the compiled folder, or stored by the site's dropbox
    when the folder is written."""
    where = Location(f.transfer, f.fetch)
    if f.transfer is not None and not os.path.isabs(f.transfer):
        return OutFile(f.transfer, source=f.source, data=f.content)
    return OutFile(f.transfer or f.fetch, source=f.source, data=f.content,
                   store=functools.partial(box.store, where, f.content, f.source))


def top_file(wf: Workflow) -> str:
    return f"{wf.name}.dag" if wf.kind == "dag" else submit_name(spec_stem("", wf.specs[0]))
