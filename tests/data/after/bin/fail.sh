#!/bin/sh
echo "about to fail with $1" >&2
echo "line two of stderr" >&2
exit "$1"
