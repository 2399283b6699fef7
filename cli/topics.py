"""`jobsub help TOPIC`: the things every command shares, which no one command's --help
holds. `jobsub help COMMAND` is that command's --help (cli/main.py)."""

from __future__ import annotations

TOPICS = {
    "ids": """\
Job ids

  CLUSTER.PROC@SCHEDD   one job (1234.0@schedd.example.org), as jobsub submit prints it
  CLUSTER@SCHEDD        every job of the cluster
  CLUSTER.PROC, CLUSTER without @SCHEDD: looked for on every schedd of the site
  a,b,c                 several ids in one word (jobsub_lite's comma lists)
  -J ID / --jobid ID    jobsub_lite's spelling, as many times as needed

A DAG's id is its DAGMan job's; status, analyze, rescue, report and fetchlog take it or any
of its node jobs' ids.""",
    "environment": """\
Environment variables jobsub reads

  JOBSUB_SITE_CONFIG   the site file (else ~/.config/jobsub/site.yaml, /etc/jobsub/site.yaml)
  JOBSUB_COLLECTOR     the pool's collector (--collector)
  JOBSUB_SCHEDD        the schedd to submit to (--schedd)
  JOBSUB_GROUP, GROUP  the experiment group when -G is not given
  JOBSUB_USER          whose jobs q lists and who submits (else USER, LOGNAME)
  JOBSUB_SUBMIT_DIR    where a submission's folder is written (else ~/.cache/jobsub)
  BEARER_TOKEN_FILE    the token to submit with (else the one htgettoken wrote)
  JOBSUB_DEBUG=1       show the traceback of an internal error
  NO_COLOR             no colour, even on a terminal

  JOBSUB_EXTRA_ENVIRONMENT, JOBSUB_EXTRA_LINES, JOBSUB_EXTRA_JOB_INFO: comma-separated
                       -e, -l and --job-info items before the command line's (a value
                       cannot hold a comma there: give it with -e instead)
  JOBSUB_GLOBAL_POOL, JOBSUB_POOL_MAP, JOBSUB_AUTH_METHODS, JOBSUB_MANAGED_TOKEN: as
                       --global-pool, its pools, --auth-methods, --managed-token

$VAR in a manifest is expanded from the environment when it is compiled.""",
    "exit-status": """\
Exit status

  0  success (wait, status, analyze: every job completed with exit code 0)
  1  errors in the input, printed as FILE:LINE:COL: error: ... with a hint; or a job
     failed (wait, status, analyze); or a schedd could not be asked
  2  bad usage of the command line
  status and analyze also use 3 (still running) and 4 (held): see `jobsub status --help`""",
    "output": """\
How much a command says

  -q, --quiet      only warnings, errors and what a script reads (submit: the job id)
  -v, --verbose N  also what jobsub decides on the way (site, files, schedd), on stderr
  --json           one JSON document on stdout (compile, submit, wait, q, status, analyze,
                   rescue; check: --format json), diagnostics inside it""",
    "manifest": """\
YAML manifests

  jobsub schema                 the manifest's JSON Schema (for editors and CI)
  examples/*.yaml               hello, diamond (retries, POST script), sweep (a matrix)
  jobsub convert F.dagnabbit    a dagnabbit file as the equivalent manifest
  jobsub fmt F.yaml             lay a manifest out one way, keeping its comments
The README's "YAML manifests" section describes every key.""",
}


def topic_text(name: str) -> str | None:
    return TOPICS.get(name)
