"""Golden output folders: the exact text we emit for a few workflows.

Each case under tests/golden/ is an input and the folder `jobsub compile` must write for it
(copied user files are compared by content with their sources). After a deliberate change
to the output, regenerate with: JOBSUB_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
and review the diff.
"""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import pytest

from jobsub.cli.main import main
from tests.helpers import CORPUS, CORPUS_ENV, make_executable

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).parent.parent / "examples"
UPDATE = bool(os.environ.get("JOBSUB_UPDATE_GOLDEN"))


WORK = b"/WORK"  # stands for the folder the case is compiled in (absolute paths)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _check(out: Path, expected: Path, work: Path) -> None:
    got = {name: data.replace(str(work).encode(), WORK) for name, data in _tree(out).items()}
    if UPDATE:
        shutil.rmtree(expected, ignore_errors=True)
        for name, data in got.items():
            (expected / name).parent.mkdir(parents=True, exist_ok=True)
            (expected / name).write_bytes(data)
            shutil.copymode(out / name, expected / name)
    want = _tree(expected)
    assert sorted(got) == sorted(want)
    for name in want:
        if name.endswith(".tgz"):  # what a tarball holds (zlib versions compress differently)
            assert gzip.decompress(got[name]) == gzip.decompress(want[name]), name
        elif name.startswith("dropbox/"):  # copies: bytes
            assert got[name] == want[name], name
        else:
            assert got[name].decode() == want[name].decode(), name


FEATURES = Path(__file__).parent / "data" / "manifests" / "features"
FILES = Path(__file__).parent / "data" / "files"
CASES = {
    # name: (input file, extra argv); the input's folder is copied and compiled in
    "analysis": (EXAMPLES / "analysis.dagnabbit", []),
    "nested": (EXAMPLES / "nested.dagnabbit", []),
    "dagTest8": (CORPUS / "dagnabbit" / "dagTest8", []),
    "dagTestH": (CORPUS / "dagnabbit" / "dagTestH",
                 ["-G", "uboone", "--site-config", "fermilab"]),
    "defaults": (EXAMPLES / "analysis.dagnabbit",
                 ["--memory", "3GB", "-e", "RUN=7", "--site", "SiteA,SiteB", "--OS", "EL9",
                  "--mail_always", "--email-to", "me@example.org", "-c", "TARGET.X =?= 1",
                  "--maxConcurrent", "2", "--timeout", "90m"]),
    "diamond": (EXAMPLES / "diamond.yaml", []),
    "features": (FEATURES / "features.yaml", ["--condor-version", "23.9.6"]),
    "weak": (FEATURES / "weak.yaml", ["--condor-version", "25.14.0"]),
    "files": (FILES / "files.dagnabbit", []),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case, tmp_path, monkeypatch, capsys):
    source, extra = CASES[case]
    work = tmp_path / "work"
    if source.parent in (EXAMPLES, FEATURES, FILES):
        shutil.copytree(source.parent, work)
    else:
        work.mkdir()
        shutil.copy(source, work / source.name)
        for name in ("jobA.sh", "jobB.sh", "jobC.sh", "jobD.sh", "jobE.sh", "initjobA.sh",
                     "initjobB.sh", "ckjobA.sh", "ckjobB.sh"):
            make_executable(work / name)
    for key, value in {**CORPUS_ENV, "FEATURES_MARKER": "/var/tmp/features.marker"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    assert main(["compile", source.name, "-o", str(out), *extra]) == 0
    (out / ".jobsub-output").unlink()
    _check(out, GOLDEN / case, work)
