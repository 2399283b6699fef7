#!/bin/sh
# Example job for nested.dagnabbit.
echo "step $1 (node $nodename)"
