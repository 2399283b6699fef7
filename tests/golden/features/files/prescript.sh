#!/bin/sh
echo "pre $1 retry $2"
