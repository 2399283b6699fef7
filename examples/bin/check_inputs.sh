#!/bin/sh
# Example DAGMan PRE script: runs on the access point before node $1 is submitted.
echo "checking inputs for $1"
