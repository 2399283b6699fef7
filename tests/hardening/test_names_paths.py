"""Names and paths that could confuse DAGMan or write outside the output folder are refused
with a located error, and nothing is written."""

from __future__ import annotations

import os

import pytest

from jobsub.cli.main import main
from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.emit.output import OutFile, write_folder
from tests.helpers import make_executable


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def compile_yaml(work, capsys, text: str, name: str = "w.yaml") -> tuple[int, str]:
    (work / name).write_text(text)
    code = main(["compile", f"./{name}", "-o", "out"])
    err = capsys.readouterr().err
    if code != 0:
        assert not (work / "out").exists()
    assert "Traceback" not in err
    return code, err


@pytest.mark.parametrize("names, message", [
    (("Job", "job"), "w.yaml:3:3: error: node names Job and job differ only in case"),
    (("parent",), "w.yaml:2:3: error: node name parent is reserved by DAGMan"),
    (("All_Nodes",), "w.yaml:2:3: error: node name All_Nodes is reserved by DAGMan"),
    (("a+b",), "w.yaml:2:3: error: jobs: the key 'a+b' is not allowed here"),
    (("a/b",), "w.yaml:2:3: error: jobs: the key 'a/b' is not allowed here"),
    (("..",), "w.yaml:2:3: error: jobs: the key '..' is not allowed here"),
    (("a\n",), "w.yaml:2:3: error: jobs: the key 'a\\n' holds a line break"),
])
def test_node_names(work, capsys, names, message):
    jobs = "".join(f"  {n!r}: {{executable: a.sh}}\n".replace("'", '"') for n in names)
    code, err = compile_yaml(work, capsys, f"jobs:\n{jobs}")
    assert code == 1 and message in err, err


def test_job_specs_differing_only_in_case(work, capsys):
    code, err = compile_yaml(work, capsys, "jobs:\n  Sim: {executable: a.sh, memory: 4GB}\n"
                                           "  sim: {executable: a.sh}\n")
    assert code == 1
    assert "w.yaml:3:3: error: job names Sim and sim differ only in case" in err
    assert "case-insensitive file system" in err


@pytest.mark.parametrize("name", ["..", "../up", "/abs", "-rf", ".hidden", "a b"])
def test_workflow_names(work, capsys, name):
    code, err = compile_yaml(work, capsys, f"name: {name!r}\njobs:\n  a: {{executable: a.sh}}\n")
    assert code == 1 and "w.yaml:1:7: error: name:" in err, err


@pytest.mark.parametrize("file_name, stem", [("..yaml", "workflow"), ("-x.yaml", "x"),
                                             ("my flow.yaml", "my_flow")])
def test_names_from_file_names_are_safe(work, capsys, file_name, stem):
    code, err = compile_yaml(work, capsys, "jobs:\n  a: {executable: a.sh}\n", file_name)
    assert code == 0, err
    assert (work / "out" / f"{stem}.dag").is_file()


DAGMAN_PATHS = {
    "../x.log": "leaves the output folder",
    "logs/../../x.log": "leaves the output folder",
    "/tmp/x.log": "is an absolute path",
    "~/x.log": "is an absolute path",
    "w.dag": "would overwrite a file",
    "w.dag.dagman.out": "would overwrite a file",
    "a.sub": "would overwrite a file",
    "files/a.sh": "would overwrite a file",
    ".jobsub-output": "would overwrite a file",
    " ": "is empty",
}


@pytest.mark.parametrize("path", DAGMAN_PATHS)
@pytest.mark.parametrize("key", ["jobstate_log", "dot", "node_status_file"])
def test_files_dagman_writes_stay_inside(work, capsys, key, path):
    code, err = compile_yaml(work, capsys,
                             f"dag:\n  {key}: {path!r}\njobs:\n  a: {{executable: a.sh}}\n")
    assert code == 1
    assert f"w.yaml:2:{len(key) + 5}: error: {key} {path!r} {DAGMAN_PATHS[path]}" in err, err
    assert "hint: name a file inside the output folder" in err


def test_script_debug_file_stays_inside(work, capsys):
    code, err = compile_yaml(work, capsys,
                             "jobs:\n  a:\n    executable: a.sh\n    post:\n      script: a.sh\n"
                             "      debug: {file: ../post.log}\n")
    assert code == 1
    assert "w.yaml:6:21: error: post debug file '../post.log' leaves the output folder" in err


def test_plain_names_are_accepted(work, capsys):
    code, err = compile_yaml(work, capsys, "dag:\n  jobstate_log: jobstate.log\n"
                                           "  dot: {file: graph.dot}\njobs:\n"
                                           "  a: {executable: a.sh}\n  B: {executable: a.sh}\n")
    assert code == 0, err
    dag = (work / "out" / "w.dag").read_text()
    assert "JOBSTATE_LOG jobstate.log" in dag and "DOT graph.dot" in dag


@pytest.mark.parametrize("bad", ["../escape", "/etc/x", "a//b", "a/./b", ""])
def test_the_writer_refuses_paths_outside(tmp_path, bad):
    with pytest.raises(JobsubError, match="not a plain path inside the output folder"):
        write_folder(str(tmp_path / "out"), [OutFile("ok.txt", "x"), OutFile(bad, "x")])
    assert os.listdir(tmp_path) == []


def test_output_folder_that_is_a_link(work, capsys):
    (work / "w.dagnabbit").write_text("jobsub_submit file://a.sh\n")
    (work / "elsewhere").mkdir()
    os.symlink(work / "elsewhere", work / "out")
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 1
    assert f"output path {work / 'out'} exists and is not a folder" in capsys.readouterr().err
    assert os.listdir(work / "elsewhere") == []
