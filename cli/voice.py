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
import threading
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


class Activity:
    """A spinner with a line of text on stderr while something long runs (a compile,
    spooling, wait), shown by rich after `delay` seconds, and only on a terminal to a
    voice that speaks (not quiet, not JSON). `update` changes the text."""

    def __init__(self, voice: Voice, text: str, delay: float = 2.0, console=None):
        self.voice, self.text, self.delay, self.console = voice, text, delay, console
        self._status = None
        self._timer = None
        self._lock = threading.Lock()
        self._done = False

    def _wanted(self) -> bool:
        if self.voice.level < NORMAL or self.voice.json:
            return False
        return self.console is not None or sys.stderr.isatty()

    def __enter__(self) -> Activity:
        if self._wanted():
            self._timer = threading.Timer(self.delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def _start(self) -> None:
        from rich.console import Console

        with self._lock:
            if self._done:
                return
            console = self.console or Console(file=sys.stderr)
            self._status = console.status(self.text)
            self._status.start()

    def update(self, text: str) -> None:
        with self._lock:
            self.text = text
            if self._status is not None:
                self._status.update(text)

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._done = True
            if self._timer is not None:
                self._timer.cancel()
            if self._status is not None:
                self._status.stop()
