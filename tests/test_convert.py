"""jobsub convert: the manifest compiles to the same DAG and submit files as the dagnabbit
file it came from (all but the 'Generated from' line)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from jobsub.compiler.base.diagnostics import Sink
from jobsub.compiler.frontends.dagnabbit import parse_tree
from jobsub.compiler.tools.convert import to_manifest
from tests.helpers import compile_file, emitted_texts

EXAMPLES = Path(__file__).parent.parent / "examples"
CORPUS = ["dagTest", "dagTest2", "dagTest3", "dagTest6", "dagTest7", "dagTest8",
          "dagTestDropbox", "dagTestH", "dagTestHS", "edge_nesting.dagnabbit",
          "edge_parpar.dagnabbit", "edge_resources.dagnabbit", "edge_quote.dagnabbit"]


def roundtrip(path: Path):
    wf, files, sink = compile_file(path)
    assert not sink.errors, [d.message for d in sink.errors]
    text = to_manifest(wf, parse_tree(path.read_text(), str(path), Sink()), path.name)
    manifest = path.with_name(path.stem + ".converted.yaml")
    manifest.write_text(text)
    wf2, files2, sink2 = compile_file(manifest)
    assert not sink2.errors, [str(d.span) + d.message for d in sink2.errors]
    ours = emitted_texts(files)
    assert wf2.name == wf.name
    theirs = emitted_texts(files2)
    return ours, theirs, text


@pytest.mark.parametrize("name", CORPUS)
def test_corpus_roundtrip(corpus, name):
    ours, theirs, _ = roundtrip(corpus / name)
    assert ours == theirs


@pytest.mark.parametrize("name", ["analysis.dagnabbit", "nested.dagnabbit"])
def test_examples_roundtrip(tmp_path, name):
    shutil.copytree(EXAMPLES, tmp_path / "ex")
    ours, theirs, text = roundtrip(tmp_path / "ex" / name)
    assert ours == theirs
    assert text.startswith(f"# Converted from {name} by jobsub convert")


def test_committed_example_is_current():
    """examples/analysis.yaml is what convert prints for examples/analysis.dagnabbit."""
    src = EXAMPLES / "analysis.dagnabbit"
    wf, _, sink = compile_file(src)
    assert not sink.errors
    text = to_manifest(wf, parse_tree(src.read_text(), str(src), Sink()), src.name)
    assert (EXAMPLES / "analysis.yaml").read_text() == text


def test_convert_into_another_folder_writes_paths_that_resolve_from_there(tmp_path,
                                                                          monkeypatch):
    """`jobsub convert -o DIR` from elsewhere: executables, scripts, -f files, tarballs,
    exclusion files, -d and -L destinations are written relative to the manifest's folder,
    so it compiles to the same DAG and files as the dagnabbit file."""
    from jobsub.cli.main import main

    src = tmp_path / "src"
    (src / "code").mkdir(parents=True)
    for name in ("a.sh", "pre.sh"):
        (src / name).write_text("#!/bin/sh\n")
        (src / name).chmod(0o755)
    (src / "in.txt").write_text("x\n")
    (src / "code" / "lib.txt").write_text("lib\n")
    (src / "skip.txt").write_text("*.tmp\n")
    (src / "w.dagnabbit").write_text(
        "<serial>\n"
        "jobsub_submit -G g -f dropbox://in.txt --tar_file_name tardir://code "
        "--tarball-exclusion-file skip.txt -d OUT results -L logs/job.log file://a.sh x\n"
        "prescript file://pre.sh\n"
        "jobsub_submit -G g file:///bin/true\n"
        "</serial>\n")
    out = tmp_path / "elsewhere" / "deeper"
    out.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "src/w.dagnabbit", "-o", "elsewhere/deeper/"]) == 0
    manifest = out / "w.yaml"
    text = manifest.read_text()
    assert "executable: ../../src/a.sh" in text and "../../src/pre.sh" in text
    assert "tardir://../../src/code" in text and "dropbox://../../src/in.txt" in text
    assert "executable: /bin/true" in text  # absolute: as written
    _, files, sink = compile_file(src / "w.dagnabbit")
    _, files2, sink2 = compile_file(manifest)
    assert not sink.errors and not sink2.errors, [d.message for d in sink2.errors]
    ours, theirs = emitted_texts(files), emitted_texts(files2)
    # What a node computes is fingerprinted with its options as written (a rescue compares
    # compiles of one file): paths written from another folder differ there, and only there.
    unprinted = re.compile(r'"(fingerprint|identity)": (\[[^]]*\]|"[^"]*")')
    assert unprinted.sub("", ours.pop("jobsub.json")) == \
        unprinted.sub("", theirs.pop("jobsub.json"))
    assert ours == theirs
