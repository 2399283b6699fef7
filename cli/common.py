"""What every command shares: the exit-status contract, printing diagnostics, and the pool
options of the job commands. At the bottom of `cli/`: every command module may import it,
it imports none of them."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Sink, format_text

from . import args as cli_args


class UsageError(Exception):
    """Bad command line: exit 2."""


def usage_error(command: str, message: str) -> NoReturn:
    """A bad command line, said as argparse says it (`COMMAND: error: MESSAGE`): exit 2."""
    print(f"{command}: error: {message}", file=sys.stderr)
    raise UsageError


#: Diagnostics printed as text before the rest are only counted (JSON output has them all).
MAX_PRINTED = 50


def print_diagnostics(diags: list[Diagnostic], files: list[str]) -> None:
    from jobsub.compiler.base.sources import source_lines

    shown = diags[:MAX_PRINTED]
    lines = source_lines(files, shown)
    paint = _painter()
    for d in shown:
        text = format_text(d, lines)
        if paint is None:
            print(text, file=sys.stderr)
        else:
            paint(text)
    if len(diags) > MAX_PRINTED:
        rest = diags[MAX_PRINTED:]
        errors = sum(d.severity == "error" for d in rest)
        print(f"jobsub: ... and {len(rest)} more ({errors} error(s), "
              f"{len(rest) - errors} other); `jobsub check --format json FILE` lists them all",
              file=sys.stderr)


#: Styles of the parts of a diagnostic (rich's style names).
_STYLES = (("error:", "bold red"), ("warning:", "bold yellow"), ("note:", "bold blue"),
           ("hint:", "cyan"))


def _painter() -> Callable[[str], None] | None:
    """Diagnostics in colour on a terminal: rich decides (NO_COLOR, TERM=dumb and
    FORCE_COLOR are its rules); None when stderr is not a terminal, without importing it."""
    if not (sys.stderr.isatty() or os.environ.get("FORCE_COLOR")):
        return None
    from rich.console import Console
    from rich.text import Text

    console = Console(file=sys.stderr, highlight=False, soft_wrap=True)
    if console.no_color or console.color_system is None:
        return None

    def paint(diagnostic: str) -> None:
        text = Text(diagnostic)
        for at, line in _lines_at(diagnostic):
            if line.lstrip().startswith("^"):  # the caret under the source line
                text.stylize("bold green", at, at + len(line))
                continue
            # the line's first severity word (a message may hold such words too)
            found = [(line.find(word), word, style) for word, style in _STYLES
                     if word in line]
            if found:
                where, word, style = min(found)
                if at == 0:
                    text.stylize("bold", 0, where)  # FILE:LINE:COL
                text.stylize(style, at + where, at + where + len(word))
        console.print(text)
    return paint


def _lines_at(text: str):
    at = 0
    for line in text.split("\n"):
        yield at, line
        at += len(line) + 1


def parse_command(argv: list[str], extra, *, interleaved: bool, command: str):
    sink = Sink()
    parsed = cli_args.parse_command(argv, extra, os.environ, sink, interleaved=interleaved,
                                    command=command)
    if sink.errors:
        print_diagnostics(sink.sorted(), [])
        raise UsageError
    return parsed


def run_guarded(fn: Callable[[list[str]], int], argv: list[str]) -> int:
    def terminate(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        return fn(argv)
    except UsageError:
        return 2
    except JobsubError as err:
        print_diagnostics(err.diagnostics, [d.span.file for d in err.diagnostics if d.span])
        return 1
    except KeyboardInterrupt:
        print("jobsub: interrupted; nothing was written", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    except Exception as err:  # a bug: one line for the user, the traceback on request
        if os.environ.get("JOBSUB_DEBUG"):
            raise
        print(f"jobsub: internal error: {type(err).__name__}: {err} "
              "(set JOBSUB_DEBUG=1 for details and please report it)", file=sys.stderr)
        return 1


def pool_arguments(parser: argparse.ArgumentParser) -> None:
    cli_args.add_options(parser.add_argument_group("pool and accounting"), cli_args.POOL_FLAGS)


def group_of(args, env=os.environ) -> str | None:
    from jobsub.compiler.options.table import env_group

    return args.group or env_group(env)


def pool_of(args):
    """The pool a command on jobs asks: the site file's (or --global-pool's) collector,
    unless --collector names one."""
    from jobsub.compiler.site.config import load_site, with_pool
    from jobsub.runtime.pool import Pool, PoolSettings

    site = with_pool(load_site(args.site_config), getattr(args, "global_pool", None),
                     os.environ)
    return Pool(PoolSettings.resolve(args.collector, args.schedd, site=site), group_of(args))


@dataclass(frozen=True)
class Command:
    """A command parsed by argparse: its parser (also what `jobsub completion` reads) and
    what it does with the parsed arguments (`p` to report a usage error as argparse does)."""

    parser: Callable[[], argparse.ArgumentParser]
    run: Callable[[argparse.Namespace, argparse.ArgumentParser], int]

    def __call__(self, argv: list[str]) -> int:
        p = self.parser()
        args = p.parse_args(argv)
        if getattr(args, "support_email", False):  # jobsub_lite's: say it, do nothing else
            from jobsub.compiler.site.config import load_site

            from .lite import support_line

            print(support_line(load_site(args.site_config)))
            return 0
        return self.run(args, p)


@dataclass(frozen=True)
class TableCommand:
    """A command parsed by the option table's parser (compile, check, submit): `parser` is
    an argparse mirror of its flags, for completion; `main` parses and runs."""

    parser: Callable[[], argparse.ArgumentParser]
    main: Callable[[list[str]], int]

    def __call__(self, argv: list[str]) -> int:
        return self.main(argv)


class Commands(Mapping):
    """Command name -> command: `own` at once, the rest from their modules of this package
    (module -> names), imported on first use."""

    def __init__(self, own: dict, elsewhere: dict[str, tuple[str, ...]]):
        self._own = own
        self._where = {name: module for module, names in elsewhere.items() for name in names}

    def __getitem__(self, name: str):
        if name in self._own:
            return self._own[name]
        import importlib

        module = importlib.import_module(f"jobsub.cli.{self._where[name]}")
        return module.COMMANDS[name]

    def __contains__(self, name: object) -> bool:
        return name in self._own or name in self._where

    def __iter__(self):
        return iter([*self._own, *self._where])

    def __len__(self) -> int:
        return len(self._own) + len(self._where)


def entry(fn: Callable[[list[str]], int]) -> Callable[..., int]:
    """A console script (`jobsub_q`, ...) running one command under run_guarded."""
    def run(argv: list[str] | None = None) -> int:
        return run_guarded(fn, sys.argv[1:] if argv is None else argv)
    return run
