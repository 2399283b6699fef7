#!/bin/sh
# Example DAGMan POST script: $1 is the job's exit code, $2 the node name.
echo "node $2 finished with $1"
exit "$1"
