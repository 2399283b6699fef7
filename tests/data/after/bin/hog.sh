#!/bin/sh
# Holds about $1 MB for a while.
python3 -c "import time; b = bytearray($1 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(20)"
echo "done with $1 MB"
