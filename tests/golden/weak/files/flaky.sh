#!/bin/sh
# Fails the first time, succeeds when retried: $1 is a marker file outside the sandbox.
if [ ! -e "$1" ]; then : > "$1"; exit 1; fi
echo recovered
