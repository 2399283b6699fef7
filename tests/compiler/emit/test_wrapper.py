"""The wrapper script, run by /bin/sh in a sandbox laid out as HTCondor lays it out (every
transferred file flat in one folder, arguments and environment from the submit file): a quick
check of its logic on this machine; tests/test_pool_files.py runs it in real jobs. What it
sends back (the outputs tar) is unpacked as `jobsub fetchlog` unpacks it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import htcondor2
import pytest

from jobsub.compiler.emit.output import write_folder
from jobsub.compiler.site.config import load_site
from jobsub.runtime.fetchlog import unpack_outputs
from tests.condor_syntax import decode_arguments, decode_environment, decode_vars_line
from tests.helpers import compile_file

FILES = Path(__file__).parent.parent.parent / "data" / "files"


def sandbox_run(out: Path, sub: str, sandbox: Path,
                worker_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the first node of the DAG in `out` (its submit file `sub`) as DAGMan and HTCondor
    would start it: the node's VARS are macros of the submit file; `worker_env`: what the
    worker's own environment adds."""
    desc = htcondor2.Submit((out / sub).read_text())
    [dag] = out.glob("*.dag")
    vars_line = next(ln for ln in dag.read_text().splitlines() if ln.startswith("VARS"))
    for key, value in decode_vars_line(vars_line)[1].items():
        desc[key] = value
    sandbox.mkdir()
    for item in desc["transfer_input_files"].split(","):
        src = Path(item.strip()) if os.path.isabs(item.strip()) else out / item.strip()
        shutil.copy(src, sandbox / src.name)
    shutil.copy(out / desc["executable"], sandbox / desc["executable"])
    desc["Cluster"], desc["Process"], desc["DAGManJobId"] = "7", "0", "6"
    env = {"PATH": os.environ["PATH"], **(worker_env or {})}
    env.update(decode_environment(desc.expand("environment")))
    return subprocess.run(["sh", f"./{desc['executable']}",
                           *decode_arguments(desc.expand("arguments"))],
                          cwd=sandbox, env=env, capture_output=True, text=True)


def fetch_outputs(out: Path, sub: str, sandbox: Path) -> list[str]:
    """What fetchlog does with the outputs tar the job left: unpack it where the submit
    file's JobsubOutputs says. The destinations filled."""
    desc = htcondor2.Submit((out / sub).read_text())
    record = json.loads(htcondor2.classad.ExprTree(desc["MY.JobsubOutputs"]).eval())
    [tar] = sandbox.glob("stage_1.7.0.outputs.tar")
    assert tar.name in desc["transfer_output_files"].replace("$(Cluster).$(Process)", "7.0")
    placed, problems = unpack_outputs(tar, record)
    assert problems == []
    return placed


def compiled(tmp_path: Path, *options: str, policy=None) -> Path:
    work = tmp_path / "w"
    shutil.copytree(FILES, work)
    line = " ".join(options)
    (work / "one.dagnabbit").write_text(f"jobsub_submit {line} file://report.sh first "
                                        "'second arg'\n")
    _wf, files, sink = compile_file(work / "one.dagnabbit", policy=policy)
    assert not sink.errors, [d.message for d in sink.errors]
    write_folder(str(tmp_path / "out"), files)
    return work


FULL = ("-e RUN=7 -e 'GREETING=hello, world' -f input.txt -f dropbox://calib.db "
        "--tar_file_name tardir://code --tarball_exclusion_file exclude.txt "
        "--tar_file_name tardir://more -d OUT results -L logs/job.log")


def test_job_sees_its_files_and_variables(tmp_path):
    work = compiled(tmp_path, FULL)
    proc = sandbox_run(tmp_path / "out", "stage_1.sub", tmp_path / "sandbox")
    assert proc.returncode == 0, proc.stderr
    assert not (work / "results").exists()  # nothing leaves the sandbox but by HTCondor
    assert fetch_outputs(tmp_path / "out", "stage_1.sub", tmp_path / "sandbox") == [
        str(work / "results"), str(work / "logs" / "job.log")]
    report = (work / "results" / "report.txt").read_text()
    assert "arg: [second arg]\n" in report and "GREETING=[hello, world]\n" in report
    assert "input: calib.db code input.txt more\n" in report
    assert "tar 0: code.tgz ./config.txt ./lib/setup.sh\n" in report
    assert "tar 1: more.tgz ./data.txt\n" in report
    assert (work / "logs" / "job.log").read_text() == "to stdout\nto stderr\n"
    assert proc.stdout == "to stdout\nto stderr\n"
    assert (tmp_path / "sandbox" / ".empty_file").exists()


def test_job_fetches_from_a_dropbox_plugin(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("dropbox:\n  plugin: tests.dropbox_plugin:make\n"
                    f"  options: {{root: {tmp_path / 'store'}}}\n")
    work = compiled(tmp_path, FULL, policy=load_site(str(site), {}).policy)
    out = tmp_path / "out"
    assert not (out / "dropbox").exists()
    stored = sorted(p.name for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert stored == ["calib.db", "code.tgz", "input.txt", "more.tgz"]
    wrapper = (out / "stage_1.sh").read_text()
    assert f"copy_into {tmp_path}/store/by-hash/" in wrapper
    proc = sandbox_run(out, "stage_1.sub", tmp_path / "sandbox")
    assert proc.returncode == 0, proc.stderr
    fetch_outputs(out, "stage_1.sub", tmp_path / "sandbox")
    report = (work / "results" / "report.txt").read_text()
    assert "calib.db: calibration v3\n" in report
    assert "tar 0: code.tgz ./config.txt ./lib/setup.sh\n" in report


def test_lost_outputs_fail_a_successful_job(tmp_path):
    work = tmp_path / "w"
    work.mkdir()
    # The executable succeeds, but leaves a folder where its outputs tar must be written.
    (work / "x.sh").write_text('#!/bin/sh\nmkdir "stage_1.$CLUSTER.$PROCESS.outputs.tar"\n')
    (work / "one.dagnabbit").write_text("jobsub_submit -d OUT out file://x.sh\n")
    _wf, files, _sink = compile_file(work / "one.dagnabbit")
    write_folder(str(tmp_path / "out"), files)
    proc = sandbox_run(tmp_path / "out", "stage_1.sub", tmp_path / "sandbox")
    assert proc.returncode == 1
    assert "outputs could not be copied to: stage_1.7.0.outputs.tar (packing failed)" \
        in proc.stderr


def test_a_site_copy_command_copies_outputs_from_the_worker(tmp_path):
    """With a copy command (jobsub_lite's ifdh cp), -d and -L go to storage from the
    worker: no outputs tar, no JobsubOutputs."""
    site = tmp_path / "site.yaml"
    copier = tmp_path / "copier.sh"
    copier.write_text('#!/bin/sh -e\n# ifdh cp SRC DEST | ifdh cp -D SRC... DIR\n'
                      'dir=; if [ "$1" = -D ]; then dir=1; shift; fi\n'
                      'for last; do :; done\n'
                      'if [ -n "$dir" ]; then mkdir -p "$last"; '
                      'else mkdir -p "$(dirname "$last")"; fi\n'
                      'n=$(($# - 1))\n'
                      'while [ $n -gt 0 ]; do cp "$1" "$last"; shift; n=$((n - 1)); done\n')
    copier.chmod(0o755)
    site.write_text(f"copy_command: {copier}\n")
    store = tmp_path / "store"
    work = compiled(tmp_path, f"-d OUT {store}/results/ -L {store}/job.log",
                    policy=load_site(str(site), {}).policy)
    sub = (tmp_path / "out" / "stage_1.sub").read_text()
    assert "JobsubOutputs" not in sub and "outputs.tar" not in sub
    proc = sandbox_run(tmp_path / "out", "stage_1.sub", tmp_path / "sandbox")
    assert proc.returncode == 0, proc.stderr
    assert "arg: [second arg]" in (store / "results" / "report.txt").read_text()
    assert (store / "job.log").read_text().endswith("to stdout\nto stderr\n")
    assert not list((tmp_path / "sandbox").glob("*.outputs.tar"))
    assert not (work / "results").exists()


@pytest.mark.parametrize("code", [0, 3])
def test_exit_code_is_the_executables(tmp_path, code):
    work = tmp_path / "w"
    work.mkdir()
    (work / "x.sh").write_text(f"#!/bin/sh\nexit {code}\n")
    (work / "one.dagnabbit").write_text("jobsub_submit -d OUT out file://x.sh\n")
    _wf, files, _sink = compile_file(work / "one.dagnabbit")
    write_folder(str(tmp_path / "out"), files)
    assert sandbox_run(tmp_path / "out", "stage_1.sub", tmp_path / "sb").returncode == code


def test_missing_input_stops_before_the_executable(tmp_path):
    compiled(tmp_path, "-f input.txt")
    out = tmp_path / "out"
    desc = (out / "stage_1.sub").read_text()
    (out / "stage_1.sub").write_text(re.sub(r", dropbox/\w+/input.txt", "", desc))
    proc = sandbox_run(out, "stage_1.sub", tmp_path / "sandbox")
    assert proc.returncode == 1
    assert "input files could not be put in place" in proc.stderr
    assert "to stdout" not in proc.stdout


ENV_SH = """#!/bin/sh
env | grep -E '^(CPATH|LC_CTYPE|LIBRARY_PATH|JOBSUBJOBID|JOBSUBPARENTJOBID)=' | sort
"""


@pytest.mark.parametrize("options, kept", [
    ("", []),
    ("-e LC_CTYPE=C.UTF-8", ["LC_CTYPE=C.UTF-8"]),  # -e names it: the job gets it
    ("--no-env-cleanup", ["CPATH=/opt/include", "LC_CTYPE=C", "LIBRARY_PATH=/opt/lib"]),
])
def test_the_workers_compiler_and_locale_settings_stay_out(tmp_path, options, kept):
    """As jobsub_lite's wrapper; and in a DAG the job knows its DAGMan job's id."""
    work = tmp_path / "w"
    work.mkdir()
    (work / "env.sh").write_text(ENV_SH)
    (work / "env.dagnabbit").write_text(f"jobsub_submit {options} file://env.sh\n")
    _wf, files, sink = compile_file(work / "env.dagnabbit")
    assert not sink.errors, [d.message for d in sink.errors]
    write_folder(str(tmp_path / "out"), files)
    ad = tmp_path / "job.ad"
    ad.write_text('GlobalJobId = "schedd.example#78.0#1700000000"\n')
    proc = sandbox_run(tmp_path / "out", "stage_1.sub", tmp_path / "sandbox", {
        "CPATH": "/opt/include", "LC_CTYPE": "C", "LIBRARY_PATH": "/opt/lib",
        "_CONDOR_JOB_AD": str(ad)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == sorted([
        *kept, "JOBSUBJOBID=78.0@schedd.example", "JOBSUBPARENTJOBID=6.0@schedd.example"])
