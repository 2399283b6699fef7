#!/bin/sh
echo "held $1" >> holdscript.log
