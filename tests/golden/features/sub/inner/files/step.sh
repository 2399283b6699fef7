#!/bin/sh
echo "step $* (node $nodename, section $JOBSUBJOBSECTION, STAGE=$STAGE)"
