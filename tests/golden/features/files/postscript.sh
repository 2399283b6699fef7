#!/bin/sh
echo "post $1 $2" >> postscript.log
exit 0
