"""The hostile values: each must reach the job exactly, or be refused with a reason."""

from __future__ import annotations

#: Values every channel (arguments, environment, VARS, ClassAd strings) must carry exactly.
HOSTILE = [
    "plain", "two words", "tab\there", "  leading and trailing  ", 'double"quote',
    "single'quote", "both'\"kinds\"'", "back\\slash", "trailing\\", "\\\\double", "\\\"",
    "$HOME", "${HOME}", "$(date)", "$(echo hi)", "a$b", "$", "$$", "$ENV(HOME)",
    "`id`", "a;b", "a,b", "a=b", "==", "#hash", "a # b", "&&", "|", "<x>", "*", "?", "~", "!",
    "%s %d", "{}", "[]", "é ü 中文 💥", "\u00a0nbsp", "-", "--", "-e", "''", '""', "'",
    "$()", "x$()y", "$(/)", "$(:)", "$(a b)", "$((x))", "1.10", "0x1F",
    "x" * 5000,
]
#: Also an empty value, where the channel has one (an argument, an environment variable).
EMPTY = ""
#: Never accepted: each would add a line to a DAG or submit file, or end a C string.
LINE_BREAKS = ["line\nbreak", "carriage\rreturn", "crlf\r\n", "nul\0char"]

#: File names of input files: each arrives in $CONDOR_DIR_INPUT with its name. (Names that a
#: file list cannot carry, with a comma or a blank, travel under a name of jobsub's and the
#: wrapper gives the file its own back.)
FILE_NAMES = ["plain.txt", "with space.txt", "quote'd.txt", 'dq"name.txt', "dollar$x.txt",
              "$(date).txt", "semi;colon.txt", "hash#.txt", "équipe.txt", "eq=ual.txt",
              " lead.txt", "tab\there.txt", "com,ma.txt", "trail.txt "]
#: Executable names a file list cannot carry: the executable keeps its name, so refused.
BAD_EXECUTABLE_NAMES = ["com,ma.sh", "trail.sh "]
