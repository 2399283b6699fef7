"""The DAGMan job of a spooled DAG: a scheduler-universe job that runs the schedd host's own
condor_dagman in the job's spool directory, where the whole compiled folder was sent.

Why not `htcondor2.Submit.from_dag`: it writes `NAME.dag.condor.sub` into the folder, puts
the *client's* condor_dagman (from PATH) in as the executable, imports the client's
environment (CONDOR_CONFIG, PATH, _CONDOR_*) through `getenv`, and stamps the client's version
into `-CsdVersion`, which an older DAGMan on the schedd refuses. Here the executable is the
site's path on the schedd host, nothing of the client's environment goes along, and the
version DAGMan is told is the schedd's own. The lines follow what condor_submit_dag writes
(HTCondor's dagman_utils.cpp, writeSubmitFile) and what jobsub_lite's template adds.
"""

from __future__ import annotations

from jobsub.compiler.base import quoting
from jobsub.compiler.base.conventions import NODE_OUTPUT_FOLDER


def arguments(dag_file: str, dagman: str, csd_version: str | None) -> list[str]:
    args = ["-p", "0", "-f", "-l", ".", "-Lockfile", f"{dag_file}.lock", "-AutoRescue", "1",
            "-DoRescueFrom", "0", "-Dag", dag_file]
    if csd_version:
        args += ["-CsdVersion", csd_version]
    return [*args, "-Dagman", dagman]


def config_environment(text: str) -> list[tuple[str, str]]:
    """The DAG's CONFIG file (jobsub writes it: `KNOB = value` lines) as `_CONDOR_KNOB`
    variables. condor_submit_dag would point DAGMan at the file (DAGMAN_CONFIG_FILE), but
    DAGMan reads it before it is in its working directory, and a spooled job's directory is
    not known when it is submitted; its environment is read from the start."""
    pairs = []
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not line.lstrip().startswith("#"):
            pairs.append((f"_CONDOR_{key.strip()}", value.strip()))
    return pairs


#: On a DAGMan job whose nodes write into output folders (conventions.NODE_OUTPUT_FOLDER):
#: the schedd's retrieval sends back only the top of its spool, so fetchlog asks for that
#: folder too (fetchlog._retrieve).
OUTPUT_FOLDER_ATTR = "JobsubOutputFolder"


def description(dag_file: str, inputs: list[str], dagman: str, csd_version: str | None,
                attributes: dict[str, str], config: str | None = None) -> dict[str, str]:
    """Submit keys of the DAGMan job for `dag_file`, run from a spool directory that holds
    `inputs` (the compiled folder's top-level names; folders travel whole). `config`: the
    text of the DAG's CONFIG file."""
    environment = [("_CONDOR_DAGMAN_LOG", f"{dag_file}.dagman.out"),
                   ("_CONDOR_MAX_DAGMAN_LOG", "0"),
                   *config_environment(config or "")]
    return {
        "universe": "scheduler",
        "executable": dagman,
        "transfer_executable": "false",
        "getenv": "false",
        "arguments": quoting.arguments(arguments(dag_file, dagman, csd_version)),
        "environment": quoting.environment(environment),
        "output": f"{dag_file}.lib.out",
        "error": f"{dag_file}.lib.err",
        "log": f"{dag_file}.dagman.log",
        "transfer_input_files": ", ".join(quoting.file_list_item(n) for n in inputs),
        "remove_kill_sig": "SIGUSR1",
        "MY.OtherJobRemoveRequirements": '"DAGManJobId =?= $(cluster)"',
        "on_exit_remove": "(ExitSignal =?= 11 || (ExitCode =!= UNDEFINED && ExitCode >= 0 "
                          "&& ExitCode <= 2))",
        "notification": "never",
        "batch_name": quoting.protect_dollars(dag_file, keep_macros=False),
        **({f"MY.{OUTPUT_FOLDER_ATTR}": quoting.classad_string(NODE_OUTPUT_FOLDER)}
           if NODE_OUTPUT_FOLDER in inputs else {}),
        **{f"MY.{k}": v for k, v in attributes.items()},
    }
