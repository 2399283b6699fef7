"""Everything we emit is accepted by HTCondor's own parsers (the htcondor2 bindings):
every submit file by htcondor2.Submit, every DAG by htcondor2.Submit.from_dag (which rejects
unknown DAG commands with file:line), and node arguments/VARS expand to the user's argv."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import htcondor2
import pytest

from tests.condor_syntax import decode_arguments, decode_environment, decode_vars_line
from tests.helpers import compile_file

GOLDEN = Path(__file__).parent / "golden"
ACCEPTED = ["dagTest", "dagTest2", "dagTest3", "dagTest6", "dagTest7", "dagTest8",
            "dagTestDropbox", "dagTestH", "dagTestHS", "edge_comment.dagnabbit",
            "edge_nesting.dagnabbit", "edge_parpar.dagnabbit", "edge_prescript_name.dagnabbit",
            "edge_quote.dagnabbit", "edge_resources.dagnabbit"]


def _write(files, root: Path) -> None:
    for f in files:
        target = root / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if f.source is not None:
            shutil.copy(f.source, target)
        elif f.data is not None:
            target.write_bytes(f.data)
        else:
            target.write_text(f.body())


def _accepts(root: Path, monkeypatch) -> None:
    monkeypatch.chdir(root)  # DAGMan reads paths relative to its working directory
    subs = list(root.glob("*.sub"))
    assert subs
    for sub in subs:
        parsed = htcondor2.Submit(sub.read_text())
        qargs = parsed.getQArgs()
        if qargs.isdigit():  # one plain `queue N`
            assert not parsed.itemdata()
        else:  # a sweep run as `queue N names from (rows)`
            assert re.fullmatch(r"\d+ [A-Za-z_]\w*(,[A-Za-z_]\w*)* from \(", qargs), qargs
            assert list(parsed.itemdata())
        assert parsed.expand("executable").endswith(".sh")
    for dag in root.glob("*.dag"):
        htcondor2.Submit.from_dag(dag.name, {"force": True})


@pytest.mark.parametrize("name", ACCEPTED)
def test_corpus_output_is_accepted(corpus, dagman_stub, tmp_path, monkeypatch, name):
    _wf, files, sink = compile_file(corpus / name)
    assert not sink.errors
    out = tmp_path / "out"
    _write(files, out)
    _accepts(out, monkeypatch)


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_golden_output_is_accepted(case, dagman_stub, tmp_path, monkeypatch):
    out = tmp_path / case
    shutil.copytree(GOLDEN / case, out)
    _accepts(out, monkeypatch)


def test_node_arguments_reach_the_submit_file(corpus, tmp_path):
    """DAGMan hands each node's VARS to its submit file as macros; emulate that with the
    bindings and check every node's argv and environment come back unchanged."""
    src = tmp_path / "w.dagnabbit"
    (tmp_path / "a.sh").write_text("#!/bin/sh\n")
    src.write_text(
        "<parallel>\n"
        "jobsub_submit -e 'X=a b' -e \"Y=it's\" file://a.sh plain 'two words' \"q\\\"uote\" ''\n"
        "jobsub_submit -e 'X=a b' -e \"Y=it's\" file://a.sh 'back\\slash' '$HOME' ';,=#' 'é'\n"
        "</parallel>\n")
    wf, files, sink = compile_file(src)
    assert not sink.errors
    assert len(wf.specs) == 1
    text = {f.path: f.body() for f in files if f.body() is not None}
    vars_lines = [ln for ln in text["w.dag"].splitlines() if ln.startswith("VARS")]
    for node, line in zip(wf.nodes, vars_lines, strict=True):
        name, values = decode_vars_line(line)
        assert name == node.name
        sub = htcondor2.Submit(text["stage_1.sub"])
        for key, value in values.items():
            sub[key] = value
        assert decode_arguments(sub.expand("arguments")) == node.arguments
        env = dict(decode_environment(sub.expand("environment")))
        assert env["X"] == "a b" and env["Y"] == "it's"
        assert env["JOBSUBJOBSECTION"] == str(node.section)


def test_every_node_environment_value_is_one_of_its_vars(tmp_path, monkeypatch):
    """The -N/--maxConcurrent DAG gave its nodes fewer VARS than the submit file's
    environment named, so the job saw the literal text $(CM1): the nodes of every front end
    now get their VARS from one function, and the environment expands to them."""
    from jobsub.cli.main import jobsub_submit_main

    (tmp_path / "a.sh").write_text("#!/bin/sh\n")
    (tmp_path / "a.sh").chmod(0o755)
    monkeypatch.chdir(tmp_path)
    assert jobsub_submit_main(["-N", "3", "--maxConcurrent", "2", "-n", "-o", "mc",
                               "file://a.sh"]) == 0
    dag = (tmp_path / "mc" / "maxconcurrent.dag").read_text()
    for line in (ln for ln in dag.splitlines() if ln.startswith("VARS")):
        name, values = decode_vars_line(line)
        sub = htcondor2.Submit((tmp_path / "mc" / "simple.sub").read_text())
        for key, value in values.items():
            sub[key] = value
        env = dict(decode_environment(sub.expand("environment")))
        section = int(name.removeprefix("WORKER_"))
        assert (env["JOBSUBJOBSECTION"], env["CM1"], env["CM2"]) == \
            (str(section), str(section - 1), str(section - 2)), env
