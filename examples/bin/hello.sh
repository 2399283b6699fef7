#!/bin/sh
# Example job: greet every argument.
for who in "$@"; do echo "hello, $who"; done
