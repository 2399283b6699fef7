"""Command-line words -> parsed options, with the CLI's own flags next to the shared table."""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Iterable

from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.base.units import UnitError
from jobsub.compiler.options.flags import FlagParser, Parsed
from jobsub.compiler.options.shellwords import Word
from jobsub.compiler.options.table import BY_DEST, OPTIONS, Context, Kind, Option

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
VERSION = Option("version", ("--version",), Kind.FLAG, help="Show jobsub's version and exit.")
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
                 help="N > 0: also say, on stderr, what jobsub decides on the way (the "
                      "site, every file, the schedd, the constraint sent).")
VERBOSE_FLAG = Option("verbose_flag", ("-v",), Kind.FLAG, help="Same as --verbose 1.")
DEBUG = Option("debug", ("--debug",), Kind.FLAG, help="Same as --verbose 1.")
QUIET = Option("quiet", ("-q", "--quiet"), Kind.FLAG,
               help="Only warnings, errors and what a script reads (a submission's job id).")
JSON = Option("json", ("--json",), Kind.FLAG,
              help="One JSON document on stdout (diagnostics inside it) instead of text.")
COLLECTOR = Option("collector", ("--collector", "--pool"), Kind.VALUE, metavar="HOST[:PORT]",
                   help="Collector to find the site's schedds through (default: "
                        "$JOBSUB_COLLECTOR, the site file, then the local HTCondor "
                        "configuration).")
SCHEDD = Option("schedd", ("--schedd",), Kind.VALUE, metavar="NAME",
                help="The schedd to use. Submitting, the default is $JOBSUB_SCHEDD, the site "
                     "file's, else one of the site's schedds by load, never one in downtime; "
                     "commands on jobs ask every schedd of the site (job ids name their own).")

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

def _auth_methods(text: str, ctx: Context) -> list[str]:
    from .lite import auth_methods

    return auth_methods(text)


def _skip_check(text: str, _ctx: Context) -> str:
    if text != "rcds":
        raise UnitError(f"{text!r}: the one check jobsub_lite can skip is rcds")
    return text


GLOBAL_POOL = Option("global_pool", ("--global-pool", "--global_pool"), Kind.VALUE,
                     metavar="NAME", help="Use another pool of the site: its collector and "
                     "its site for --onsite, from the site file's pools: or $JOBSUB_POOL_MAP "
                     "(default: $JOBSUB_GLOBAL_POOL).")
SUPPORT_EMAIL = Option("support_email", ("--support-email", "--support_email"), Kind.FLAG,
                       help="Say whom to ask for help (the site file's support:) and exit.")
AUTH_METHODS = Option("auth_methods", ("--auth-methods", "--auth_methods"), Kind.VALUE,
                      metavar="token[,proxy]", convert=_auth_methods,
                      help="jobsub_lite's credentials list (default $JOBSUB_AUTH_METHODS): "
                           "jobsub authenticates with tokens, so it must name token; proxy "
                           "is accepted and not used (X.509 proxies are not supported).")
MANAGED_TOKEN = Option("managed_token", ("--managed-token", "--managed_token"), Kind.FLAG,
                       help="The token is kept fresh by a service (also $JOBSUB_MANAGED_TOKEN):"
                            " use $BEARER_TOKEN_FILE or the token found, never run htgettoken.")
SKIP_CHECK = Option("skip_check", ("--skip-check", "--skip_check"), Kind.APPEND,
                    metavar="rcds", convert=_skip_check,
                    help="jobsub_lite's skip of the wait for RCDS tarball publishing: accepted; "
                         "jobsub sends tarballs with the job and never waits for RCDS.")
JOB_INFO = Option("job_info", ("--job-info", "--job_info"), Kind.APPEND, metavar="SCRIPT",
                  help="Run SCRIPT JOBID COMMAND-LINE once the job is submitted (also the "
                       "comma-separated $JOBSUB_EXTRA_JOB_INFO); a script that fails is a "
                       "warning.")
#: jobsub_lite's flags of every command (its base parser): accepted by each of ours.
LITE_FLAGS = (GLOBAL_POOL, SUPPORT_EMAIL, AUTH_METHODS)

#: How much a command says (cli/voice.py).
VOICE_FLAGS = (QUIET, VERBOSE_FLAG, VERBOSE, DEBUG)
COMPILE_FLAGS = (HELP, VERSION, OUT, EMIT_IR, JSON, SITE_CONFIG, CONDOR_VERSION, *VOICE_FLAGS)
CHECK_FLAGS = (HELP, VERSION, FORMAT, STRICT, SITE_CONFIG, CONDOR_VERSION, POOL_CHECK,
               CHECK_COLLECTOR, *VOICE_FLAGS)
SUBMIT_FLAGS = (HELP, VERSION, OUT, EMIT_IR, DAG, NO_SUBMIT, JSON, COLLECTOR, SCHEDD,
                SITE_CONFIG, CONDOR_VERSION, RESUME, *VOICE_FLAGS, *LITE_FLAGS, MANAGED_TOKEN,
                SKIP_CHECK, JOB_INFO)
#: What every command on jobs (q, rm, fetchlog, status, ...) takes besides its own arguments:
#: the same entries as jobsub_submit's, so a flag means one thing everywhere.
POOL_FLAGS = (BY_DEST["group"], BY_DEST["role"], BY_DEST["subgroup"], COLLECTOR, SCHEDD,
              SITE_CONFIG, VERBOSE_FLAG, VERBOSE, DEBUG, *LITE_FLAGS)


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
                  interleaved: bool, command: str = "jobsub_submit") -> Parsed:
    parser = FlagParser([*OPTIONS, *extra], help_command=f"{command} --help")
    return parser.parse(command_words(argv), where, Context(env), sink,
                        executable_required=False, interleaved=interleaved)


class HelpStyle(argparse.HelpFormatter):
    """Every command's help laid out one way: the flags and their value on one line, what
    they do indented under it."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=5,
                         width=min(100, shutil.get_terminal_size().columns))

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings:
            return super()._format_action_invocation(action)
        text = ", ".join(action.option_strings)
        if action.nargs != 0:
            text += " " + self._format_args(action, self._get_default_metavar_for_optional(action))
        return text


def version_line() -> str:
    import jobsub

    return f"jobsub {jobsub.__version__}"


class VersionAction(argparse.Action):
    """--version for argparse commands, the version looked up only when asked."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, **kw):
        super().__init__(option_strings, dest=dest, nargs=0,
                         help="Show jobsub's version and exit.", **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit()


def command_parser(prog: str, description: str, usage: str | None = None,
                   add_help: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description, usage=usage,
                                add_help=add_help, formatter_class=HelpStyle)
    if add_help:
        p.add_argument("--version", action=VersionAction)
    return p


def _typed(option: Option, env):
    def convert(text: str):
        try:
            return option.convert(text, Context(env))
        except UnitError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = option.metavar  # argparse names the type in its messages
    return convert


def add_options(group, options: Iterable[Option], env=os.environ) -> None:
    """Table entries as argparse arguments: commands parsed by argparse take the same flags,
    checked by the same converters, described by the same help."""
    for o in options:
        help_text = o.help.replace("%", "%%")
        if o.kind is Kind.CHOICE:  # one spelling of each (--mail_never = --mail-never)
            shown = dict.fromkeys(f.replace("_", "-") if f.startswith("--") else f
                                  for f in o.flags)
            group.add_argument(*shown, dest=o.dest, action="store_const", const=None,
                               help=help_text)
        elif o.kind is Kind.FLAG:
            group.add_argument(*o.flags, dest=o.dest, action="store_true", help=help_text)
        else:
            kw = {"type": _typed(o, env)} if o.convert else {}
            if o.kind is Kind.PAIR:
                kw.update(nargs=2, metavar=tuple(o.metavar.split()), action="append")
            else:
                kw.update(metavar=o.metavar,
                          action="append" if o.kind is Kind.APPEND else "store")
            group.add_argument(*o.flags, dest=o.dest, help=help_text, **kw)


#: The usage lines of the commands the option table's parser reads.
COMPILE_USAGE = "jobsub compile FILE [-o DIR] [--emit-ir] [JOB OPTIONS]"
CHECK_USAGE = "jobsub check FILE... [--format text|json] [--strict] [JOB OPTIONS]"
SUBMIT_USAGE = ("jobsub_submit [JOB OPTIONS] file://EXE [ARGS...]\n"
                "       jobsub_submit [JOB OPTIONS] --dag file://DAGFILE\n"
                "       jobsub_submit --resume ID")


def options_parser(usage: str, extra: Iterable[Option],
                   positional: tuple[str, str] | None = None) -> argparse.ArgumentParser:
    """An argparse mirror of a command the option table's parser reads: its help, and
    what shell completion reads. `positional`: (name, nargs) of its files."""
    p = command_parser(usage.split()[0], "", usage=usage, add_help=False)
    if positional is not None:
        p.add_argument(positional[0], nargs=positional[1], help="workflow file(s)")
    add_options(p.add_argument_group("command options"), extra)
    add_options(p.add_argument_group("job options (jobsub_submit)"), OPTIONS)
    return p


def options_help(usage: str, extra: Iterable[Option]) -> str:
    """Help of a command parsed with the table's own parser, in the same style as the rest."""
    return options_parser(usage, extra).format_help().rstrip("\n")
