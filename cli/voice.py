"""How much a command says, and in which form: one object per run, handed to what prints.

- quiet (`-q`): warnings and errors, and what a script reads (a submission's job id);
- normal: also what was done (files written, the cluster submitted);
- verbose (`-v`, `--verbose N` as jobsub_lite, `--debug`): also what jobsub decided on the
  way (the site, every file, the schedd, the constraint sent), on stderr;
- json (`--json`): one JSON document on stdout instead of text, diagnostics inside it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

QUIET, NORMAL, VERBOSE = 0, 1, 2


@dataclass(frozen=True)
class Voice:
    level: int = NORMAL
    json: bool = False

    def say(self, line: str) -> None:
        """What was done: stdout, unless quiet or JSON."""
        if self.level >= NORMAL and not self.json:
            print(line)

    def result(self, line: str) -> None:
        """What a script reads (a job id): stdout even when quiet; not in JSON mode."""
        if not self.json:
            print(line)

    def detail(self, line: str) -> None:
        """What jobsub decided: stderr, only when verbose (JSON on stdout stays clean)."""
        if self.level >= VERBOSE:
            print(f"jobsub: {line}", file=sys.stderr)

    def document(self, data: Any) -> None:
        """The one JSON document of a --json run."""
        if self.json:
            print(json.dumps(data, indent=2))


def voice_of(values: dict, *, json_output: bool = False) -> Voice:
    """The voice of a command parsed with the option table's parser; takes `quiet`,
    `verbose`, `verbose_flag`, `debug` and `json` out of `values`. Asking for both quiet
    and verbose is a usage error (raised as ValueError with the message)."""
    quiet = values.pop("quiet", False)
    asked = [(values.pop("verbose", 0) or 0) > 0, values.pop("verbose_flag", False),
             values.pop("debug", False)]
    verbose = any(asked)
    as_json = values.pop("json", False) or json_output
    if quiet and verbose:
        raise ValueError("-q/--quiet and -v/--verbose/--debug ask for opposite things; "
                         "give one")
    return Voice(QUIET if quiet else VERBOSE if verbose else NORMAL, as_json)


def voice_of_args(args) -> Voice:
    """The voice of an argparse command (`jobsub q`, `wait`, ...)."""
    values = {k: getattr(args, k, None) for k in ("quiet", "verbose", "verbose_flag",
                                                 "debug", "json")}
    return voice_of({k: v for k, v in values.items() if v is not None})
