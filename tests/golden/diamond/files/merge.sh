#!/bin/sh
# Example job: pretend to merge.
echo "merge: $*"
