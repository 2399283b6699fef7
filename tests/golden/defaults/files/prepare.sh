#!/bin/sh
# Example job: pretend to prepare inputs.
echo "prepare: section $JOBSUBJOBSECTION, arguments: $*"
