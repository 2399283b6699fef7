"""The real HTCondor test pool, as the tests see it (tests/pool/pool.sh does the work)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
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
    keys = ("CONDOR_CONFIG", "PATH", "JOBSUB_POOL_SHARED", "JOBSUB_POOL_DIR")
    return {k: env[k] for k in keys}


@dataclass
class Pool:
    shared: Path  # this session's folder in the shared directory (same path in the pool)
    command: list[str]

    def job_dir(self, tag: str) -> Path:
        """A fresh folder the pool's user (uid 2000) can write; jobs run with it as Iwd."""
        path = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir=self.shared))
        path.chmod(0o777)
        return path

    def run(self, cwd: Path, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """A command inside the pool's chroot, as the pool's unprivileged user."""
        proc = subprocess.run([*self.command, "run", *argv], cwd=cwd, capture_output=True,
                              text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{argv} failed ({proc.returncode}):\n{proc.stdout}\n"
                                 f"{proc.stderr}")
        return proc

    def wait_dag(self, dag: Path, timeout: float = 240) -> int:
        """Wait until DAGMan for `dag` exits; its exit status."""
        out = dag.with_name(dag.name + ".dagman.out")
        deadline = time.monotonic() + timeout
        pattern = re.compile(r"EXITING WITH STATUS (\d+)")
        while time.monotonic() < deadline:
            if out.exists():
                m = pattern.search(out.read_text(errors="replace"))
                if m:
                    return int(m.group(1))
            time.sleep(0.5)
        tail = out.read_text(errors="replace")[-3000:] if out.exists() else "(no dagman.out)"
        raise AssertionError(f"{dag.name} did not finish within {timeout}s:\n{tail}")


def make_writable_tree(root: Path) -> None:
    """Compiled folders are written 0755 by the (root) test process; DAGMan, running as
    the pool's user, writes its logs beside the DAG file."""
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777)


def submitted_id(out: str) -> str:
    """The job id from jobsub submit's `Use job id ID to retrieve output` line."""
    line = next(ln for ln in out.splitlines() if ln.startswith("Use job id "))
    return line.split()[3]


def submit_and_wait(capsys, *argv: str) -> str:
    """`jobsub ARGV` (a submit) in-process, then `jobsub wait` for it; both must succeed.
    The job id."""
    from jobsub.cli.main import main

    code = main(list(argv))
    result = capsys.readouterr()
    assert code == 0, result.err
    job_id = submitted_id(result.out)
    code = main(["wait", job_id, "--timeout", "300"])
    waited = capsys.readouterr()
    assert code == 0, waited.out + waited.err
    return job_id


def jobs_run_in(folder: Path, attrs: list[str]) -> list:
    """The ads, queued and finished, of every job whose working directory is `folder`."""
    import htcondor2

    iwd = f'Iwd == "{folder.resolve()}"'
    schedd = htcondor2.Schedd()
    return [*schedd.query(iwd, attrs), *schedd.history(iwd, attrs)]
