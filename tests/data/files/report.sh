#!/bin/sh
# Writes what the job sees (files, variables, arguments) to $CONDOR_DIR_OUT/report.txt.
out="$CONDOR_DIR_OUT/report.txt"
{
    echo "args: $#"
    for a in "$@"; do echo "arg: [$a]"; done
    echo "RUN=[$RUN]"
    echo "GREETING=[$GREETING]"
    echo "input: $(cd "$CONDOR_DIR_INPUT" && ls | paste -sd ' ' -)"
    echo "input.txt: $(cat "$CONDOR_DIR_INPUT/input.txt")"
    echo "calib.db: $(cat "$CONDOR_DIR_INPUT/calib.db")"
    echo "tar 0: $(basename "$INPUT_TAR_FILE") $(cd "$INPUT_TAR_DIR_LOCAL" && find . -type f | sort | paste -sd ' ' -)"
    echo "tar 1: $(basename "$INPUT_TAR_FILE_1") $(cd "$INPUT_TAR_DIR_LOCAL_1" && find . -type f | sort | paste -sd ' ' -)"
    echo "lib: $(cat "$INPUT_TAR_DIR_LOCAL/lib/setup.sh")"
} > "$out"
echo "to stdout"
echo "to stderr" >&2
