"""`jobsub` and `jobsub_submit`: the command-line contract.

Exit status: 0 success, 1 errors in the input (printed as FILE:LINE:COL: error: ...),
2 bad usage. No traceback reaches the user (set JOBSUB_DEBUG=1 to see one for a crash).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from jobsub.compiler.base.conventions import current_user
from jobsub.compiler.base.diagnostics import Diagnostic, Sink, format_json
from jobsub.compiler.base.units import UnitError

from . import args as cli_args
from .common import (
    Command,
    Commands,
    TableCommand,
    UsageError,
    parse_command,
    print_diagnostics,
    run_guarded,
    usage_error,
)
from .compiling import (
    cache_dir,
    compile_one,
    credentials,
    default_out,
    deliver,
    pool_check,
    site_target,
    submit,
)
from .completion import completion_parser, completion_run
from .voice import QUIET, Voice, voice_of

USAGE = """\
usage: jobsub COMMAND [ARGS]

commands:
  compile FILE [-o DIR] [--emit-ir] [JOB OPTIONS]   compile a manifest (.yaml) or dagnabbit
  check FILE... [--format json] [--strict] [--pool] run every check, write nothing
  submit [JOB OPTIONS] [--dag] file://FILE [ARGS]   compile, then submit (= jobsub_submit)
  q [IDS] [--user U|--all] [--dag ID] [--history] [--json]   jobs, as jobsub_q
  history [IDS] [--qdate-ge D] [--qdate-le D] [-limit N]   finished jobs, as jobsub_history
  hold|release|rm IDS|USER|-constraint C|-all       act on jobs
  fetchlog ID [--destdir D]                         what a job (or DAG) wrote, as ID.tgz
  wait IDS [--timeout S] [--fetch]                  wait; exit 0 if all succeeded
  status ID [--watch [S]] [--json]                  a DAG's progress per job group
  analyze ID [--all] [--json]                       what failed, why, at which line
  rescue ID [--dry-run]                             rerun a failed DAG, keeping what finished
  report ID [-o FILE.html]                          one page: graph, status, failures, timeline
  schema [--ir|--site]                              print a JSON Schema (default: manifest)
  convert FILE.dagnabbit [-o FILE.yaml]             the equivalent YAML manifest
  fmt FILE.yaml... [--check]                        lay manifests out one way
  graph FILE|ID [-o FILE.dot|.svg|.png]             the DAG (coloured by state once it ran)
  condor TOOL [ARGS]                                HTCondor's condor_TOOL with the site's
                                                    pool, schedd and token
  wrappers install DIR                              condor_q, condor_submit, ... scripts
  completion bash|zsh                               shell completion (eval it in ~/.bashrc)
  help [COMMAND|TOPIC]                              this text, a command's --help, or a
                                                    topic: ids, environment, exit-status,
                                                    output, manifest

jobsub_submit [JOB OPTIONS] file://EXE [ARGS...]    jobsub_lite-compatible single job
jobsub_submit [JOB OPTIONS] --dag file://DAGFILE     ... or a dagnabbit DAG
jobsub_submit_dag, jobsub_q, jobsub_history, jobsub_hold, jobsub_release, jobsub_rm,
jobsub_fetchlog, jobsub_wait: the same as the commands above, under jobsub_lite's names.
Run `jobsub help compile` for the job options, `jobsub help q` and so on for the rest;
-q/--quiet, -v/--verbose and --json: `jobsub help output`.
"""




def _answered(values: dict, usage: str, flags) -> bool:
    """--version or --help on a command read with the option table's parser: printed, and
    nothing else to do (both are taken out of `values`)."""
    version, asked_help = values.pop("version", False), values.pop("help", False)
    if version:
        print(cli_args.version_line())
    elif asked_help:
        print(cli_args.options_help(usage, flags))
    return version or asked_help


def cmd_compile(argv: list[str]) -> int:
    parsed = parse_command(argv, cli_args.COMPILE_FLAGS, interleaved=True,
                           command="jobsub compile")
    values = dict(parsed.values)
    if _answered(values, cli_args.COMPILE_USAGE, cli_args.COMPILE_FLAGS):
        return 0
    if len(parsed.positionals) != 1:
        usage_error("jobsub compile", "give exactly one workflow file")
    path = parsed.positionals[0].text
    out_dir = values.pop("out", None) or default_out(path)
    emit_ir = values.pop("emit_ir", False)
    voice = _voice(values, "jobsub compile", emit_ir)
    site = site_target(values)
    _say_target(voice, site)
    sink = Sink()
    wf, files = compile_one(path, values, sink, site, voice=voice)
    summary = deliver(sink, [path], wf, files, out_dir, emit_ir, voice)
    if summary is None:
        return 1
    voice.document(summary)
    return 0


def _voice(values: dict, command: str, emit_ir: bool = False) -> Voice:
    try:
        voice = voice_of(values)
    except ValueError as err:
        usage_error(command, str(err))
    if voice.json and emit_ir:
        usage_error(command, "--emit-ir prints the IR as JSON already; give one of --json "
                    "and --emit-ir")
    return voice


def _say_target(voice: Voice, site) -> None:
    voice.detail(f"site {site.site.policy.name}"
                 + (f" (from {site.site.source})" if site.site.source else "")
                 + f", for HTCondor {site.condor_version or 'the default version'}")



def cmd_check(argv: list[str]) -> int:
    parsed = parse_command(argv, cli_args.CHECK_FLAGS, interleaved=True,
                           command="jobsub check")
    values = dict(parsed.values)
    if _answered(values, cli_args.CHECK_USAGE, cli_args.CHECK_FLAGS):
        return 0
    fmt = values.pop("format", "text")
    voice = _voice(values, "jobsub check")
    strict = values.pop("strict", False)
    against_pool = values.pop("pool", False)
    collector = values.pop("collector", None)
    site = site_target(values)
    _say_target(voice, site)
    paths = [w.text for w in parsed.positionals]
    if not paths:
        usage_error("jobsub check", "give at least one workflow file")
    all_diags: list[Diagnostic] = []
    failed = False
    pool = None
    for path in paths:
        sink = Sink()
        wf, files = compile_one(path, values, sink, site, voice=voice)
        if against_pool and wf is not None and files:
            if pool is None:
                from jobsub.runtime.pool import Pool, PoolSettings

                pool = Pool(PoolSettings.resolve(collector, site=site.site))
            pool_check(wf, {f.path: f.text for f in files if f.path.endswith(".sub")},
                       pool, sink, errors=True)
        diags = sink.sorted()
        all_diags += diags
        failed |= bool(sink.errors) or (strict and bool(sink.warnings))
        if fmt == "text":
            print_diagnostics(diags, [path])
    if fmt == "json":
        print(format_json(all_diags))
    elif not failed and voice.level > QUIET:
        print(f"ok: {len(paths)} file(s) checked", file=sys.stderr)
    return 1 if failed else 0



def jobsub_submit(argv: list[str]) -> int:
    """jobsub_lite's `jobsub_submit`: options, then file://EXE and its arguments."""
    from jobsub.compiler.frontends.cmdline import job_workflow
    from jobsub.compiler.options.flags import FlagParser
    from jobsub.compiler.options.table import OPTIONS, Context, merge
    from jobsub.compiler.pipeline import build
    from jobsub.results import token_files

    from .lite import env_auth_methods, job_info_scripts, managed, run_job_info, support_line

    sink = Sink()
    words = cli_args.command_words(argv)
    parser = FlagParser([*OPTIONS, *cli_args.SUBMIT_FLAGS])
    from_env = _environment_options(parser, sink)
    parsed = parser.parse(words, cli_args.where, Context(os.environ), sink,
                          executable_required=False)
    if sink.errors:
        print_diagnostics(sink.sorted(), [])
        raise UsageError
    parsed_values = dict(parsed.values)
    values = merge(from_env, parsed_values)
    parsed.values = dict(values)  # what the job is made from: the environment's options too
    if _answered(values, cli_args.SUBMIT_USAGE, cli_args.SUBMIT_FLAGS):
        return 0
    if values.pop("support_email", False):
        print(support_line(site_target(values).site))
        return 0
    if "resume" in values:  # the command line's own options: the environment's are for jobs
        return _resume({k: v for k, v in parsed_values.items() if k not in ("version", "help")},
                       parsed)
    methods = values.pop("auth_methods", None)
    if methods is None:
        try:
            env_auth_methods(os.environ)
        except UnitError as err:
            usage_error("jobsub_submit", str(err))
    elif "proxy" in methods:
        print("jobsub_submit: warning: --auth-methods: proxy is not used; jobsub "
              "authenticates with tokens only", file=sys.stderr)
    obtain = "managed" if managed(values.pop("managed_token", False), os.environ) else True
    skipped = values.pop("skip_check", None)
    job_info = job_info_scripts(values.pop("job_info", None), os.environ)
    if parsed.executable is None:
        usage_error("jobsub_submit", "--dag needs the DAG file: --dag file://DAGFILE"
                    if values.get("dag") else
                    "no executable given; end the options with file://EXE [ARGS...]")
    _split_value(parser, words, parsed, sink)
    _job_arguments(parser, parsed, sink)
    out_dir = values.pop("out", None)
    no_submit = values.pop("no_submit", False)
    # A folder jobsub chose itself is scratch: gone once its files are with the schedd.
    scratch = out_dir is None and not no_submit
    out_dir = out_dir or cache_dir()
    emit_ir = values.pop("emit_ir", False)
    voice = _voice(values, "jobsub_submit", emit_ir)
    dag = values.pop("dag", False)
    collector, schedd = values.pop("collector", None), values.pop("schedd", None)
    site = site_target(values)
    _say_target(voice, site)
    if skipped:
        voice.detail("--skip-check rcds: nothing to skip; jobsub never waits for RCDS")
    if obtain == "managed":
        voice.detail("managed token: htgettoken is not run")
    compiled_with = site.recorded(dict(values))

    tokens_used: list[str] = []
    if dag:
        url = parsed.executable.text
        if not url.startswith("file://"):
            usage_error("jobsub_submit", f"--dag expects file://DAGFILE, not {url!r}")
        if parsed.arguments:
            usage_error("jobsub_submit", "--dag takes no arguments after the DAG file")
        path = url[len("file://"):]
        wf, files = compile_one(path, values, sink, site, obtain=obtain,
                                 tokens_used=tokens_used, voice=voice)
        paths = [path]
    else:
        wf = job_workflow(parsed, cli_args.where, env=os.environ, base_dir=os.getcwd(),
                          user=current_user(os.environ), sink=sink)
        tokens = credentials(site, obtain=obtain)
        files = build(wf, sink, site.site.policy, site.condor_version, tokens) \
            if wf and not sink.errors else []
        tokens_used = token_files(tokens)
        paths = []
    summary = deliver(sink, paths, wf, files, out_dir, emit_ir, voice)
    if summary is None:
        return 1
    if emit_ir:
        return 0
    voice.say(f"Submission files are in: {out_dir}")
    if no_submit:
        voice.document(summary)
        return 0
    from jobsub.runtime.pool import PoolSettings

    settings = PoolSettings.resolve(collector, schedd, site=site.site)
    return submit(wf, out_dir, settings, site.site, tokens_used[0] if tokens_used else None,
                  source=paths[0] if paths else None, scratch=scratch, voice=voice,
                  record={"compile": compiled_with} if dag else None, summary=summary,
                  after=lambda job_id: run_job_info(job_info, job_id, ["jobsub_submit", *argv],
                                                    keep_stdout=not voice.json))


def _environment_options(parser, sink: Sink) -> dict:
    """Job options jobsub_lite takes from the environment ($JOBSUB_EXTRA_ENVIRONMENT as -e,
    $JOBSUB_EXTRA_LINES as -l, comma-separated), read by the same parser; a problem is
    located at the variable."""
    from jobsub.compiler.base.diagnostics import Span
    from jobsub.compiler.options.shellwords import Word
    from jobsub.compiler.options.table import Context

    from .lite import extra_words

    words, origin = [], {}
    for var, flag, item in extra_words(os.environ):
        for text in (flag, item):
            word = Word(text, len(words), len(words) + 1)
            origin[id(word)] = var
            words.append(word)
    if not words:
        return {}
    parsed = parser.parse(words, lambda w: Span(f"${origin[id(w)]}"), Context(os.environ),
                          sink, executable_required=False)
    return dict(parsed.values)


def _job_arguments(parser, parsed, sink: Sink) -> None:
    """After file://EXE every word is the job's; a word that is one of jobsub's own options
    there was surely meant for jobsub (`file://x.sh --no-submit` would submit for real), so
    it is refused unless a `--` right after the executable says the rest is the job's (the
    `--` itself is not passed on)."""
    if parsed.arguments and parsed.arguments[0].text == "--":
        parsed.arguments = parsed.arguments[1:]
        return
    for word in parsed.arguments:
        if parser.option_word(word.text):
            exe = parsed.executable.text
            sink.error(f"{word.text} after the executable would be an argument of the job",
                       cli_args.where(word),
                       f"options go before {exe}; use -- to pass it to the job: "
                       f"{exe} -- {word.text}")
    if sink.errors:
        print_diagnostics(sink.sorted(), [])
        raise UsageError


def _split_value(parser, words, parsed, sink: Sink) -> None:
    """`--memory 2 GB`: the option took `2`, and `GB` stood where file://EXE goes."""
    from jobsub.compiler.options.table import Context

    exe = parsed.executable
    if exe.text.startswith("file://"):
        return
    index = next(i for i, w in enumerate(words) if w is exe)
    option = parser.split_value(words, index, Context(os.environ))
    if option is not None:
        value = words[index - 1].text
        sink.error(f"{option.text} took {value!r} as its value, so {exe.text!r} stood where "
                   "file://EXE goes", cli_args.where(exe),
                   f"write the value as one word: {option.text} {value}{exe.text} (or quote "
                   "it)")
        print_diagnostics(sink.sorted(), [])
        raise UsageError


#: What `jobsub_submit --resume ID` passes on to `jobsub rescue ID` (flag: value or None).
_RESUME_PASSES = {"collector": "--collector", "schedd": "--schedd",
                  "site_config": "--site-config", "global_pool": "--global-pool",
                  "verbose": "--verbose", "verbose_flag": "-v", "debug": "--debug",
                  "json": "--json"}


def _resume(values: dict, parsed) -> int:
    """`jobsub_submit --resume ID`: `jobsub rescue ID`, with the pool and output options
    given."""
    from .after import rescue_main

    extra = set(values) - {"resume", *_RESUME_PASSES}
    if parsed.executable is not None or extra:
        usage_error("jobsub_submit", "--resume takes a job id and the pool options "
                    "(--collector, --schedd, --site-config, --global-pool) and -v/--json only; "
                    "the DAG is compiled again from its workflow file, as it was submitted")
    argv = [values["resume"]]
    for key, flag in _RESUME_PASSES.items():
        value = values.get(key)
        if value is True:
            argv.append(flag)
        elif value not in (None, False):
            argv += [flag, str(value)]
    return rescue_main(argv)



def _mirror(usage: str, flags, positional=None) -> Callable[[], object]:
    return lambda: cli_args.options_parser(usage, flags, positional)


#: Every command: this module's own, then those of the other modules, each imported only
#: when its command runs (or help and completion list them): a 10-line `jobsub check`
#: does not pay for q, status or the wrappers.
COMMANDS = Commands({
    "compile": TableCommand(_mirror(cli_args.COMPILE_USAGE, cli_args.COMPILE_FLAGS,
                                    ("file", None)), cmd_compile),
    "check": TableCommand(_mirror(cli_args.CHECK_USAGE, cli_args.CHECK_FLAGS,
                                  ("files", "+")), cmd_check),
    "submit": TableCommand(_mirror(cli_args.SUBMIT_USAGE, cli_args.SUBMIT_FLAGS),
                           jobsub_submit),
    # jobsub_lite's `jobsub submit_dag` (its umbrella command), as jobsub_submit_dag
    "submit_dag": TableCommand(_mirror(cli_args.SUBMIT_USAGE, cli_args.SUBMIT_FLAGS),
                               lambda argv: jobsub_submit(["--dag", *argv])),
    "completion": Command(completion_parser,
                          lambda args, _p: completion_run(args, dict(COMMANDS.items()))),
}, {"jobs": ("q", "hold", "release", "rm", "fetchlog", "wait", "history"),
    "after": ("status", "analyze", "rescue", "report"),
    "tools": ("schema", "convert", "fmt", "graph"),
    "wrappers": ("condor", "wrappers")})



def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help") or argv == ["help"]:
        print(USAGE)
        return 0
    if argv[0] == "help":
        return _help(argv[1:])
    if argv[0] == "--version":
        print(cli_args.version_line())
        return 0
    command = COMMANDS.get(argv[0])
    if command is None:
        import difflib

        close = difflib.get_close_matches(argv[0], COMMANDS, n=1)
        guess = f"; did you mean `jobsub {close[0]}`?" if close else ""
        print(f"jobsub: unknown command {argv[0]!r}{guess}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run_guarded(command, argv[1:])


def _help(topics: list[str]) -> int:
    """`jobsub help COMMAND` is COMMAND --help; `jobsub help TOPIC` what commands share."""
    from .topics import TOPICS

    if len(topics) != 1:
        print("jobsub help: name one command or topic", file=sys.stderr)
        return 2
    name = topics[0]
    if name in COMMANDS:
        try:
            return run_guarded(COMMANDS[name], ["--help"])
        except SystemExit as done:  # argparse's --help
            return int(done.code or 0)
    if name in TOPICS:
        print(TOPICS[name])
        return 0
    import difflib

    close = difflib.get_close_matches(name, [*COMMANDS, *TOPICS], n=1)
    guess = f"did you mean `jobsub help {close[0]}`? " if close else ""
    print(f"jobsub help: no command or topic {name!r}; {guess}topics: {', '.join(TOPICS)}; "
          "commands: `jobsub help`", file=sys.stderr)
    return 2


def jobsub_submit_main(argv: list[str] | None = None) -> int:
    return run_guarded(jobsub_submit, sys.argv[1:] if argv is None else argv)


def jobsub_submit_dag_main(argv: list[str] | None = None) -> int:
    """jobsub_lite's `jobsub_submit_dag`: jobsub_submit --dag."""
    return run_guarded(jobsub_submit, ["--dag", *(sys.argv[1:] if argv is None else argv)])

