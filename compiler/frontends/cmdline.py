"""Single-job front end: a `jobsub_submit [OPTIONS] file://EXE [ARGS]` command line -> IR.

With `--maxConcurrent M` and `-N N` (M < N) the N copies become N DAG nodes run at most M at
a time, as jobsub_lite does; each node is one process of its own cluster.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from jobsub.compiler.base.conventions import WORKFLOW_SUFFIXES
from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.frontends.specs import SpecTable, job_options, local_path
from jobsub.compiler.ir.model import DagSettings, Node, Workflow, materializes_late
from jobsub.compiler.options.flags import Parsed
from jobsub.compiler.options.shellwords import Word
from jobsub.compiler.options.table import defaults, merge

SPEC_NAME = "simple"


def _is_workflow(path: str) -> bool:
    """A manifest or dagnabbit file given as the executable would run as a shell script
    and fail with 127; a file starting with #! is a script whatever its name."""
    if not path.lower().endswith(WORKFLOW_SUFFIXES):
        return False
    try:
        with open(path, "rb") as fh:
            return not fh.read(2).startswith(b"#!")
    except OSError:
        return False


def job_workflow(parsed: Parsed, where: Callable[[Word], Span], *, env: Mapping[str, str],
                 base_dir: str, user: str | None, sink: Sink) -> Workflow | None:
    if parsed.executable is None:
        return None
    exe = local_path(parsed.executable.text, where(parsed.executable), sink, base_dir,
                     "executable")
    if exe is None:
        return None
    if _is_workflow(os.path.join(base_dir, exe)):
        sink.error(f"{exe} is a workflow file, not a program to run", where(parsed.executable),
                   f"submit a workflow with --dag: jobsub_submit --dag file://{exe}")
        return None
    options = merge(defaults(env), job_options(parsed.values))
    arguments = [w.text for w in parsed.arguments]
    count = options.get("count", 1)
    limit = parsed.values.get("max_concurrent")
    wf = Workflow(name=SPEC_NAME, source="<command line>", base_dir=base_dir, kind="job",
                  user=user)
    specs = SpecTable()
    span = where(parsed.executable)
    if limit and limit < count:
        spec = specs.intern(exe, {**options, "count": 1}, SPEC_NAME, span)
        wf.kind = "dag"
        wf.name = "maxconcurrent"
        wf.settings = DagSettings(max_jobs_submitted=limit)
        wf.nodes = [Node(f"WORKER_{i}", spec, list(arguments), span=span, section=i)
                    for i in range(count)]
    else:
        if limit:
            sink.warning(f"--maxConcurrent {limit} has no effect on {count} job(s)",
                         parsed.spans.get("max_concurrent"),
                         "it limits how many of the -N copies run at once")
        spec = specs.intern(exe, options, SPEC_NAME, span)
        wf.nodes = [Node(SPEC_NAME, spec, arguments, span=span)]
        if materializes_late(specs.specs[-1]):  # a DAG of one node: DAGMan submits it there
            wf.kind = "dag"
    wf.specs = specs.specs
    return wf
