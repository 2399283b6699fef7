"""jobsub_lite's submission-level flags and variables, given their meaning here: which
credentials (--auth-methods), whom to ask (--support-email), scripts run after a
submission (--job-info), options from the environment ($JOBSUB_EXTRA_ENVIRONMENT and
$JOBSUB_EXTRA_LINES) and managed tokens."""

from __future__ import annotations

import difflib
import shlex
import subprocess
from collections.abc import Mapping

from jobsub.compiler.base.units import UnitError

METHODS = ("token", "proxy")


def auth_methods(text: str) -> list[str]:
    """--auth-methods / $JOBSUB_AUTH_METHODS: a comma list of token and proxy that names
    token (jobsub authenticates with tokens only; an empty list means the default)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if name not in METHODS:
            close = difflib.get_close_matches(name, METHODS, n=1)
            raise UnitError(f"{name!r} is not an authentication method (token, proxy)"
                            + (f"; did you mean {close[0]}?" if close else ""))
    if names and "token" not in names:
        raise UnitError("jobsub authenticates with tokens only (X.509 proxies are not "
                        "supported): name token")
    return names or ["token"]


def env_auth_methods(env: Mapping[str, str]) -> list[str]:
    text = env.get("JOBSUB_AUTH_METHODS")
    if not text:
        return ["token"]
    try:
        return auth_methods(text)
    except UnitError as err:
        raise UnitError(f"$JOBSUB_AUTH_METHODS: {err}") from None


def managed(flag: bool, env: Mapping[str, str]) -> bool:
    """--managed-token, or $JOBSUB_MANAGED_TOKEN set to anything but 0, false, no or ''."""
    return flag or env.get("JOBSUB_MANAGED_TOKEN", "").strip().lower() not in (
        "", "0", "false", "no")


def support_line(site) -> str:
    if site.support:
        return site.support
    return ("this site's configuration names no support contact (support: in the site "
            "file); jobsub's own issues: see the README")


def env_list(env: Mapping[str, str], name: str) -> list[str]:
    """A jobsub_lite comma-separated variable, empty items dropped."""
    return [item for item in env.get(name, "").split(",") if item.strip()]


def extra_words(env: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(variable, flag, value) of the job options the environment adds before the command
    line's: $JOBSUB_EXTRA_ENVIRONMENT as -e, $JOBSUB_EXTRA_LINES as -l."""
    return [(var, flag, item) for var, flag in (("JOBSUB_EXTRA_ENVIRONMENT", "-e"),
                                                ("JOBSUB_EXTRA_LINES", "-l"))
            for item in env_list(env, var)]


def run_job_info(scripts: list[str], job_id: str, argv: list[str],
                 keep_stdout: bool = True) -> list[str]:
    """Run each script as SCRIPT JOBID COMMAND-LINE (jobsub_lite's --job-info); the
    problems, as warning lines. `keep_stdout` False: what they print goes to stderr (stdout
    holds a JSON document)."""
    import sys

    problems = []
    command_line = shlex.join(argv)
    for script in scripts:
        try:
            done = subprocess.run([script, job_id, command_line], stdin=subprocess.DEVNULL,
                                  stdout=None if keep_stdout else sys.stderr.fileno(),
                                  timeout=300, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            problems.append(f"--job-info {script}: {err}")
            continue
        if done.returncode != 0:
            problems.append(f"--job-info {script} exited with {done.returncode}")
    return problems


def job_info_scripts(values: list[str] | None, env: Mapping[str, str]) -> list[str]:
    return [*env_list(env, "JOBSUB_EXTRA_JOB_INFO"), *(values or [])]

