#!/bin/sh
# POST script: log, and pass the job's exit code on ($1), so a failure is retried.
echo "post $1 $2" >> postscript.log
exit "$1"
