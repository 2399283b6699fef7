"""The dagnabbit lexer plugs into Lark's lexer interface, which changed in lark 1.3 (the
state's text became a TextSlice). pyproject.toml allows an older lark: the oldest it allows
must parse, recover from errors and locate them exactly as the installed one does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = r"""
import json, sys, lark
from pathlib import Path
from jobsub.compiler.base.diagnostics import Sink
from jobsub.compiler.frontends.dagnabbit import parse_tree
out = {"lark": lark.__version__}
for path in sys.argv[1:]:
    sink = Sink()
    text = Path(path).read_text()
    tree = parse_tree(text, path, sink)
    out[path] = [repr(tree), [(d.span.line, d.span.column, d.message) for d in sink.sorted()]]
print(json.dumps(out))
"""


def _oldest_lark() -> str:
    """(Read from the text: tomllib is not in Python 3.10, which jobsub supports.)"""
    found = re.search(r'^\s*"lark\s*>=\s*([0-9.]+)', (ROOT / "pyproject.toml").read_text(),
                      re.MULTILINE)
    assert found, "pyproject.toml must give lark a lower bound"
    return found.group(1)


def _parse(files: list[str], pythonpath: str | None) -> dict:
    import json

    env = {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else dict(os.environ)
    done = subprocess.run([sys.executable, "-c", SCRIPT, *files], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_the_oldest_lark_allowed_parses_alike(tmp_path):
    oldest = _oldest_lark()
    old = tmp_path / "old"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "--target", str(old), f"lark=={oldest}"],
                   check=True, capture_output=True)
    broken = tmp_path / "broken.dagnabbit"
    broken.write_text("<serial>\njobsub_submit file://a.sh\n<parallel>\n"
                      "jobsub_submit file://b.sh\n</serial>\n<serial>\n")
    files = [*map(str, sorted((ROOT / "examples").glob("*.dagnabbit"))),
             *map(str, sorted((ROOT / "tests" / "data" / "jobsub_lite" / "dagnabbit")
                              .glob("dagTest*"))), str(broken)]
    then, now = _parse(files, str(old)), _parse(files, None)
    assert then.pop("lark") == oldest and now.pop("lark") != oldest
    assert then == now
    assert then[str(broken)][1], "the broken file must report its errors"
