#!/bin/sh
echo "post for $2 sees $1" >&2
exit 3
