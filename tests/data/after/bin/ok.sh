#!/bin/sh
echo "ok $*"
