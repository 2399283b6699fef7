"""What every command shares: the exit-status contract, printing diagnostics, and the pool
options of the job commands. At the bottom of `cli/`: every command module may import it,
it imports none of them."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable

from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Sink, format_text

from . import args as cli_args


class UsageError(Exception):
    """Bad command line: exit 2."""


#: Diagnostics printed as text before the rest are only counted (JSON output has them all).
MAX_PRINTED = 50


def print_diagnostics(diags: list[Diagnostic], files: list[str]) -> None:
    from jobsub.compiler.base.sources import source_lines

    lines = source_lines(files)
    for d in diags[:MAX_PRINTED]:
        print(format_text(d, lines), file=sys.stderr)
    if len(diags) > MAX_PRINTED:
        rest = diags[MAX_PRINTED:]
        errors = sum(d.severity == "error" for d in rest)
        print(f"jobsub: ... and {len(rest)} more ({errors} error(s), "
              f"{len(rest) - errors} other); `jobsub check --format json FILE` lists them all",
              file=sys.stderr)


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
    return args.group or env.get("JOBSUB_GROUP") or env.get("GROUP") or None


def pool_of(args):
    from jobsub.compiler.site.config import load_site
    from jobsub.runtime.pool import Pool, PoolSettings

    site = load_site(args.site_config)
    return Pool(PoolSettings.resolve(args.collector, args.schedd, site=site), group_of(args))


def entry(fn: Callable[[list[str]], int]) -> Callable[..., int]:
    """A console script (`jobsub_q`, ...) running one command under run_guarded."""
    def run(argv: list[str] | None = None) -> int:
        return run_guarded(fn, sys.argv[1:] if argv is None else argv)
    return run
