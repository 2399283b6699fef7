#!/bin/sh
# Example job: print each argument on its own line, to show they arrive intact.
echo "simulate: SEED=$SEED section=$JOBSUBJOBSECTION"
for a in "$@"; do printf '  [%s]\n' "$a"; done
