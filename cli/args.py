"""Command-line words -> parsed options, with the CLI's own flags next to the shared table."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.base.units import UnitError
from jobsub.compiler.options.flags import FlagParser, Parsed
from jobsub.compiler.options.shellwords import Word
from jobsub.compiler.options.table import OPTIONS, Context, Kind, Option

COMMAND_LINE = "<command line>"


def _verbosity(text: str, _ctx: Context) -> int:
    try:
        return int(text)
    except ValueError:
        raise UnitError(f"{text!r} is not a whole number") from None


def _format(text: str, _ctx: Context) -> str:
    if text not in ("text", "json"):
        raise UnitError(f"{text!r}: expected text or json")
    return text


HELP = Option("help", ("-h", "--help"), Kind.FLAG, help="Show this help and exit.")
OUT = Option("out", ("-o", "--output-dir"), Kind.VALUE, metavar="DIR",
             help="Folder to write (replaced atomically if jobsub wrote it before).")
EMIT_IR = Option("emit_ir", ("--emit-ir",), Kind.FLAG,
                 help="Print the workflow's IR as JSON instead of writing files.")
FORMAT = Option("format", ("--format",), Kind.VALUE, metavar="text|json", convert=_format,
                help="How diagnostics are printed (json: one array on stdout, for CI).")
STRICT = Option("strict", ("--strict",), Kind.FLAG, help="Treat warnings as errors.")
DAG = Option("dag", ("--dag",), Kind.FLAG,
             help="The file:// argument is a dagnabbit file describing a DAG.")
NO_SUBMIT = Option("no_submit", ("-n", "--no-submit", "--no_submit"), Kind.FLAG,
                   help="Write the submit files and print where; do not submit.")
VERBOSE = Option("verbose", ("--verbose",), Kind.VALUE, metavar="N", convert=_verbosity,
                 help="More output (accepted for jobsub_lite compatibility).")
DEBUG = Option("debug", ("--debug",), Kind.FLAG, help="Same as --verbose 1.")
COLLECTOR = Option("collector", ("--collector", "--pool"), Kind.VALUE, metavar="HOST[:PORT]",
                   help="Collector to find the site's schedds through (default: "
                        "$JOBSUB_COLLECTOR, the site file, then the local HTCondor "
                        "configuration).")
SCHEDD = Option("schedd", ("--schedd",), Kind.VALUE, metavar="NAME",
                help="Schedd to submit to (default: $JOBSUB_SCHEDD, the site file's, else one "
                     "of the site's schedds by load, never one in downtime).")

SITE_CONFIG = Option("site_config", ("--site-config",), Kind.VALUE, metavar="FILE",
                     help="Site configuration file (default: $JOBSUB_SITE_CONFIG, "
                          "~/.config/jobsub/site.yaml, /etc/jobsub/site.yaml, else a personal "
                          "pool with no site policy).")

CONDOR_VERSION = Option("condor_version", ("--condor-version",), Kind.VALUE, metavar="X.Y.Z",
                        help="The HTCondor version the workflow must run on (default 23.0.0): "
                             "newer DAGMan features are errors naming the version they need.")

RESUME = Option("resume", ("--resume",), Kind.VALUE, metavar="ID",
                help="Run a failed DAG again from its rescue DAG, keeping the nodes that "
                     "finished (= jobsub rescue ID).")

POOL_CHECK = Option("pool", ("--pool",), Kind.FLAG,
                    help="Also match each job against the pool's slots: a job no slot can "
                         "run is an error naming the clause of its requirements that fails.")
CHECK_COLLECTOR = Option("collector", ("--collector",), Kind.VALUE, metavar="HOST[:PORT]",
                         help="With --pool: the pool's collector (default: "
                              "$JOBSUB_COLLECTOR, the site file, the local configuration).")

COMPILE_FLAGS = (HELP, OUT, EMIT_IR, SITE_CONFIG, CONDOR_VERSION)
CHECK_FLAGS = (HELP, FORMAT, STRICT, SITE_CONFIG, CONDOR_VERSION, POOL_CHECK, CHECK_COLLECTOR)
SUBMIT_FLAGS = (HELP, OUT, EMIT_IR, DAG, NO_SUBMIT, COLLECTOR, SCHEDD, SITE_CONFIG,
                CONDOR_VERSION, VERBOSE, DEBUG, RESUME)


def command_words(argv: list[str]) -> list[Word]:
    """argv as words; offsets are positions in the space-joined command line."""
    words, pos = [], 0
    for arg in argv:
        words.append(Word(arg, pos, pos + len(arg)))
        pos += len(arg) + 1
    return words


def where(_word: Word) -> Span:
    return Span(COMMAND_LINE)


def parse_command(argv: list[str], extra: Iterable[Option], env, sink: Sink, *,
                  interleaved: bool) -> Parsed:
    parser = FlagParser([*OPTIONS, *extra])
    return parser.parse(command_words(argv), where, Context(env), sink,
                        executable_required=False, interleaved=interleaved)


def options_help(extra: Iterable[Option]) -> str:
    """Help text for the CLI flags and every option of the shared table."""
    lines = []
    for title, opts in (("command options", list(extra)), ("job options (jobsub_submit)",
                                                            list(OPTIONS))):
        lines.append(f"\n{title}:")
        for o in opts:
            flags = ", ".join(o.flags if o.kind is not Kind.CHOICE else o.flags[::2])
            if o.takes_value:
                flags += f" {o.metavar}"
            lines.append(f"  {flags}")
            lines += textwrap.wrap(o.help, 92, initial_indent="      ",
                                   subsequent_indent="      ")
    return "\n".join(lines)
