"""A headless Chromium for the tests that look at the pages jobsub writes: Debian's package,
installed when missing (as pool.sh installs what the pool needs). If it cannot be had, the
tests that need it fail: they never skip."""

from __future__ import annotations

import os
import shutil
import subprocess

NAMES = ("chromium", "chromium-browser", "google-chrome")


def find_or_install() -> str:
    found = next((shutil.which(n) for n in NAMES if shutil.which(n)), None)
    if found:
        return found
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"]
    command = apt if os.geteuid() == 0 else ["sudo", "-n", *apt]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        update = [*command[:-7], "apt-get", "update", "-q"] if os.geteuid() else \
            ["apt-get", "update", "-q"]
        subprocess.run(update, capture_output=True, env=env)
        proc = subprocess.run(command, capture_output=True, text=True, env=env)
    found = next((shutil.which(n) for n in NAMES if shutil.which(n)), None)
    if not found:
        raise AssertionError(f"headless Chromium is needed and could not be installed:\n"
                             f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return found


def dump_dom(browser: str, url: str, tmp: str) -> tuple[str, str]:
    """(the page's DOM after its scripts ran, the browser's console log)."""
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    return proc.stdout, proc.stderr
