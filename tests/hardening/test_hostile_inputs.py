"""Inputs that used to hang, blow up or crash: each is now one located error (or, for
numbers, the value as written), within a time bound, with nothing written."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from jobsub.cli.main import main
from jobsub.compiler.base.limits import MAX_NESTING, MAX_YAML_DEPTH
from tests.helpers import make_executable

#: Every case here must end this fast; before the fixes some never ended.
BOUND_S = 30


def jobsub(cwd, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "jobsub.cli", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=BOUND_S,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    return tmp_path


def located(proc: subprocess.CompletedProcess, prefix: str) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith(prefix), proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    return proc.stderr


ANCHORS = {
    "itself": "x: &x [*x]\njobs:\n  a: {executable: a.sh}\n",
    "through jobs": "jobs: &j\n  a: {executable: a.sh, vars: *j}\n",
    "through vars": "jobs:\n  a: {executable: a.sh, vars: &v {x: *v}}\n",
    "through serial": "jobs:\n  a: {executable: a.sh}\nserial: &s [a, *s]\n",
}


@pytest.mark.parametrize("text", ANCHORS.values(), ids=ANCHORS.keys())
@pytest.mark.parametrize("command", ["check", "compile", "fmt", "graph"])
def test_recursive_anchors_are_refused(work, text, command):
    (work / "w.yaml").write_text(text)
    err = located(jobsub(work, command, "w.yaml"), "w.yaml:")
    assert "contains itself through an alias" in err
    assert not (work / "w.jobsub").exists()
    assert (work / "w.yaml").read_text() == text  # fmt never rewrote [*x] as [null]


def test_an_alias_bomb_is_refused_at_once(work):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    lines += ["jobs:", "  j: {executable: a.sh, arguments: *i}"]
    (work / "w.yaml").write_text("\n".join(lines) + "\n")
    err = located(jobsub(work, "check", "w.yaml"), "w.yaml:")
    assert "values long, more than 10 times what is written" in err


@pytest.mark.parametrize("depth", [MAX_NESTING + 5, 3000])
@pytest.mark.parametrize("command", ["check", "convert", "graph"])
def test_deep_dagnabbit_nesting(work, depth, command):
    (work / "w.dagnabbit").write_text("<parallel>\n" * depth + "jobsub_submit file://a.sh\n"
                                      + "</parallel>\n" * depth)
    err = located(jobsub(work, command, "w.dagnabbit"), f"w.dagnabbit:{MAX_NESTING + 1}:1:")
    assert f"nest more than {MAX_NESTING} levels" in err


@pytest.mark.parametrize("groups", [MAX_NESTING + 1, 80, 2000])
@pytest.mark.parametrize("command", ["check", "graph"])
def test_deep_yaml_groups(work, groups, command):
    structure = "[{parallel: " * groups + "[a]" + "}]" * groups
    (work / "w.yaml").write_text(f"jobs:\n  a: {{executable: a.sh}}\nserial: {structure}\n")
    err = located(jobsub(work, command, "w.yaml"), "w.yaml:3:")
    assert f"nest more than {MAX_NESTING} levels" in err or \
        f"nest more than {MAX_YAML_DEPTH} levels" in err


@pytest.mark.parametrize("key, value", [("retry", "2.0"), ("abort_dag_on", "4.0"),
                                        ("priority", "1.5"), ("retry", "{count: 2.0}")])
def test_whole_numbers_written_as_floats(work, key, value):
    (work / "w.yaml").write_text(f"jobs:\n  a: {{executable: a.sh, {key}: {value}}}\n")
    err = located(jobsub(work, "compile", "w.yaml"), "w.yaml:2:")
    assert "whole number" in err


@pytest.mark.parametrize("line, column", [("retry ²", 7), ("retry ٣", 7),
                                          ("retry 2 UNLESS-EXIT ²", 21)])
def test_unicode_digits_in_retry_lines(work, line, column):
    (work / "w.dagnabbit").write_text(f"<serial>\njobsub_submit file://a.sh\n{line}\n</serial>\n")
    located(jobsub(work, "check", "w.dagnabbit"), f"w.dagnabbit:3:{column}: error:")


def test_a_socket_in_a_tardir_folder(work):
    (work / "code").mkdir()
    (work / "code" / "x.txt").write_text("x")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(work / "code" / "control.sock"))
        (work / "w.dagnabbit").write_text("jobsub_submit --tar_file_name tardir://code "
                                          "file://a.sh\n")
        err = located(jobsub(work, "compile", "w.dagnabbit"), "w.dagnabbit:1:")
        assert "control.sock is a socket" in err
    assert not (work / "w.jobsub").exists()


def test_bytes_that_are_not_utf8_from_the_command_line_or_environment(work):
    bad = os.fsdecode(b"a\xffb")
    for argv in (["-e", f"X={bad}", "file://a.sh"], ["file://a.sh", bad]):
        proc = subprocess.run([sys.executable, "-m", "jobsub.cli", "submit", "--no-submit",
                               "-o", "out", *argv], cwd=work, capture_output=True,
                              timeout=BOUND_S)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 1 and err.startswith("<command line>: error:"), err
        assert "not UTF-8" in err and "internal error" not in err
    (work / "w.dagnabbit").write_text("jobsub_submit -e X=$BAD file://a.sh\n")
    proc = subprocess.run([sys.executable, "-m", "jobsub.cli", "compile", "w.dagnabbit"],
                          cwd=work, capture_output=True, timeout=BOUND_S,
                          env={**os.environ, "BAD": bad})
    assert proc.returncode == 1 and b"w.dagnabbit:1:" in proc.stderr, proc.stderr
    assert not (work / "out").exists()


def test_an_unknown_field_in_a_nested_site_template(work):
    (work / "site.yaml").write_text("tokens:\n  issuer_url: 'https://x/{nope}'\n")
    (work / "w.dagnabbit").write_text("jobsub_submit file://a.sh\n")
    err = located(jobsub(work, "compile", "--site-config", "site.yaml", "w.dagnabbit"),
                  "site.yaml:2:15: error: tokens.issuer_url: unknown field {nope}")
    assert "{issuer}" in err


@pytest.mark.parametrize("which", ["workflow", "site"])
def test_a_device_or_a_huge_file_is_refused(work, which):
    (work / "w.dagnabbit").write_text("jobsub_submit file://a.sh\n")
    argv = ["check", "/dev/zero"] if which == "workflow" else \
        ["check", "--site-config", "/dev/zero", "w.dagnabbit"]
    located(jobsub(work, *argv), "/dev/zero: error: /dev/zero is a device")
    (work / "big.yaml").write_bytes(b"#" * (2 << 20))
    if which == "site":
        located(jobsub(work, "check", "--site-config", "big.yaml", "w.dagnabbit"),
                "big.yaml: error: big.yaml is larger than 1,048,576 bytes")


def test_a_pipe_is_read_once(work):
    os.mkfifo(work / "pipe.dagnabbit")
    writer = subprocess.Popen(["sh", "-c", "printf 'jobsub_submit file://a.sh x\\n' > "
                                           "pipe.dagnabbit"], cwd=work)
    proc = jobsub(work, "check", "--strict", "pipe.dagnabbit")
    writer.wait(timeout=BOUND_S)
    assert proc.returncode == 1 and "job line outside any" in proc.stderr  # a warning


def test_a_line_break_in_the_workflow_file_name_stays_in_the_comment(work):
    name = "x\nrm -rf $HOME #.dagnabbit"
    (work / name).write_text("jobsub_submit file://a.sh\n")
    assert main(["compile", name, "-o", "out"]) == 0
    for path in (work / "out").iterdir():
        if path.is_file():
            assert "\nrm -rf" not in path.read_text(), path.name
    assert "# Generated by jobsub from x\\nrm -rf $HOME #.dagnabbit" in \
        (work / "out" / "stage_1.sh").read_text()


@pytest.mark.parametrize("where", ["name", "category", "matrix"])
def test_a_trailing_line_break_in_a_manifest_name(work, where):
    job = {"executable": "a.sh"}
    doc = {"jobs": {"a": job}}
    if where == "name":
        doc["name"] = "wf\n"
    elif where == "category":
        job["category"] = "c\n"
        doc["categories"] = {"c\n": {"maxjobs": 1}}
    else:
        job["matrix"] = {"p\n": [1]}
    (work / "w.yaml").write_text(json.dumps(doc))
    err = located(jobsub(work, "compile", "w.yaml"), "w.yaml:1:")
    assert "holds a line break" in err


def test_numbers_reach_the_job_as_written(work):
    (work / "w.yaml").write_text(
        "jobs:\n  a:\n    executable: a.sh\n"
        "    arguments: [1.10, 0x1F, 1e3, 010, 7, .5, 1_000, -0.0]\n"
        "    environment: {E: 1.10, F: 0o17}\n"
        "    vars: {v: 2.50}\n"
        "  b: {executable: a.sh, arguments: ['$(x)'], matrix: {x: [1.0, 2e1]}}\n"
        "dag: {set_job_attr: {Ratio: 0.50}}\n")
    assert main(["compile", "w.yaml", "-o", "out"]) == 0
    dag = (work / "out" / "w.dag").read_text()
    assert 'JOBSUB_ARGS="1.10 0x1F 1e3 010 7 .5 1_000 -0.0"' in dag
    assert 'v="2.50"' in dag and 'x="1.0"' in dag and 'x="2e1"' in dag
    assert "SET_JOB_ATTR Ratio = 0.50" in dag
    assert "E=1.10 F=0o17" in (work / "out" / "a.sub").read_text()
