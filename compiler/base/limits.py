"""How much of anything jobsub reads, in one place: input that would otherwise hang, exhaust
memory or overflow Python's stack is refused with a located error that names the limit."""

#: Levels of <serial>/<parallel> blocks (dagnabbit) or serial/parallel groups (manifests)
#: inside one another. Real workflows use two or three.
MAX_NESTING = 50
#: Levels of lists and mappings in a YAML document: the groups' nesting, plus room for the
#: rest of a manifest (jobs -> job -> environment -> ...).
MAX_YAML_DEPTH = 2 * MAX_NESTING + 16
#: How many values (scalars, lists, mappings) a YAML document may stand for once its
#: aliases are expanded: EXPANSION times what is written, plus EXPANDED_EXTRA. A few aliases
#: each repeating the one before ("billion laughs") stand for more than memory holds, and
#: every later stage would walk them all; real manifests share defaults a few times over.
EXPANSION = 10
EXPANDED_EXTRA = 100_000
#: Bytes of a workflow file (a 1,000,000-line dagnabbit file is about 100 MB).
MAX_WORKFLOW_BYTES = 1 << 30
#: Bytes of a site configuration file.
MAX_SITE_BYTES = 1 << 20
#: Characters of a job, template, category or workflow name: each becomes part of file names
#: (`NAME.sub`, `NAME.CLUSTER.PROC.outputs.tar`), which filesystems cap at 255 bytes.
MAX_NAME = 200

#: A cluster of this many jobs (-N, or a sweep's rows in one submit file) materializes as it
#: runs (HTCondor's late materialization): the schedd holds at most MATERIALIZED_IDLE of its
#: jobs idle at a time instead of every job's ad from the start.
LATE_MATERIALIZE_PROCS = 10_000
MATERIALIZED_IDLE = 1_000
#: A DAG of this many nodes gets DAGMan's throttles pinned (emit/dag.py LARGE_DAG_KNOBS).
LARGE_DAG_NODES = 10_000
#: A DAG of NODE_OUTPUT_FOLDERS_FROM nodes or more writes its nodes' stdout and stderr
#: into subfolders of NODE_OUTPUT_FOLDER_NODES nodes each (conventions.node_output_folder):
#: no folder of the DAGMan job's then holds more than a few thousand files, and a DAG of a
#: thousand-way sweep and its merge keeps them beside it as before.
NODE_OUTPUT_FOLDERS_FROM = 2_000
NODE_OUTPUT_FOLDER_NODES = 1_000
