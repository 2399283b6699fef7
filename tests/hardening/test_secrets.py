"""Token files jobsub refuses (malformed, expired, another experiment's) are named by path
and reason, never by content; and no command prints a vault token htgettoken left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import make_executable
from tests.tokens import fermilab_token, write_token

ROOT = Path(__file__).resolve().parents[2]
SITE = ["--site-config", str(ROOT / "sites" / "fermilab.yaml")]


def bad_tokens(folder: Path) -> dict[str, Path]:
    garbage = folder / "garbage"
    garbage.write_text("s3cr3t-not-a-jwt-0123456789abcdef\n")
    return {
        "garbage": garbage,
        "expired": fermilab_token(folder / "expired", exp=int(time.time()) - 60),
        "other group": write_token(folder / "other", **{"wlcg.groups": ["/dune"]}),
    }


@pytest.mark.parametrize("kind", ["garbage", "expired", "other group"])
def test_refused_tokens_are_not_printed(tmp_path, kind):
    make_executable(tmp_path / "a.sh")
    token = bad_tokens(tmp_path)[kind]
    secret = token.read_text().strip()
    vault = tmp_path / "vt_u0"
    vault.write_text("hvs.vault-secret-0123456789\n")
    bindir = tmp_path / "bin"
    make_executable(bindir / "htgettoken", "#!/bin/sh\nexit 3\n")  # cannot get a new one
    env = {**os.environ, "BEARER_TOKEN_FILE": str(token), "XDG_RUNTIME_DIR": str(tmp_path),
           "PATH": f"{bindir}:{os.environ['PATH']}", "VAULT_TOKEN_FILE": str(vault)}
    outputs = []
    for argv in (["submit", *SITE, "-G", "fermilab", "-n", "-o", "out", "file://a.sh"],
                 ["submit", *SITE, "-G", "fermilab", "--emit-ir", "file://a.sh"]):
        proc = subprocess.run([sys.executable, "-m", "jobsub.cli", *argv], cwd=tmp_path,
                              env=env, capture_output=True, text=True)
        outputs.append(proc.stdout + proc.stderr)
        assert proc.returncode == 1, proc.stdout + proc.stderr
    for text in outputs:
        assert f"{token}: " in text  # it says which file, and why it was not used
        for s in (secret, *secret.split(".")[:2], "hvs.vault-secret"):
            assert s not in text, text
        assert "Traceback" not in text
    assert not (tmp_path / "out").exists()
