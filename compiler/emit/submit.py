"""Submit file and wrapper script of one job spec: Python decides the values, Jinja2 lays
them out. Pure functions of the IR (plus the site policy); problems raise JobsubError with the
spec's location.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jinja2

from jobsub.compiler.base import quoting
from jobsub.compiler.base.conventions import (
    ARGS_VAR,
    NODE_ENVIRONMENT,
    OUTPUT_FOLDER_VAR,
    outputs_tar,
    stdio_name,
)
from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.base.limits import MATERIALIZED_IDLE
from jobsub.compiler.base.quoting import Unrepresentable
from jobsub.compiler.base.units import INT_MAX
from jobsub.compiler.emit.inputs import JobFiles, tarball_stem
from jobsub.compiler.ir.model import JobSpec, Node, Workflow, asks_late, materializes_late
from jobsub.compiler.ir.versions import DEFAULT_TARGET, NATIVE_MEMORY_RETRY
from jobsub.compiler.site.placement import container, place
from jobsub.compiler.site.policy import Policy

_NOTIFICATION = {"never": "Never", "on_error": "Error", "always": "Always"}


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    from jobsub.compiler.base.cache import cache_folder

    folder = cache_folder(f"jinja2-{jinja2.__version__}")
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("jobsub.compiler.emit", "templates"),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
        # templates compiled once (jinja2 checks each entry against its source)
        bytecode_cache=jinja2.FileSystemBytecodeCache(folder) if folder else None)
    env.filters["sh"] = _sh
    return env


def _sh(value: str) -> str:
    """A shell word for `value` (single-quoted when needed); line breaks cannot be written."""
    return shlex.quote(quoting.no_newlines(str(value), "value"))


@dataclass(frozen=True)
class Names:
    """Where a spec's files live in the output folder, and what the job receives."""

    submit: str  # stage_1.sub
    wrapper: str  # stage_1.sh
    executable: str  # files/jobA.sh
    files: JobFiles = field(default_factory=lambda: JobFiles([], []))
    #: VARS names of the nodes that run it, lower case: macros its values may use
    node_vars: frozenset[str] = frozenset()
    #: what its own files are named after: the spec's name (a sub-DAG's: `NODE.spec`)
    stem: str = ""
    #: its nodes write stdout and stderr into their output folders (ir.outputs_in_folders)
    folders: bool = False


def render_submit(wf: Workflow, spec: JobSpec, names: Names, policy: Policy,
                  node: Node | None = None, target: tuple[int, int, int] = DEFAULT_TARGET
                  ) -> str:
    """The submit description of `spec`. In a DAG the arguments come from VARS; for a single
    job (`node` given) they are written inline. `target`: the HTCondor version it is for."""
    try:
        text = _env().get_template("job.sub.j2").render(
            _submit_context(wf, spec, names, policy, node, target))
    except Unrepresentable as err:
        raise JobsubError(f"job {spec.name}: {err}", spec.span) from None
    for line in text.splitlines():
        if line.endswith("\\") and not line.lstrip().startswith("#"):
            key = line.split("=", 1)[0].strip()
            raise JobsubError(f"job {spec.name}: the value of {key} ends with a backslash, "
                              "which would join the next line of the submit file to it",
                              spec.span, "remove the trailing backslash (--email-to, "
                              "--lines, or the site file's value)")
    return text


def render_wrapper(wf: Workflow, spec: JobSpec, names: Names, policy: Policy) -> str:
    o = spec.options
    exe = names.executable.rsplit("/", 1)[-1]
    tarballs = [{"name": t.arrives_as, "fetch": t.fetch, "suffix": f"_{i}" if i else "",
                 "stem": tarball_stem(t.name)} for i, t in enumerate(names.files.tarballs)]
    try:
        return _env().get_template("wrapper.sh.j2").render(
            source=_source(wf), name=spec.name, executable_name=exe,
            executable_name_sh=shlex.quote(exe),
            experiment=shlex.quote(o.get("group") or ""), grid_user=shlex.quote(wf.user or ""),
            timeout=o.get("timeout"), copy_command=policy.copy_command,
            cleaned=cleaned_environment(o),
            inputs=names.files.inputs, tarballs=tarballs, outputs=names.files.outputs,
            log_file=names.files.log_file,
            outputs_tar=(outputs_tar(shlex.quote(names.stem or spec.name), '"$CLUSTER"',
                                     '"$PROCESS"')
                         if packs_outputs(names.files, policy) else None))
    except Unrepresentable as err:
        raise JobsubError(f"job {spec.name}: {err}", spec.span) from None


#: What jobsub_lite's wrapper unsets so the worker's compiler and locale settings do not
#: reach the job.
CLEANED_ENVIRONMENT = ("LC_CTYPE", "CPATH", "LIBRARY_PATH")


def cleaned_environment(options: dict) -> list[str]:
    """The variables the wrapper unsets: none with --no-env-cleanup, never one -e sets."""
    if options.get("no_env_cleanup"):
        return []
    kept = {name for name, _value in options.get("environment") or []}
    return [name for name in CLEANED_ENVIRONMENT if name not in kept]


def packs_outputs(files: JobFiles, policy: Policy) -> bool:
    """Whether the job sends its -d folders and -L log back in its `outputs_tar` (no copy
    command at the site to put them in place from the worker)."""
    return bool(files.outputs or files.log_file) and not policy.copy_command


def outputs_attribute(files: JobFiles) -> str:
    """`JobsubOutputs`: where fetchlog puts what `outputs_tar` brings back, carried in the
    job's own ad so that it needs nothing from this machine: {"dirs": {TAG: DIR},
    "log": FILE}."""
    record = {"dirs": dict(files.outputs), "log": files.log_file}
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _source(wf: Workflow) -> str:
    """The workflow file's name, for the first comment line of each file."""
    return quoting.comment_text(wf.source.rsplit("/", 1)[-1])


def _submit_context(wf: Workflow, spec: JobSpec, names: Names, policy: Policy,
                    node: Node | None, target: tuple[int, int, int]) -> dict[str, Any]:
    o = spec.options
    dag = node is None
    exe_name = names.executable.rsplit("/", 1)[-1]
    own = names.stem or spec.name
    stem = stdio_stem(spec, names, dag)
    env_pairs: list[tuple[str, str]] = [("CLUSTER", "$(Cluster)"), ("PROCESS", "$(Process)")]
    if dag:
        env_pairs += [(name, f"$({name})") for name in NODE_ENVIRONMENT]
        env_pairs.append(("DAGMANJOBID", "$(DAGManJobId)"))
    else:
        env_pairs.append(("JOBSUBJOBSECTION", "$(Process)"))
    if spec.oauth is not None:
        env_pairs.append(("BEARER_TOKEN_FILE",
                          f".condor_creds/{spec.oauth.service}_{spec.oauth.handle}.use"))
    env_pairs += [(k, v) for k, v in o.get("environment", [])]

    defined = names.node_vars | quoting.macro_names(spec.queue.names if spec.queue else ())
    arguments = f'"$({ARGS_VAR})"' if dag else quoting.arguments(
        quoting.put_in_macros(node.arguments, {}, defined), defined)

    attributes, requirements, lines = _placement(o, policy)
    outputs = []
    if packs_outputs(names.files, policy):
        outputs.append(("JobsubOutputs", quoting.classad_string(outputs_attribute(names.files))))
    group = o.get("group")
    user = wf.user or ""
    accounting = None
    if group and (policy.accounting_subgroup if o.get("subgroup") else policy.accounting_group):
        fmt = policy.accounting_subgroup if o.get("subgroup") else policy.accounting_group
        accounting = fmt.format(group=group, subgroup=o.get("subgroup", ""), user=user)
    email = o.get("email_to") or (policy.notify_user.format(user=user)
                                  if policy.notify_user and user else None)
    return {
        "source": _source(wf),
        "name": spec.name,
        "dag": dag,
        "executable_name": exe_name,
        "wrapper": quoting.file_list_item(names.wrapper),
        "arguments": arguments,
        "inputs": [quoting.file_list_item(p) for p in
                   [names.executable, *(f.transfer for f in
                                        [*names.files.inputs, *names.files.tarballs]
                                        if f.transfer)]],
        "output_files": [".empty_file", *([outputs_tar(own)] if outputs else [])],
        "output": stdio_name(stem, "out"),
        "error": stdio_name(stem, "err"),
        "log": job_log(own),
        "environment": quoting.environment(
            [(k, quoting.put_in_macros([v], {}, defined)[0]) for k, v in env_pairs], defined),
        "memory": memory_request(o, dag, target),
        "memory_retry": memory_retry_lines(o, target),
        "disk": f"{o['disk']}K",
        "cpus": o.get("cpu"),
        "gpus": o.get("gpu"),
        "notification": _NOTIFICATION[o.get("mail", "never")],
        "notify_user": quoting.protect_dollars(email, keep_macros=False) if email else None,
        "attributes": [("JobsubCmd", quoting.classad_string(exe_name)),
                       *([("Jobsub_Group", quoting.classad_string(group))] if group else []),
                       *([("AccountingGroup", quoting.classad_string(accounting))]
                         if accounting else []),
                       ("JOB_EXPECTED_MAX_LIFETIME", str(o["expected_lifetime"])),
                       *outputs, *attributes],
        "requirements": requirements,
        "lines": [quoting.no_newlines(line, "--lines value") for line in lines],
        "count": o.get("count", 1),
        "queue": _queue(spec),
        "max_idle": _max_idle(spec),
        "oauth": spec.oauth,
        "oauth_scopes": " ".join(spec.oauth.scopes) if spec.oauth else "",
        "unread_vars": sorted(names.node_vars - _READ_VARS) if dag else [],
    }


#: The node VARS every DAG node's submit file reads (environment, arguments, output and
#: error); DAGMan's direct submit warns, once per node in dagman.out, about any other VARS
#: the file does not read (jobsub_lite's `nodename`, a sweep's own values). Each of those is
#: named in an empty `if defined NAME` block, which counts as reading it and changes nothing.
_READ_VARS = quoting.macro_names([*NODE_ENVIRONMENT, ARGS_VAR, OUTPUT_FOLDER_VAR])


def stdio_stem(spec: JobSpec, names: Names, dag: bool) -> str:
    """What a job's .out/.err names start with: `$(JOB)` in a DAG (`SUB.$(JOB)` in sub-DAG
    SUB; in the node's output folder `$(JOBSUB_OUT)/` in a big DAG), the spec's own name
    for a single job."""
    own = names.stem or spec.name
    if not dag:
        return own
    node = f"{own[:-len(spec.name)]}$(JOB)"
    return f"$({OUTPUT_FOLDER_VAR})/{node}" if names.folders else node



def job_log(stem: str) -> str:
    return f"{stem}.log"


#: Holds that mean "used more memory than it asked for": cgroup OOM (34), the startd's
#: HOLD_IF_MEMORY_EXCEEDED policy (21/102), and site policies whose reason says so.
MEMORY_HOLD = ("(HoldReasonCode =?= 34 || (HoldReasonCode =?= 21 && HoldReasonSubCode =?= 102)"
               " || ((HoldReasonCode =?= 21 || HoldReasonCode =?= 26) && "
               'regexp("memory", HoldReason, "i")))')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _retry_cap(o: dict[str, Any]) -> int:
    retry = o["memory_retry"]
    if retry["max"] is not None:
        return retry["max"]
    return min(INT_MAX, int(o["memory"] * retry["factor"] ** retry["count"]))


def memory_request(o: dict[str, Any], dag: bool, target: tuple[int, int, int]) -> str:
    """request_memory: with a memory retry, a DAG node asks FACTOR**$(RETRY) times more on
    each of DAGMan's retries (a job killed for memory comes back as a new job), and a job
    released from a memory hold asks FACTOR times what it used (older HTCondor; newer ones
    do that themselves, see memory_retry_lines)."""
    retry = o.get("memory_retry")
    native = target >= NATIVE_MEMORY_RETRY
    if retry is None or (native and not dag):
        return f"{o['memory']}M"
    factor = _number(retry["factor"])
    base = f"{o['memory']} * pow({factor}, $(RETRY))" if dag else str(o["memory"])
    if native:
        return f"ceiling(min({{{_retry_cap(o)}, {base}}}))"
    grown = f"ifThenElse(isUndefined(MemoryUsage), 0, MemoryUsage * {factor})"
    return f"ceiling(min({{{_retry_cap(o)}, max({{{base}, {grown}}})}}))"


def memory_retry_lines(o: dict[str, Any], target: tuple[int, int, int]
                       ) -> list[tuple[str, str]]:
    """What brings a job held for memory back: HTCondor's own retry_request_memory
    commands where the target has them, else a periodic_release of memory holds while
    more memory can help (the request grows from MemoryUsage, see memory_request)."""
    retry = o.get("memory_retry")
    if retry is None:
        return []
    cap = _retry_cap(o)
    if target >= NATIVE_MEMORY_RETRY:
        return [("retry_request_memory_increase",
                 f"RequestMemory * {_number(retry['factor'] - 1)}"),
                ("retry_request_memory_max", str(cap))]
    return [("periodic_release", f"{MEMORY_HOLD} && NumJobStarts <= {retry['count']} && "
                                 f"MemoryUsage < {cap}")]


def _max_idle(spec: JobSpec) -> int | None:
    """jobsub's max_idle for a cluster that materializes late, unless the user's -l lines
    already say how (max_idle or max_materialize)."""
    return MATERIALIZED_IDLE if materializes_late(spec) and not asks_late(spec) else None


def _queue(spec: JobSpec) -> str | None:
    """`NAMES from (` rows `)`: the items of a sweep run in one submit file."""
    if spec.queue is None:
        return None
    rows = "\n".join("  " + " ".join(quoting.protect_dollars(v) for v in row)
                     for row in spec.queue.rows)
    return f"{','.join(spec.queue.names)} from (\n{rows}\n)"




def _grouped(expr: str) -> str:
    """`expr` in parentheses, so that ANDing it cannot change how it groups."""
    expr = expr.strip()
    if expr.startswith("(") and expr.endswith(")"):
        depth = 0
        for i, c in enumerate(expr):
            depth += (c == "(") - (c == ")")
            if depth == 0 and i < len(expr) - 1:
                break
        else:
            return expr
    return f"({expr})"


def _binds_looser_than_and(expr: str) -> bool:
    """Whether `expr` has `||` or `?:` outside parentheses and strings: ANDed with other
    clauses as it is, it would take them in (`A || B && C` is `A || (B && C)`)."""
    return any(expr.startswith("||", i) or (
        expr[i] == "?" and not (expr[i - 1:i] == "=" and expr[i + 1:i + 2] == "="))
        for i in quoting.top_level(expr))  # (=?= is an operator that binds tighter than &&)


def _placement(o: dict[str, Any], policy: Policy
               ) -> tuple[list[tuple[str, str]], str | None, list[str]]:
    """Job attributes, the requirements expression and the remaining --lines, for sites,
    usage models, OS and container (placement.py decides, as jobsub_lite did)."""
    where = place(o, policy)
    image = container(o, policy)
    attrs: list[tuple[str, str]] = []
    clauses: list[str] = [_grouped(c) if _binds_looser_than_and(c) else c
                          for c in policy.base_requirements]
    if o.get("os"):
        attrs.append(("DesiredOS", quoting.classad_string(o["os"])))
        if OS_CLAUSE not in clauses:
            clauses.append(OS_CLAUSE)
    if where.usage_models:
        attrs.append(("DESIRED_usage_model", quoting.classad_string(where.usage_models)))
    if where.usage_requested:
        clauses.append(USAGE_CLAUSE)
    if where.sites:
        attrs.append(("DESIRED_SITES", quoting.classad_string(",".join(where.sites))))
        clauses.append(SITE_CLAUSE)
    if o.get("blocklist"):
        attrs.append(("Blacklist_Sites", quoting.classad_string(",".join(o["blocklist"]))))
        clauses.append(BLOCKLIST_CLAUSE)
    for key, value in where.provides:
        attrs.append((f"DESIRED_{key}", quoting.classad_string(value)))
    if image.image:
        attrs.append(("SingularityImage", quoting.classad_string(image.image)))
    for name, value in policy.attributes.items():
        attrs.append((name, quoting.no_newlines(value, f"site attribute {name}")))

    if o.get("overwrite_condor_requirements"):
        clauses = [_grouped(o["overwrite_condor_requirements"])]
    clauses += [_grouped(expr) for expr in o.get("append_condor_requirements", [])]
    requirements = " && ".join(clauses) if clauses else None
    if requirements is not None:
        requirements = quoting.no_newlines(requirements, "requirements")
    return attrs, requirements, image.lines


OS_CLAUSE = "(isUndefined(DesiredOS) || stringListsIntersect(toUpper(DesiredOS),IFOS_installed))"
USAGE_CLAUSE = ("(stringListsIntersect(toUpper(target.HAS_usage_model), "
                "toUpper(my.DESIRED_usage_model)))")
#: As jobsub_lite writes it: a slot that does not say its site (GLIDEIN_Site) could be at
#: a blocked one, so it is not matched either.
BLOCKLIST_CLAUSE = ("((isUndefined(target.GLIDEIN_Site) == FALSE) && "
                    "(!stringListIMember(target.GLIDEIN_Site,my.Blacklist_Sites)))")
SITE_CLAUSE = ("((isUndefined(target.GLIDEIN_Site) == FALSE) && "
               "(stringListIMember(target.GLIDEIN_Site,my.DESIRED_Sites)))")
