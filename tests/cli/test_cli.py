"""The command-line contract: exit codes, located diagnostics, atomic output folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from jobsub.cli.main import jobsub_submit_main, main
from jobsub.compiler.emit import output
from tests.helpers import make_executable

GOOD = "<serial>\njobsub_submit file://a.sh one\njobsub_submit file://a.sh two\n</serial>\n"
BAD = "<serial>\njobsub_submit --memroy 2GB file://a.sh\n"


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USER", "tester")
    return tmp_path


def test_compile_writes_and_reports(work, capsys):
    (work / "w.dagnabbit").write_text(GOOD)
    assert main(["compile", "w.dagnabbit"]) == 0
    out = capsys.readouterr().out
    assert "wrote w.jobsub/w.dag (2 nodes, 1 dependencies)" in out
    assert sorted(os.listdir(work / "w.jobsub")) == [
        ".jobsub-output", "files", "jobsub.json", "stage_1.sh", "stage_1.sub", "w.dag"]


def test_errors_are_located_and_nothing_is_written(work, capsys):
    (work / "w.dagnabbit").write_text(BAD)
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "w.dagnabbit:2:15: error: unknown option --memroy" in err
    assert "  hint: did you mean --memory?" in err
    assert "w.dagnabbit:1:1: error: <serial> is never closed" in err
    assert "Traceback" not in err
    assert sorted(os.listdir(work)) == ["a.sh", "w.dagnabbit"]


def test_failed_compile_leaves_the_earlier_folder(work):
    (work / "w.dagnabbit").write_text(GOOD)
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 0
    before = (work / "out" / "w.dag").read_text()
    (work / "w.dagnabbit").write_text(BAD)
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 1
    assert (work / "out" / "w.dag").read_text() == before
    (work / "w.dagnabbit").write_text(GOOD.replace("two", "three"))
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 0
    assert "three" in (work / "out" / "w.dag").read_text()
    assert sorted(os.listdir(work)) == ["a.sh", "out", "w.dagnabbit"]  # no temporaries


def test_refuses_to_replace_a_folder_it_did_not_write(work, capsys):
    (work / "w.dagnabbit").write_text(GOOD)
    (work / "mine").mkdir()
    (work / "mine" / "precious.txt").write_text("keep")
    assert main(["compile", "w.dagnabbit", "-o", "mine"]) == 1
    assert "was not written by jobsub; refusing to replace it" in capsys.readouterr().err
    assert os.listdir(work / "mine") == ["precious.txt"]


def test_interrupted_write_leaves_nothing(work, monkeypatch):
    (work / "w.dagnabbit").write_text(GOOD)
    calls = []

    def interrupt(root, f):
        calls.append(f)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(root, f)

    real = output._write_one
    monkeypatch.setattr(output, "_write_one", interrupt)
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 1
    assert sorted(os.listdir(work)) == ["a.sh", "w.dagnabbit"]


def test_check_json_and_exit_codes(work, capsys):
    (work / "good.dagnabbit").write_text(GOOD)
    (work / "bad.dagnabbit").write_text(BAD)
    assert main(["check", "good.dagnabbit"]) == 0
    assert main(["check", "good.dagnabbit", "bad.dagnabbit", "--format", "json"]) == 1
    diags = json.loads(capsys.readouterr().out)
    assert {(d["file"], d["line"], d["column"], d["severity"]) for d in diags} == {
        ("bad.dagnabbit", 2, 15, "error"), ("bad.dagnabbit", 1, 1, "error")}
    assert not os.path.exists(work / "good.jobsub")


def test_strict_turns_warnings_into_failures(work):
    (work / "w.dagnabbit").write_text("jobsub_submit file://a.sh\n")
    assert main(["check", "w.dagnabbit"]) == 0
    assert main(["check", "--strict", "w.dagnabbit"]) == 1


@pytest.mark.parametrize("argv", [["nope"], ["compile"], ["compile", "a", "b"],
                                  ["compile", "w", "--bogus"], ["check"], []])
def test_usage_errors_exit_2(work, argv):
    assert main(argv) == 2


def test_emit_ir(work, capsys):
    (work / "w.dagnabbit").write_text(GOOD)
    assert main(["compile", "w.dagnabbit", "--emit-ir", "-G", "exp"]) == 0
    ir = json.loads(capsys.readouterr().out)
    assert [n["arguments"] for n in ir["nodes"]] == [["one"], ["two"]]
    assert ir["specs"][0]["options"]["group"] == "exp"
    assert not os.path.exists(work / "w.jobsub")


def test_jobsub_submit_single_job(work, capsys):
    assert jobsub_submit_main(["-G", "exp", "-N", "3", "--no-submit", "-o", "js",
                               "file://a.sh", "--", "x y", "--memory"]) == 0
    assert "Submission files are in: js" in capsys.readouterr().out
    sub = (work / "js" / "simple.sub").read_text()
    assert 'arguments               = "\'x y\' --memory"' in sub
    assert "queue 3" in sub
    assert not os.path.exists(work / "js" / "simple.dag")


def test_a_jobsub_option_after_the_executable_is_refused_not_passed(work, capsys):
    """`file:///usr/bin/printenv --no-submit` made --no-submit an argument and submitted
    for real; now it is refused (nothing written), and `--` passes it on."""
    assert jobsub_submit_main(["-G", "g", "-o", "x", "file://a.sh", "--no-submit"]) == 2
    err = capsys.readouterr().err
    assert "--no-submit after the executable would be an argument of the job" in err
    assert "use -- to pass it to the job: file://a.sh -- --no-submit" in err
    assert not os.path.exists(work / "x")
    assert jobsub_submit_main(["-G", "g", "-n", "-o", "x", "file://a.sh", "--", "--no-submit",
                               "--"]) == 0
    assert 'arguments               = "--no-submit --"' in (work / "x" / "simple.sub").read_text()


@pytest.mark.parametrize("argv, message, hint", [
    (["--memory", "2", "GB", "file://a.sh"],
     "--memory took '2' as its value, so 'GB' stood where file://EXE goes",
     "write the value as one word: --memory 2GB"),
    (["-memory", "2GB", "file://a.sh"], "unknown option -memory",
     "long options take two dashes: --memory"),
    (["file:a.sh"], "executable must be a file:// URL: 'file:a.sh'", "write file://a.sh"),
    (["-n", "-o", "x", "w.yaml"], "executable must be a file:// URL: 'w.yaml'",
     "a workflow is submitted with --dag file://w.yaml"),
])
def test_the_trial_users_mistakes_get_the_right_hint(work, capsys, argv, message, hint):
    code = jobsub_submit_main(["-G", "g", "-n", *argv])
    err = capsys.readouterr().err
    assert code in (1, 2) and message in err and hint in err, err


def test_usage_hints_name_the_command_used(work, capsys):
    assert jobsub_submit_main(["-G", "g", "-n", "--dag"]) == 2
    assert "--dag needs the DAG file: --dag file://DAGFILE" in capsys.readouterr().err
    assert main(["compile", "-Z", "x.yaml"]) == 2
    assert "see `jobsub compile --help`" in capsys.readouterr().err
    assert main(["check", "-Z", "x.yaml"]) == 2
    assert "see `jobsub check --help`" in capsys.readouterr().err


def test_jobsub_submit_max_concurrent_makes_a_dag(work):
    assert jobsub_submit_main(["-N", "4", "--maxConcurrent", "2", "-n", "-o", "mc",
                               "file://a.sh"]) == 0
    dag = (work / "mc" / "maxconcurrent.dag").read_text()
    assert dag.count("\nJOB WORKER_") == 4
    assert "CONFIG maxconcurrent.config" in dag
    assert (work / "mc" / "maxconcurrent.config").read_text() == "DAGMAN_MAX_JOBS_SUBMITTED = 2\n"


def test_jobsub_submit_dag(work):
    (work / "w.dagnabbit").write_text(GOOD)
    assert jobsub_submit_main(["--dag", "-n", "-o", "d", "-G", "exp",
                               "file://w.dagnabbit"]) == 0
    assert '+Jobsub_Group = "exp"' in (work / "d" / "stage_1.sub").read_text()


def test_jobsub_submit_usage(work):
    assert jobsub_submit_main(["--memroy", "1", "file://a.sh"]) == 2
    assert jobsub_submit_main(["-G", "x"]) == 2
    assert jobsub_submit_main(["file://missing.sh"]) == 1


def test_console_script_has_no_traceback(work):
    (work / "w.dagnabbit").write_text(BAD)
    proc = subprocess.run([sys.executable, "-m", "jobsub.cli", "compile", "w.dagnabbit"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("w.dagnabbit:1:1: error:")


def test_output_is_deterministic(work, tmp_path):
    (work / "w.dagnabbit").write_text(GOOD)
    assert main(["compile", "w.dagnabbit", "-o", "one"]) == 0
    two = tmp_path / "elsewhere" / "two"
    assert main(["compile", str(work / "w.dagnabbit"), "-o", str(two)]) == 0

    def tree(root):
        return {str(p.relative_to(root)): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file()}
    assert tree(work / "one") == tree(two)


def test_site_config_policy_and_errors(work, capsys, monkeypatch):
    (work / "w.dagnabbit").write_text(GOOD)
    (work / "site.yaml").write_text("default_image: /cvmfs/img:1\n"
                                    "usage_models: {default: OPPORTUNISTIC}\n")
    assert main(["compile", "w.dagnabbit", "-o", "out", "--site-config", "site.yaml"]) == 0
    sub = (work / "out" / "stage_1.sub").read_text()
    assert '+SingularityImage = "/cvmfs/img:1"' in sub
    assert '+DESIRED_usage_model = "OPPORTUNISTIC"' in sub
    monkeypatch.setenv("JOBSUB_SITE_CONFIG", str(work / "site.yaml"))
    (work / "site.yaml").write_text("default_imag: x\n")
    capsys.readouterr()
    assert main(["compile", "w.dagnabbit", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "site.yaml:1:1: error: unknown key 'default_imag'" in err
    assert "hint: did you mean 'default_image'?" in err


def test_a_workflow_given_as_the_executable_is_refused(work, capsys):
    """`jobsub submit file://hello.yaml` ran the manifest as a shell script (exit 127)."""
    (work / "w.yaml").write_text("jobs:\n  a: {executable: a.sh}\n")
    assert jobsub_submit_main(["-n", "-o", "x", "file://w.yaml"]) == 1
    err = capsys.readouterr().err
    assert "w.yaml is a workflow file, not a program to run" in err
    assert "hint: submit a workflow with --dag: jobsub_submit --dag file://w.yaml" in err
    assert not (work / "x").exists()
    assert jobsub_submit_main(["-n", "-o", "x", "w.yaml"]) == 1
    assert "hint: a workflow is submitted with --dag file://w.yaml" in capsys.readouterr().err
    (work / "run.dag").write_text("#!/bin/sh\necho a script after all\n")
    assert jobsub_submit_main(["-n", "-o", "y", "file://run.dag"]) == 0
    assert jobsub_submit_main(["-n", "-o", "z", "--dag", "file://w.yaml"]) == 0


def test_an_output_folder_name_too_long_is_said_before_anything_is_written(work, capsys):
    (work / "w.dagnabbit").write_text(GOOD)
    assert main(["compile", "w.dagnabbit", "-o", "x" * 250]) == 1
    err = capsys.readouterr().err
    assert "the output folder's name (xxx" in err and "is 250 bytes long" in err
    assert "hint: choose a shorter name with -o" in err and "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == ["a.sh", "w.dagnabbit"]


def test_jobsub_lite_spellings_q_and_unlimited_max_concurrent(work, capsys):
    """-Q is --mail_never; --maxConcurrent 0 means no limit (jobsub_lite), so -N copies
    stay one cluster and a DAG gets no DAGMAN_MAX_JOBS_SUBMITTED."""
    assert jobsub_submit_main(["-G", "g", "-Q", "-N", "3", "--maxConcurrent", "0", "-n", "-o",
                               "q", "file://a.sh"]) == 0
    sub = (work / "q" / "simple.sub").read_text()
    assert "queue 3" in sub and "notification            = Never" in sub
    assert "no effect" not in capsys.readouterr().err
    (work / "w.dagnabbit").write_text(GOOD)
    assert jobsub_submit_main(["--dag", "-n", "-o", "d", "-G", "g", "--maxConcurrent", "0",
                               "file://w.dagnabbit"]) == 0
    assert not list((work / "d").glob("*.config"))


@pytest.mark.parametrize("flag", ["--dd-percentage", "--dd_extra_dataset", "--project_name"])
def test_sam_dataset_options_are_refused_with_the_reason(work, capsys, flag):
    assert jobsub_submit_main(["-G", "g", "-n", flag, "x", "file://a.sh"]) == 2
    err = capsys.readouterr().err
    assert f"jobsub_lite option {flag} is not supported" in err and "SAM" in err
