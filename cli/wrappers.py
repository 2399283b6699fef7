"""`jobsub condor TOOL ARGS`: HTCondor's own tool with what jobsub_lite's condor_* wrappers
add: the site's pool (`_condor_COLLECTOR_HOST`), the schedd (`-name` for each schedd of the
site, or the one a job id names; `-remote` for a submission, chosen as jobsub submit
chooses), and the user's token (`BEARER_TOKEN_FILE`). `jobsub wrappers install DIR` writes
`condor_q`, `condor_submit`, ... scripts into DIR that run it: they shadow a real HTCondor
install only when the user puts DIR ahead of it on PATH, and each finds the real tool on
PATH past the wrappers.

jobsub_lite's wrappers took `-G`/`--role` for the credentials and passed everything else
through; so do these."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.options.table import env_group

from .args import command_parser
from .common import Command

#: tool -> how the schedd is named to it: per schedd of the site (-name), a chosen one
#: (-remote), or not at all (condor_wait reads a log file).
TOOLS = {"q": "each", "rm": "each", "hold": "each", "release": "each",
         "transfer_data": "each", "submit": "remote", "submit_dag": "remote", "wait": "none"}
#: jobsub's own command doing what each tool does (for users without HTCondor's tools).
OWN = {"q": "q", "rm": "rm", "hold": "hold", "release": "release",
       "transfer_data": "fetchlog", "submit": "submit", "submit_dag": "submit --dag",
       "wait": "wait"}
MARK = "# jobsub wrapper of HTCondor's"
_ID_AT = re.compile(r"(\d+(?:\.\d+)?)@(\S+)")


def wrapper_script(tool: str) -> str:
    return (f"#!/bin/sh\n{MARK} condor_{tool}: the site's pool, schedd and token added "
            f"(jobsub help condor)\nexec {shlex.quote(sys.executable)} -m jobsub.cli condor "
            f'{tool} "$@"\n')


def install(folder: str) -> list[str]:
    """Write the wrappers into `folder`; the paths written. A file there that is not a
    jobsub wrapper is never replaced."""
    os.makedirs(folder, exist_ok=True)
    written = []
    for tool in TOOLS:
        path = os.path.join(folder, f"condor_{tool}")
        if os.path.exists(path) and not _is_wrapper(path):
            raise JobsubError(f"{path} exists and is not a jobsub wrapper; nothing written "
                              "over it", hint="install the wrappers into a folder of their own")
        tmp = f"{path}.jobsub-part"
        with open(tmp, "w") as fh:
            fh.write(wrapper_script(tool))
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
        written.append(path)
    return written


def _is_wrapper(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return MARK.encode() in fh.read(400)
    except OSError:
        return False


def real_tool(tool: str, env) -> str:
    """HTCondor's condor_TOOL: $JOBSUB_CONDOR_BIN's, else the first on PATH that is not a
    jobsub wrapper."""
    name = f"condor_{tool}"
    folders = [env["JOBSUB_CONDOR_BIN"]] if env.get("JOBSUB_CONDOR_BIN") else \
        env.get("PATH", "").split(os.pathsep)
    for folder in folders:
        path = os.path.join(folder or ".", name)
        if os.path.isfile(path) and os.access(path, os.X_OK) and not _is_wrapper(path):
            return path
    raise JobsubError(f"{name}: HTCondor's own tool is not on PATH (the wrapper only adds "
                      "the pool, the schedd and the token to it)",
                      hint=f"install HTCondor's tools, set JOBSUB_CONDOR_BIN to their folder, "
                           f"or use jobsub's own command (jobsub {OWN[tool]})")


def split_jobsub_options(argv: list[str]) -> tuple[dict, list[str]]:
    """-G/--group, --role, --site-config, --global-pool, --collector taken out (they are
    jobsub's); the rest, in order, for HTCondor's tool."""
    ours = {"-G": "group", "--group": "group", "--role": "role",
            "--site-config": "site_config", "--global-pool": "global_pool",
            "--collector": "collector"}
    values: dict = {}
    rest: list[str] = []
    words = iter(argv)
    for word in words:
        flag, eq, inline = word.partition("=")
        if flag in ours and flag.startswith("--") and eq:
            values[ours[flag]] = inline
        elif word in ours:
            value = next(words, None)
            if value is None:
                raise JobsubError(f"{word} needs a value")
            values[ours[word]] = value
        else:
            rest.append(word)
    return values, rest


def commands(tool: str, rest: list[str], pool, env) -> list[tuple[list[str], object]]:
    """The command lines to run, one per schedd asked, each with its schedd (None when the
    tool names none or the user named it)."""
    how = TOOLS[tool]
    if how == "remote" and any(w in ("-name", "-remote") for w in rest):
        raise JobsubError(f"condor_{tool}: the wrapper chooses the schedd",
                          hint="leave -name/-remote out, or run HTCondor's tool itself")
    exe = real_tool(tool, env)
    if how == "none":
        return [([exe, *rest], None)]
    if how == "remote":
        chosen = pool.choose()
        return [([exe, "-remote", chosen.name, *rest], chosen)]
    if "-name" in rest:
        return [([exe, *rest], None)]
    by_schedd: dict[str, list[str]] = {}
    common = []
    for word in rest:
        m = _ID_AT.fullmatch(word)
        if m:
            by_schedd.setdefault(m.group(2), []).append(m.group(1))
        else:
            common.append(word)
    if by_schedd:
        return [([exe, "-name", name, *common, *ids], pool.schedd(name))
                for name, ids in by_schedd.items()]
    return [([exe, "-name", s.name, *common], s) for s in pool.schedds()]


def environment(values: dict, site, pool_settings, env) -> dict:
    """The tool's environment: the pool's collector, and a token that fits the group."""
    out = dict(env)
    if pool_settings.collector:
        out["_condor_COLLECTOR_HOST"] = pool_settings.collector
    policy = site.policy.tokens
    group = values.get("group") or env_group(env)
    if policy is not None and group:
        from jobsub.runtime import tokens

        role = tokens.role_for(group, values.get("role"), env, os.getuid(), policy)
        found, _reasons = tokens.find(group, role, policy, env, os.getuid())
        if found is None:
            raise JobsubError(f"no bearer token fits group {group}, role {role}",
                              hint="jobsub submit gets one with htgettoken; or set "
                                   "BEARER_TOKEN_FILE")
        out["BEARER_TOKEN_FILE"] = found.path
    return out


def run(tool: str, argv: list[str], env=None) -> int:
    """Run HTCondor's condor_TOOL as the wrapper does; its exit status (the worst of one
    run per schedd)."""
    from jobsub.compiler.site.config import load_site, with_pool
    from jobsub.runtime.pool import Pool, PoolSettings

    env = dict(os.environ if env is None else env)
    if tool not in TOOLS:
        raise JobsubError(f"no wrapper for condor_{tool}",
                          hint="wrappers: " + ", ".join(f"condor_{t}" for t in TOOLS))
    values, rest = split_jobsub_options(argv)
    site = with_pool(load_site(values.get("site_config"), env), values.get("global_pool"), env)
    settings = PoolSettings.resolve(values.get("collector"), None, env, site)
    group = values.get("group") or env_group(env)
    pool = Pool(settings, group)
    lines = commands(tool, rest, pool, env)
    child_env = environment(values, site, settings, env)
    status = 0
    for line, schedd in lines:
        here = dict(child_env)
        if schedd is not None:  # the credd that takes the token is the schedd's (jobsub_lite)
            here["_condor_CREDD_HOST"] = str(schedd.ad.get("Machine") or schedd.name)
        sys.stdout.flush()
        status = max(status, subprocess.run(line, env=here, check=False).returncode)
    return status


def condor_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "jobsub condor", "HTCondor's own condor_TOOL with the site's collector, the schedd "
        "(-name for each of the site's schedds or the one a job id names; -remote, chosen as "
        "jobsub submit chooses, for a submission) and a token that fits the group. `jobsub "
        "wrappers install DIR` writes condor_TOOL scripts that run this.")
    p.add_argument("tool", choices=[*TOOLS, *(f"condor_{t}" for t in TOOLS)],
                   metavar="TOOL", help="one of " + ", ".join(TOOLS))
    p.add_argument("args", nargs=argparse.REMAINDER,
                   help="the tool's own arguments; -G/--group, --role, --site-config, "
                        "--global-pool and --collector among them are jobsub's")
    return p


def condor_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    return run(args.tool.removeprefix("condor_"), args.args)


def wrappers_parser() -> argparse.ArgumentParser:
    p = command_parser(
        "jobsub wrappers", "jobsub_lite's condor_* wrappers, opted into: scripts named "
        "condor_q, condor_submit, ... that run `jobsub condor TOOL`. They shadow HTCondor's "
        "own tools only where DIR comes first on PATH.")
    p.add_argument("action", choices=["install"], help="install: write the scripts")
    p.add_argument("folder", metavar="DIR", help="where (a folder of their own)")
    return p


def wrappers_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    for path in install(args.folder):
        print(f"wrote {path}")
    print(f"to use them: export PATH={os.path.abspath(args.folder)}:$PATH")
    return 0


COMMANDS = {"condor": Command(condor_parser, condor_run),
            "wrappers": Command(wrappers_parser, wrappers_run)}
