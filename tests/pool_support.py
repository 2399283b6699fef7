"""The real HTCondor test pool, as the tests see it (tests/pool/pool.sh does the work).

The pool is shaped like a site: it shares no folder with this machine, its two schedds
(`HOST` and `schedd2@HOST`) stand behind one collector, and this machine's token maps to a
pool user who cannot see its files. Tests therefore reach jobs only as a user would: submit
(spooled), then `jobsub q`/`wait`/`fetchlog`. `pool.sh run/push/pull` are the harness playing
a user logged in on the schedd host (for the by-hand `condor_submit_dag` tests).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

POOL_SH = Path(__file__).parent / "pool" / "pool.sh"


def pool_command() -> list[str]:
    """pool.sh needs root (chroot, mounts); CI runs as root, developers may have sudo."""
    return [str(POOL_SH)] if os.geteuid() == 0 else ["sudo", "-n", str(POOL_SH)]


def pool_environment() -> dict[str, str]:
    """What `eval "$(pool.sh env)"` would set."""
    out = subprocess.run(["bash", "-c", f'eval "$({POOL_SH} env)" && env -0'],
                         capture_output=True, text=True, check=True).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: env[k] for k in ("CONDOR_CONFIG", "JOBSUB_POOL_DIR")}


@dataclass
class Pool:
    command: list[str]
    schedds: list[str]  # [primary, schedd2@HOST]

    def sh(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([*self.command, *argv], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"pool.sh {' '.join(argv)} failed ({proc.returncode}):\n"
                                 f"{proc.stdout}\n{proc.stderr}")
        return proc

    def run(self, cwd: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A command on the schedd host, as the pool's unprivileged user, in `cwd` (a path
        inside the pool)."""
        return self.sh("run", "-C", cwd, *argv, check=check)

    def push(self, folder: Path) -> str:
        """Copy a folder to the schedd host (as scp would); its path there."""
        return self.sh("push", str(folder)).stdout.strip()

    def pull(self, pool_dir: str, dest: Path) -> Path:
        self.sh("pull", pool_dir, str(dest))
        return dest

    def downtime(self, n: int, on: bool) -> None:
        self.sh("downtime", str(n), "on" if on else "off")

    def power(self, n: int, on: bool) -> None:
        """Start or stop schedd `n` (1 or 2)."""
        self.sh("schedd", str(n), "on" if on else "off")


def submitted_id(out: str) -> str:
    """The job id from jobsub submit's `Use job id ID to retrieve output` line."""
    line = next(ln for ln in out.splitlines() if ln.startswith("Use job id "))
    return line.split()[3]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """`jobsub ARGV` in this process: (exit status, stdout, stderr)."""
    from jobsub.cli.main import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def submit_and_wait(capsys, *argv: str) -> str:
    """`jobsub ARGV` (a submit) in-process, then `jobsub wait` for it; both must succeed.
    The job id."""
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    job_id = submitted_id(out)
    code, out, err = run_cli(capsys, "wait", job_id, "--timeout", "300")
    assert code == 0, out + err
    return job_id


def submit_wait_fetch(capsys, dest: Path, *argv: str) -> tuple[str, Path]:
    """Submit, wait, and fetch the job's (or DAG's) files into `dest`: (id, dest)."""
    job_id = submit_and_wait(capsys, *argv)
    code, out, err = run_cli(capsys, "fetchlog", job_id, "--destdir", str(dest))
    assert code == 0, out + err
    return job_id, dest


def schedd_of(job_id: str):
    """The bindings' Schedd for the schedd a job id names."""
    import htcondor2

    name = job_id.split("@", 1)[1]
    [ad] = htcondor2.Collector().query(htcondor2.AdType.Schedd, f'Name == "{name}"')
    return htcondor2.Schedd(ad)


def all_schedds() -> list:
    import htcondor2

    return [htcondor2.Schedd(ad) for ad in htcondor2.Collector().query(htcondor2.AdType.Schedd)]


def jobs_submitted_from(folder: Path, attrs: list[str]) -> list:
    """The ads, queued and finished, on every schedd, of the jobs submitted from `folder`
    (spooled jobs keep it as SUBMIT_Iwd)."""
    constraint = f'SUBMIT_Iwd == "{folder.resolve()}"'
    out = []
    for schedd in all_schedds():
        out += [*schedd.query(constraint, attrs), *schedd.history(constraint, attrs)]
    return out
