"""Faults while compiling: a signal at any point, a full disk, a folder the user may not
write. Each ends with one clear message, exit 1, and no output or temporary folder left;
an earlier output folder survives unchanged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.workloads import prepare

CLI = [sys.executable, "-m", "jobsub.cli"]


def leftovers(parent: Path, name: str) -> list[str]:
    return sorted(p for p in os.listdir(parent) if p.startswith(f".{name}."))


def interactive() -> None:
    """In the child: SIGINT as a terminal's user has it. A process started in the background
    by a non-interactive shell (a CI script's `cmd &`) inherits SIGINT ignored, and Python
    then keeps ignoring it, as it should; what is tested here is the user's Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 60) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if predicate():
            return True
        time.sleep(0.002)
    return False


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A 100,000-line file: seconds to compile, so a signal lands while it works."""
    folder = tmp_path_factory.mktemp("big")
    return prepare(folder, "dagnabbit", 100_000)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("when", ["reading", "writing"])
def test_a_signal_leaves_no_output(big, sig, when):
    folder = big.parent
    out = folder / f"out-{sig.name}-{when}"
    proc = subprocess.Popen([*CLI, "compile", big.name, "-o", out.name], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interactive)
    if when == "reading":
        time.sleep(0.8)
    else:  # the moment the temporary folder appears, the files are being written
        assert wait_for(lambda: leftovers(folder, out.name), proc), "never started writing"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1, (stdout, stderr)
    assert stderr.strip() == "jobsub: interrupted; nothing was written"
    assert not out.exists()
    assert leftovers(folder, out.name) == []


def test_a_signal_keeps_the_earlier_folder(big, tmp_path):
    folder = big.parent
    small = prepare(folder, "yaml-sweep", 10)
    assert subprocess.run([*CLI, "compile", small.name, "-o", "kept"], cwd=folder).returncode == 0
    before = {p.name: p.read_bytes() for p in (folder / "kept").iterdir() if p.is_file()}
    proc = subprocess.Popen([*CLI, "compile", big.name, "-o", "kept"], cwd=folder,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interactive)
    assert wait_for(lambda: leftovers(folder, "kept"), proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 1
    after = {p.name: p.read_bytes() for p in (folder / "kept").iterdir() if p.is_file()}
    assert after == before
    assert leftovers(folder, "kept") == []


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB file system: real ENOSPC. The suite runs as root (the test pool needs it)."""
    mount = tmp_path / "full"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a small tmpfs for the disk-full test: {done.stderr}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_fails_cleanly(tmp_path, full_disk):
    source = prepare(tmp_path, "dagnabbit", 5_000)  # a DAG of about 600 KB
    small = prepare(tmp_path, "yaml-sweep", 10)
    target = full_disk / "out"
    assert subprocess.run([*CLI, "compile", small.name, "-o", str(target)],
                          cwd=tmp_path).returncode == 0
    before = sorted(os.listdir(target))
    proc = subprocess.run([*CLI, "compile", source.name, "-o", str(target)], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"jobsub: error: cannot write output folder {target}: "
                                   "No space left on device")
    assert sorted(os.listdir(target)) == before
    assert leftovers(full_disk, "out") == []


def test_permission_denied(tmp_path):
    """Into a folder owned by someone else. Root passes permission checks through
    CAP_DAC_OVERRIDE, so the compile runs with that capability dropped (setpriv)."""
    source = prepare(tmp_path, "yaml-sweep", 10)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    os.chown(locked, 2000, 2000)
    proc = subprocess.run(["setpriv", "--bounding-set", "-dac_override,-dac_read_search",
                           "--", *CLI, "compile", source.name, "-o", str(locked / "out")],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == (f"jobsub: error: cannot create output folder in {locked}: "
                                   "Permission denied")
    assert os.listdir(locked) == []
