"""Names and macro rules that every stage shares: the front ends must leave alone what the
back end writes for DAGMan, and the checks must know which HTCondor release reads it.
Kept here, below every stage, so that each rule exists once."""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from jobsub.compiler.base.limits import NODE_OUTPUT_FOLDER_NODES


@dataclass(frozen=True, slots=True)
class ScriptMacro:
    """A `$NAME` token DAGMan replaces in a PRE/POST script's arguments."""

    post_only: bool  # a PRE script that uses it is refused by DAGMan
    since: tuple[int, int, int]  # first release whose DAGMan replaces it


MANIFEST_SUFFIXES = (".yaml", ".yml")
#: What a workflow file (manifest or dagnabbit) is called; anything else is dagnabbit.
WORKFLOW_SUFFIXES = (*MANIFEST_SUFFIXES, ".dag", ".dagnabbit")


def is_manifest(path: str) -> bool:
    return path.lower().endswith(MANIFEST_SUFFIXES)


_OLD, _NEW = (23, 0, 0), (23, 9, 6)
#: From condor_dagman/script.cpp (Script::BackgroundRun) of each release.
SCRIPT_MACROS: dict[str, ScriptMacro] = {
    "JOB": ScriptMacro(False, _OLD),
    "RETRY": ScriptMacro(False, _OLD),
    "MAX_RETRIES": ScriptMacro(False, _OLD),
    "DAG_STATUS": ScriptMacro(False, _OLD),
    "FAILED_COUNT": ScriptMacro(False, _OLD),
    "JOBID": ScriptMacro(True, _OLD),
    "RETURN": ScriptMacro(True, _OLD),
    "PRE_SCRIPT_RETURN": ScriptMacro(True, _OLD),
    "NODE": ScriptMacro(False, _NEW),
    "DAGID": ScriptMacro(False, _NEW),
    "FUTILE_COUNT": ScriptMacro(False, _NEW),
    "DONE_COUNT": ScriptMacro(False, _NEW),
    "QUEUED_COUNT": ScriptMacro(False, _NEW),
    "NODE_COUNT": ScriptMacro(False, _NEW),
    "CLUSTERID": ScriptMacro(True, _NEW),
    "JOB_COUNT": ScriptMacro(True, _NEW),
    "SUCCESS": ScriptMacro(True, _NEW),
    "EXIT_CODES": ScriptMacro(True, _NEW),
    "EXIT_CODE_COUNTS": ScriptMacro(True, _NEW),
    "JOB_ABORT_COUNT": ScriptMacro(True, _NEW),
    "EXIT_CODE_LIST": ScriptMacro(True, (25, 2, 1)),
}


def script_macro(token: str) -> tuple[str, ScriptMacro] | None:
    """The macro a whole script argument names (DAGMan compares without case), if any."""
    if not token.startswith("$"):
        return None
    name = token[1:].upper()
    found = SCRIPT_MACROS.get(name)
    return (name, found) if found is not None else None


#: The VARS jobsub_lite gave every DAG node, which job scripts read from their environment
#: (each is put there as `NAME=$(NAME)`); `nodename` is DAGMan's node name.
NODE_ENVIRONMENT = ("JOBSUBJOBSECTION", "CM1", "CM2")


#: jobsub_lite's VARS of the index-th node: each name with the index's offset, or its text.
_NODE_VARS: tuple[tuple[str, int | str], ...] = (
    ("JOBSUBJOBSECTION", 0), ("CM1", -1), ("CM2", -2), ("nodename", "$(JOB)"))


def jobsub_node_vars(index: int) -> dict[str, str]:
    """The VARS of the `index`-th node (dagnabbit and manifests count from 1, -N workers
    from 0, as jobsub_lite does)."""
    return {name: str(index + value) if isinstance(value, int) else value
            for name, value in _NODE_VARS}


def jobsub_vars_writer(pair: str, sep: str, *, sort: bool = False) -> Callable[[int], str]:
    """A function writing jobsub_node_vars(index) as text, each name and value through
    `pair` (a format of {name} and {value}, no other braces), joined by `sep`, in sort
    order if asked. Made from _NODE_VARS as an f-string (the emitters write it for each of
    a million nodes: 0.4 us, where a dict and a join take 2 us)."""
    return eval(f"lambda index: f{_vars_template(pair, sep, (), sort)!r}")


def node_vars_writer(pair: str, sep: str, own: tuple[str, ...], *,
                     sort: bool = False) -> Callable[[int, Sequence[str]], str]:
    """jobsub_vars_writer with a node's own VARS `own` after jobsub's (or among them, in
    sort order): a function of the index and the own values, in `own`'s order. Names
    other than plain identifiers, or jobsub's own, are a ValueError."""
    for name in own:
        if not _WRITABLE_NAME.fullmatch(name) or name in dict(_NODE_VARS):
            raise ValueError(f"{name!r}: not a name a VARS writer writes")
    return eval(f"lambda index, values: f{_vars_template(pair, sep, own, sort)!r}")


#: The names node_vars_writer puts in the f-string it makes (nothing it would read there).
_WRITABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _vars_template(pair: str, sep: str, own: tuple[str, ...], sort: bool) -> str:
    """The f-string's text: our table's names and values, then `own`'s names and
    `values[k]`, through `pair`."""
    rest = pair.replace("{name}", "").replace("{value}", "")
    if "{" in rest or "}" in rest:
        raise ValueError(f"{pair!r}: only {{name}} and {{value}} may be in braces")
    entries = [(name, f"{{index + {value}}}" if isinstance(value, int)
                else value.replace("{", "{{").replace("}", "}}")) for name, value in _NODE_VARS]
    entries += [(name, f"{{values[{k}]}}") for k, name in enumerate(own)]
    return sep.join(pair.format(name=name, value=value)
                    for name, value in (sorted(entries) if sort else entries))


#: The VARS that carries a DAG node's arguments (the submit file's `arguments` reads it).
ARGS_VAR = "JOBSUB_ARGS"
#: Where the node outputs of a big DAG go (limits.NODE_OUTPUT_FOLDER_NODES): `out/NNN/`,
#: named for each node by the VARS OUTPUT_FOLDER_VAR, so fetchlog and analyze find them.
NODE_OUTPUT_FOLDER = "out"
OUTPUT_FOLDER_VAR = "JOBSUB_OUT"
#: The empty file that makes each output folder exist in the compiled folder, so that it
#: is spooled with the DAG and is there before HTCondor writes into it (fetchlog skips it).
FOLDER_KEEPER = ".keep"


#: VARS names jobsub sets on nodes itself (lower case: HTCondor's macro names ignore case);
#: a workflow's own VARS may not take them.
RESERVED_VARS = frozenset({*(name.lower() for name in jobsub_node_vars(0)), ARGS_VAR.lower(),
                           OUTPUT_FOLDER_VAR.lower()})


def node_output_folder(section: int) -> str:
    """The folder of the node numbered `section` (jobsub_node_vars' index)."""
    return _output_folder(section // NODE_OUTPUT_FOLDER_NODES)


def node_output_folders(sections: Iterable[int]) -> set[str]:
    """The folders of the nodes numbered `sections`, each named once (a million nodes
    share a thousand folders)."""
    return {_output_folder(number)
            for number in {section // NODE_OUTPUT_FOLDER_NODES for section in sections}}


@lru_cache(maxsize=4096)
def _output_folder(number: int) -> str:
    return f"{NODE_OUTPUT_FOLDER}/{number:03d}"


def node_stdio_stem(stem: str, node: str, section: int | None) -> str:
    """A group's stdio stem (submit.stdio_stem: `$(JOB)`, `SUB.$(JOB)`,
    `$(JOBSUB_OUT)/$(JOB)`) as the named node's job filled it in."""
    stem = stem.replace("$(JOB)", node)
    if section is not None:
        stem = stem.replace(f"$({OUTPUT_FOLDER_VAR})", node_output_folder(section))
    return stem


def current_user(env: Mapping[str, str] = os.environ) -> str | None:
    """Who is submitting, and whose jobs `q` lists: $JOBSUB_USER (the account the schedd
    maps the token to, where it is not the login name), else $USER, $LOGNAME, the
    password database."""
    user = env.get("JOBSUB_USER") or env.get("USER") or env.get("LOGNAME")
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


#: The file that says jobsub wrote a folder (and may replace it).
MARKER = ".jobsub-output"


#: First path components and suffixes of what jobsub writes into an output folder.
_OURS_FIRST = frozenset({"files", "dropbox", "sub", MARKER, "jobsub.json"})


_OURS_SUFFIX = (".dag", ".sub", ".sh", ".config")


def plain_path_problem(path: str) -> str | None:
    """Why a DAG command that names a file unquoted (DOT, NODE_STATUS_FILE, JOBSTATE_LOG,
    CONFIG, a script's DEBUG) cannot name `path`, or None: DAGMan reads the name up to the
    first blank."""
    if not path or any(c.isspace() for c in path):
        return "cannot hold blanks: DAGMan reads this file name up to the first one"
    return None


def dagman_path_problem(path: str) -> str | None:
    """Why DAGMan must not write `path` (relative to the output folder, where DAGMan runs),
    or None. DAGMan follows the path wherever it points, so one that leaves the folder or
    lands on a file jobsub wrote would overwrite something that is not its own."""
    if not path.strip():
        return "is empty"
    blanks = plain_path_problem(path)
    if blanks:
        return blanks
    if os.path.isabs(path) or path.startswith("~"):
        return "is an absolute path; DAGMan's files stay inside the output folder"
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        return "leaves the output folder (..)"
    if parts[0] in _OURS_FIRST or parts[-1].endswith(_OURS_SUFFIX) or ".dag." in parts[-1]:
        return "would overwrite a file that jobsub or DAGMan writes"
    return None


def outputs_tar(spec: str, cluster: str = "$(Cluster)", process: str = "$(Process)") -> str:
    """The one file in which a job sends its -d folders (`jobsub_out_TAG/`) and -L log
    (`jobsub_joblog`) back when the site has no copy command to put them in place. Unique
    per job: DAG nodes all write into the DAGMan job's folder, where HTCondor applies no
    output remaps (it is a spool directory), so the wrapper gives it its final name."""
    return f"{spec}.{cluster}.{process}.outputs.tar"



#: The cluster and proc in a name made by outputs_tar (fetchlog finds the tars by it).
OUTPUTS_TAR_JOB = re.compile(r"\.(\d+)\.(\d+)\.outputs\.tar$")


def stdio_name(stem: str, stream: str, cluster: str = "$(Cluster)",
               process: str = "$(Process)") -> str:
    """A job's stdout ("out") or stderr ("err") file: `stem` is `$(JOB)` (or `SUB.$(JOB)`)
    for a DAG node, the spec's name for a single job. The runtime finds them by this too."""
    return f"{stem}.{cluster}.{process}.{stream}"

