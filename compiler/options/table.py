"""The one table of jobsub_submit options.

Each entry drives every place the option appears: the `jobsub_submit` command line, the flags
inside dagnabbit job lines, the YAML manifest key (its `dest`), the IR field of a job spec, the
JSON Schema of that field, and `--help`. Adding an option is adding an entry here (and, where it
shapes a submit file, a line in the emitter that reads its `dest`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from jobsub.compiler.base import units
from jobsub.compiler.base.quoting import ANY_MACRO
from jobsub.compiler.base.units import UnitError


class Kind(Enum):
    FLAG = "flag"      # present or not: True
    VALUE = "value"    # one value; the last one given wins
    APPEND = "append"  # repeatable; values accumulate in order
    PAIR = "pair"      # repeatable, two words each (-d TAG DIR)
    CHOICE = "choice"  # several flags, each storing its own constant into one dest


class Scope(Enum):
    JOB = "job"          # shapes a job: command line, dagnabbit lines, YAML jobs and defaults
    WORKFLOW = "workflow"  # applies to the whole DAG: command line and YAML top level only


@dataclass(frozen=True)
class Context:
    """What converters may consult (the submitting environment) and where they leave
    warnings about a value they had to read in jobsub_lite's way."""

    env: Mapping[str, str]
    warnings: list[str] = field(default_factory=list)


Converter = Callable[[str, Context], Any]


@dataclass(frozen=True)
class Option:
    dest: str
    flags: tuple[str, ...]
    kind: Kind
    help: str
    metavar: str = "VALUE"
    convert: Converter | None = None
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})
    choices: Mapping[str, Any] | None = None  # CHOICE: flag -> stored value
    default: Any = None
    scope: Scope = Scope.JOB
    conflicts: tuple[str, ...] = ()
    #: Changing it changes what the job computes (a rescue compares these), not only where
    #: or with how much it runs.
    identity: bool = True
    #: The YAML form of a normalised value, which reads back to it (jobsub convert); None:
    #: the value itself (pairs as lists).
    written: Callable[[Any], Any] | None = None
    #: What a manifest may write besides the command line's text: "mapping" (an APPEND of
    #: KEY=VALUE pairs also as a mapping; `yaml_pair` says its shape) or "list" (a
    #: comma-separated VALUE also as a list).
    yaml: str | None = None
    yaml_pair: str = "KEY: VALUE"
    #: The value with each local path (relative to the workflow file's folder) passed
    #: through a function: how `jobsub convert -o` writes it from another folder.
    paths: Callable[[Any, Callable[[str], str]], Any] | None = None

    @property
    def takes_value(self) -> bool:
        return self.kind in (Kind.VALUE, Kind.APPEND, Kind.PAIR)

    @property
    def repeatable(self) -> bool:
        return self.kind in (Kind.APPEND, Kind.PAIR)

    @property
    def value_schema(self) -> Mapping[str, Any]:
        """Schema of the dest's value in the IR (a list for repeatable options)."""
        if self.kind is Kind.FLAG:
            return {"type": "boolean"}
        if self.kind is Kind.CHOICE:
            return {"enum": sorted(set(self.choices.values()))}
        if self.repeatable:
            return {"type": "array", "items": dict(self.schema)}
        return dict(self.schema)

    @property
    def display(self) -> str:
        return " / ".join(self.flags)


# --- converters: text -> normalised IR value; raise UnitError with a message users can act on --

def _wrap(fn: Callable[[str], Any]) -> Converter:
    return lambda text, _ctx: fn(text)


def _nonempty(text: str, _ctx: Context) -> str:
    if not text.strip():
        raise UnitError("the value is empty")
    return text


_ROLE = re.compile(r"[A-Za-z0-9_]+")


def _role(text: str, _ctx: Context) -> str:
    """A token role: it names the job's OAuth service (use_oauth_services = GROUP_ROLE)."""
    if not _ROLE.fullmatch(text):
        raise UnitError(f"{text!r} is not a role name: a role names the job's OAuth service, "
                        "so it may hold only letters, digits and _")
    return text


def _comma_list(text: str, _ctx: Context) -> list[str]:
    items = [t.strip() for t in text.split(",")]
    if not text.strip() or any(not t for t in items):
        raise UnitError(f"{text!r} is not a comma-separated list of names")
    return items


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _environment(text: str, ctx: Context) -> list[str]:
    name, eq, value = text.partition("=")
    if not _ENV_NAME.fullmatch(name):
        raise UnitError(f"{name!r} is not an environment variable name")
    if eq:
        return [name, value]
    if name not in ctx.env:
        raise UnitError(f"-e {name} passes the submitter's value of {name}, but {name} is not set")
    return [name, ctx.env[name]]


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def _key_value(text: str, _ctx: Context) -> list[str]:
    key, eq, value = text.partition("=")
    if not eq or not _KEY.fullmatch(key):
        raise UnitError(f"{text!r} is not KEY=VALUE")
    return [key, value]


_ATTR_LINE = re.compile(r"(\s*(?:[+]|[Mm][Yy]\.)[A-Za-z_][A-Za-z0-9_.]*\s*=\s*)(.*)", re.S)
_SUBMIT_LINE = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_.]*\s*=.*", re.S)


def _is_classad(text: str) -> bool:
    import classad2  # only when a job has expressions to check

    try:
        classad2.ExprTree(ANY_MACRO.sub("x", text))
    except Exception:
        return False
    return True


def _unescape_once(text: str) -> str:
    """jobsub_lite's backslash_escape_layer: `\\x` -> `x`, once."""
    return re.sub(r"\\(.)", r"\1", text)


def _expression(text: str, ctx: Context) -> str:
    """A ClassAd expression as written; or, if only jobsub_lite's extra unescaping makes it
    one (`'+A=\\"x\\"'` in old files), that reading, with a warning."""
    if not text.strip():
        raise UnitError("the expression is empty")
    if _is_classad(text):
        return text
    fixed = _unescape_once(text)
    if fixed != text and _is_classad(fixed):
        ctx.warnings.append(f"read {text!r} as {fixed!r}, removing one level of backslashes "
                            "as jobsub_lite did")
        return fixed
    raise UnitError(f"{text!r} is not a valid ClassAd expression")


def _submit_line(text: str, ctx: Context) -> str:
    m = _ATTR_LINE.fullmatch(text)
    if m:
        return m.group(1) + _expression(m.group(2), ctx)
    if not _SUBMIT_LINE.fullmatch(text) or text.split("=")[0].strip().lower() == "queue":
        raise UnitError(f"{text!r} is not a submit-file line of the form NAME = VALUE "
                        "or +ATTR = EXPRESSION")
    return text


_DROPBOX = re.compile(r"dropbox:(?://)?(.*)", re.S)
_TARDIR = re.compile(r"tardir:(?://)?(.*)", re.S)


def _input_file(text: str, _ctx: Context) -> str:
    """A path, or dropbox://PATH (jobsub_lite also took dropbox:PATH); normalised to the
    double-slash form."""
    m = _DROPBOX.fullmatch(text)
    if m:
        if not m.group(1):
            raise UnitError(f"{text!r} names no file")
        return f"dropbox://{m.group(1)}"
    if not text.strip():
        raise UnitError("the value is empty")
    return text


def _tarball(text: str, ctx: Context) -> str:
    m = _TARDIR.fullmatch(text)
    if m:
        if not m.group(1):
            raise UnitError(f"{text!r} names no folder")
        return f"tardir://{m.group(1)}"
    return _input_file(text, ctx)


def _file_paths(values: list[str], move: Callable[[str], str]) -> list[str]:
    """-f and --tar_file_name values with their paths moved (dropbox://, tardir:// kept)."""
    out = []
    for value in values:
        prefix = next((p for p in ("dropbox://", "tardir://") if value.startswith(p)), "")
        out.append(prefix + move(value[len(prefix):]))
    return out


def _email(text: str, _ctx: Context) -> str:
    if not re.fullmatch(r"[^\s@,]+@[^\s@,]+", text):
        raise UnitError(f"{text!r} is not an e-mail address")
    return text


_SIZE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": units.INT_MAX}
_PAIR_SCHEMA = {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2}

OPTIONS: tuple[Option, ...] = (
    # --- accounting -----------------------------------------------------------------------
    Option("group", ("-G", "--group"), Kind.VALUE, metavar="GROUP", convert=_nonempty,
           help="Group/experiment the jobs run for (accounting, priorities, token issuer). "
                "Defaults to $JOBSUB_GROUP, then $GROUP."),
    Option("role", ("--role",), Kind.VALUE, metavar="ROLE", convert=_role,
           help="Role for the job's token (e.g. Analysis, Production); default: the "
                "default-role file, the token's own role, then the site's default."),
    Option("subgroup", ("--subgroup",), Kind.VALUE, metavar="SUBGROUP", convert=_nonempty,
           help="Subgroup for priorities and accounting (the site's accounting_subgroup).",
           identity=False),
    # --- resources ------------------------------------------------------------------------
    Option("count", ("-N",), Kind.VALUE, metavar="N", convert=_wrap(units.count),
           schema=_SIZE_SCHEMA, default=1,
           help="Queue N copies of the job ($PROCESS is 0..N-1)."),
    Option("memory", ("--memory",), Kind.VALUE, metavar="SIZE", convert=_wrap(units.memory_mb),
           schema=_SIZE_SCHEMA, default=2048, written=units.write_mb,
           help="Memory to request, NUMBER[KB|MB|GB|TB]; a bare number is MB. IR value: MB.",
           identity=False),
    Option("disk", ("--disk",), Kind.VALUE, metavar="SIZE", convert=_wrap(units.disk_kb),
           schema=_SIZE_SCHEMA, default=10 * 1024 * 1024, written=units.write_kb,
           help="Scratch disk to request, NUMBER[KB|MB|GB|TB]; a bare number is KB. IR value: KB.",
           identity=False),
    Option("cpu", ("--cpu",), Kind.VALUE, metavar="N", convert=_wrap(units.count),
           schema=_SIZE_SCHEMA, help="CPU cores to request.",
           identity=False),
    Option("gpu", ("--gpu",), Kind.VALUE, metavar="N", convert=_wrap(units.count),
           schema=_SIZE_SCHEMA, help="GPUs to request.",
           identity=False),
    Option("expected_lifetime", ("--expected-lifetime", "--expected_lifetime"), Kind.VALUE,
           metavar="TIME", convert=_wrap(units.lifetime), schema=_SIZE_SCHEMA, default=8 * 3600,
           written=units.write_seconds,
           help="How long the job is expected to run: short (3h), medium (8h), long (85200s) "
                "or NUMBER[s|m|h|d]. Slots with less lifetime left are not matched. IR: seconds.",
           identity=False),
    Option("memory_retry", ("--memory-retry", "--memory_retry"), Kind.VALUE,
           metavar="N[:FACTOR[:MAX]]", convert=_wrap(units.memory_retry),
           schema={"type": "object", "additionalProperties": False,
                   "required": ["count", "factor", "max"],
                   "properties": {"count": {"type": "integer", "minimum": 1,
                                            "maximum": units.INT_MAX},
                                  "factor": {"type": "number", "exclusiveMinimum": 1,
                                             "maximum": units.MAX_MEMORY_FACTOR},
                                  "max": {"type": ["integer", "null"], "minimum": 1,
                                          "maximum": units.INT_MAX}}},
           identity=False,
           help="A job held or killed for using more memory than it asked for runs again "
                "with FACTOR (default 2) times more, up to N times and at most MAX "
                "(e.g. 3:2:16GB). In a DAG, a killed job is rerun by the node's retry."),
    Option("timeout", ("--timeout",), Kind.VALUE, metavar="TIME", convert=_wrap(units.lifetime),
           schema=_SIZE_SCHEMA, written=units.write_seconds,
           help="Kill the user executable if it still runs after NUMBER[s|m|h|d] (a bare "
                "number is seconds) or short (3h), medium (8h), long (85200s). IR: seconds.",
           identity=False),
    # --- job environment and submit-file additions ----------------------------------------
    Option("environment", ("-e", "--environment"), Kind.APPEND, metavar="VAR[=VAL]",
           convert=_environment, schema=_PAIR_SCHEMA, written=units.write_pairs,
           yaml="mapping", yaml_pair="NAME: value (null: the submitter's value)",
           help="Set VAR in the job's environment: -e VAR=VAL, or -e VAR to pass the "
                "submitter's value."),
    Option("no_env_cleanup", ("--no-env-cleanup", "--no_env_cleanup"), Kind.FLAG,
           help="Keep LC_CTYPE, CPATH and LIBRARY_PATH in the job's environment (by default "
                "the wrapper unsets them, as jobsub_lite's does, unless -e names them).",
           identity=False),
    Option("lines", ("-l", "--lines"), Kind.APPEND, metavar="LINE", convert=_submit_line,
           help="A line to add to the submit file verbatim, e.g. '+Attr=\"value\"'."),
    Option("append_condor_requirements",
           ("-c", "--append_condor_requirements", "--append-condor-requirements"), Kind.APPEND,
           metavar="EXPR", convert=_expression,
           help="A ClassAd expression ANDed onto the job's requirements.",
           identity=False),
    Option("overwrite_condor_requirements",
           ("--overwrite-condor-requirements", "--overwrite_condor_requirements"), Kind.VALUE,
           metavar="EXPR", convert=_expression,
           help="Replace the generated requirements with this expression (appended "
                "requirements are still ANDed on).",
           identity=False),
    Option("resource_provides", ("--resource-provides", "--resource_provides"), Kind.APPEND,
           metavar="KEY=VALUE", convert=_key_value, schema=_PAIR_SCHEMA,
           written=units.write_pairs, yaml="mapping",
           help="Request a resource: adds +DESIRED_KEY=\"VALUE\" to the job; "
                "usage_model=... selects usage models.",
           identity=False),
    # --- where it runs --------------------------------------------------------------------
    Option("site", ("--site",), Kind.VALUE, metavar="SITES", convert=_comma_list,
           schema={"type": "array", "items": {"type": "string"}, "minItems": 1},
           conflicts=("onsite", "offsite"), yaml="list",
           help="Comma-separated sites the job may run at.",
           identity=False),
    Option("onsite", ("--onsite", "--onsite-only"), Kind.FLAG, conflicts=("site", "offsite"),
           help="Run only on the local site's resources (usage models DEDICATED, OPPORTUNISTIC).",
           identity=False),
    Option("offsite", ("--offsite", "--offsite-only"), Kind.FLAG, conflicts=("site", "onsite"),
           help="Run only offsite (usage model OFFSITE).",
           identity=False),
    Option("blocklist", ("--blocklist", "--blacklist"), Kind.VALUE, metavar="SITES",
           convert=_comma_list, schema={"type": "array", "items": {"type": "string"},
                                        "minItems": 1}, yaml="list",
           help="Comma-separated sites the job must not run at.",
           identity=False),
    Option("os", ("--OS",), Kind.VALUE, metavar="OS", convert=_nonempty,
           help="Worker-node OS, e.g. SL7 (comma-separated for several).",
           identity=False),
    Option("singularity_image", ("--singularity-image", "--apptainer-image",
                                 "--singularity_image", "--apptainer_image"),
           Kind.VALUE, metavar="IMAGE", convert=_nonempty, conflicts=("no_singularity",),
           help="Container image to run the job in."),
    Option("no_singularity", ("--no-singularity", "--no-apptainer", "--no_singularity"),
           Kind.FLAG, conflicts=("singularity_image",),
           help="Do not ask for a container image."),
    # --- notification ---------------------------------------------------------------------
    Option("mail", ("--mail_never", "--mail-never", "--mail_on_error", "--mail-on-error",
                    "--mail_always", "--mail-always", "-Q"), Kind.CHOICE, default="never",
           choices={"--mail_never": "never", "--mail-never": "never", "-Q": "never",
                    "--mail_on_error": "on_error", "--mail-on-error": "on_error",
                    "--mail_always": "always", "--mail-always": "always"},
           help="When HTCondor e-mails about the job: never (default; -Q as jobsub_lite), "
                "on_error, always.",
           identity=False),
    Option("email_to", ("--email-to", "--email_to"), Kind.VALUE, metavar="ADDRESS",
           convert=_email, help="Where job e-mail goes.",
           identity=False),
    # --- files ----------------------------------------------------------------------------
    Option("input_file", ("-f",), Kind.APPEND, metavar="FILE", convert=_input_file,
           paths=_file_paths,
           help="An input file the job finds in $CONDOR_DIR_INPUT: a path read when the job "
                "starts, or dropbox://PATH, copied when you submit."),
    Option("tar_file_name", ("--tar_file_name", "--tar-file-name"), Kind.APPEND,
           metavar="dropbox://FILE|tardir://DIR", convert=_tarball, paths=_file_paths,
           help="A tarball unpacked for the job in $INPUT_TAR_DIR_LOCAL ($INPUT_TAR_FILE is "
                "the tarball; _1, _2, ... for more): dropbox://FILE.tgz, or tardir://DIR, "
                "tarred reproducibly and named by its content."),
    Option("tarball_exclusion_file", ("--tarball-exclusion-file", "--tarball_exclusion_file"),
           Kind.VALUE, metavar="FILE", convert=_nonempty, paths=lambda v, move: move(v),
           help="Patterns (one per line, shell-style, # comments) of paths tardir:// "
                "leaves out."),
    Option("output_dir", ("-d",), Kind.PAIR, metavar="TAG DIR", schema=_PAIR_SCHEMA,
           paths=lambda pairs, move: [[tag, move(d)] for tag, d in pairs],
           help="A writable directory $CONDOR_DIR_TAG for the job, copied to DIR when the "
                "executable ends."),
    Option("log_file", ("-L", "--log-file", "--log_file"), Kind.VALUE, metavar="FILE",
           convert=_nonempty, paths=lambda v, move: move(v),
           help="Also write the executable's output (stdout and stderr) to FILE."),
    # --- tokens ---------------------------------------------------------------------------
    Option("need_storage_modify", ("--need-storage-modify", "--need_storage_modify"),
           Kind.APPEND, metavar="PATH", convert=_nonempty,
           help="A storage path the job's token needs storage.modify scope on (it must lie "
                "under a storage.modify scope of your token)."),
    Option("need_scope", ("--need-scope", "--need_scope"), Kind.APPEND, metavar="SCOPE",
           convert=_nonempty, help="An extra scope the job's token needs."),
    # --- DAG-wide -------------------------------------------------------------------------
    Option("max_concurrent", ("--maxConcurrent", "--max-concurrent", "--max_concurrent"),
           Kind.VALUE, metavar="N", convert=_wrap(units.count_or_zero), scope=Scope.WORKFLOW,
           schema={**_SIZE_SCHEMA, "minimum": 0},
           help="At most N jobs of the DAG in the queue at once (0: no limit, as jobsub_lite). "
                "With -N and no --dag, the N copies run as a DAG.",
           identity=False),
)

BY_DEST: dict[str, Option] = {o.dest: o for o in OPTIONS}


def defaults(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Values every job has unless something sets them; with `env`, also those taken from
    the submitting environment as jobsub_lite does ($JOBSUB_GROUP, then $GROUP, for -G)."""
    out = {o.dest: o.default for o in OPTIONS if o.default is not None and o.scope is Scope.JOB}
    group = env_group(env or {})
    if group:
        out["group"] = group
    return out


def env_group(env: Mapping[str, str]) -> str | None:
    """The group when -G is not given: $JOBSUB_GROUP, then $GROUP (jobsub_lite's order)."""
    return env.get("JOBSUB_GROUP") or env.get("GROUP") or None


_REPEATABLE = frozenset(o.dest for o in OPTIONS if o.repeatable)
_CONFLICTS = {o.dest: o.conflicts for o in OPTIONS if o.conflicts}


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Layer `override` on `base`: repeatable options accumulate, the others are replaced.

    An option set in `override` also clears the options it conflicts with in `base`
    (`--site` on a job line beats `--onsite` given for all jobs).
    """
    out = dict(base)
    for dest in override:
        for other in _CONFLICTS.get(dest, ()):
            if other not in override:
                out.pop(other, None)
    for dest, value in override.items():
        if dest in _REPEATABLE and dest in out:
            out[dest] = [*out[dest], *value]
        else:
            out[dest] = value
    return out
