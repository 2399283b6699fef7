"""What a job receives and sends back: -f, dropbox://, tardir:// tarballs, -d and -L, as
planned into the output folder (or a site's shared dropbox) and written into the wrapper."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
from pathlib import Path

import classad2
import pytest

from jobsub.compiler.base.diagnostics import JobsubError
from jobsub.compiler.emit.inputs import tar_directory, tarball_stem
from jobsub.compiler.emit.output import write_folder
from jobsub.compiler.site.config import load_site
from tests.helpers import compile_text, make_executable

FILES = Path(__file__).parents[2] / "data" / "files"
#: A site whose wrappers copy with a command on the worker (jobsub_lite's ifdh cp).
COPYING = dataclasses.replace(load_site(None, {}).policy, copy_command="ifdh cp")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(FILES, tmp_path / "w")
    return tmp_path / "w"


def job(work: Path, options: str, **kw):
    """(files by path, sink) for one job line run from `work`."""
    _wf, files, sink = compile_text(work, f"jobsub_submit {options} file://report.sh\n", **kw)
    return {f.path: f for f in files}, sink


def members(data: bytes) -> dict[str, int]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {m.name: m.mode for m in tar.getmembers()}


def test_tardir_tarball_is_reproducible_and_honours_exclusions(work):
    first, digest = tar_directory(str(work / "code"), ["*.o", "scratch"])
    os.utime(work / "code" / "config.txt", (1, 1))  # times are not content
    os.chmod(work / "code" / "config.txt", 0o664)  # nor is the umask of a checkout
    assert tar_directory(str(work / "code"), ["*.o", "scratch"]) == (first, digest)
    assert members(first) == {"lib": 0o755, "config.txt": 0o644, "lib/setup.sh": 0o644}
    (work / "code" / "config.txt").write_text("changed\n")
    assert tar_directory(str(work / "code"), ["*.o", "scratch"])[1] != digest
    assert "lib/setup.o" in members(tar_directory(str(work / "code"), [])[0])


def test_tarball_name_does_not_depend_on_the_compressor(work):
    data, digest = tar_directory(str(work / "code"), [])
    assert hashlib.sha256(gzip.decompress(data)).hexdigest()[:16] == digest


def test_executable_bit_is_kept_in_the_tarball(work):
    os.chmod(work / "code" / "lib" / "setup.sh", 0o750)
    assert members(tar_directory(str(work / "code"), [])[0])["lib/setup.sh"] == 0o755


def test_tarball_is_named_by_content_and_reused(work):
    files, sink = job(work, "--tar_file_name tardir://code")
    assert not sink.errors
    [path] = [p for p in files if p.startswith("dropbox/")]
    assert path.endswith("/code.tgz")
    again, _ = job(work, "--tar_file_name tardir://code")
    assert path in again
    (work / "code" / "new.txt").write_text("x\n")
    changed, _ = job(work, "--tar_file_name tardir://code")
    assert path not in changed


def test_exclusion_file_applies(work):
    files, _ = job(work, "--tar_file_name tardir://code --tarball_exclusion_file exclude.txt")
    [tgz] = [f for p, f in files.items() if p.endswith(".tgz")]
    assert set(members(tgz.data)) == {"lib", "config.txt", "lib/setup.sh"}


def test_one_dropbox_copy_for_jobs_that_share_a_file(work):
    text = ("<parallel>\n"
            "jobsub_submit -f dropbox://calib.db file://report.sh a\n"
            "jobsub_submit -f dropbox://calib.db --memory 3GB file://report.sh b\n"
            "</parallel>\n")
    _wf, files, sink = compile_text(work, text)
    assert not sink.errors
    boxed = [f for f in files if f.path.startswith("dropbox/")]
    assert len(boxed) == 1 and boxed[0].source == str(work / "calib.db")
    subs = [f.body() for f in files if f.path.endswith(".sub")]
    assert len(subs) == 2 and all(boxed[0].path in s for s in subs)


def test_site_dropbox_is_a_shared_folder_written_once(work, tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text(f"dropbox: {tmp_path / 'box'}\n")
    policy = load_site(str(site), {}).policy
    files, sink = job(work, "-f dropbox://calib.db --tar_file_name tardir://more",
                      policy=policy)
    assert not sink.errors
    shared = sorted(p for p in files if p.startswith(str(tmp_path / "box")))
    assert len(shared) == 2 and not any(p.startswith("dropbox/") for p in files)
    sub = next(f.body() for f in files.values() if f.path.endswith(".sub"))
    assert all(p in sub for p in shared)
    write_folder(str(tmp_path / "out"), list(files.values()))
    assert (tmp_path / "out" / ".jobsub-output").read_text().count(str(tmp_path)) == 0
    stamp = [os.stat(p).st_mtime_ns for p in shared]
    (Path(shared[0])).chmod(0o444)
    write_folder(str(tmp_path / "out"), list(files.values()))  # reused, not rewritten
    assert [os.stat(p).st_mtime_ns for p in shared] == stamp
    assert Path(next(p for p in shared if p.endswith("calib.db"))).read_text() \
        == "calibration v3\n"


@pytest.mark.parametrize("options, message", [
    ("-f missing.txt", "input file missing.txt does not exist"),
    ("-f dropbox://missing.db", "dropbox file missing.db does not exist"),
    ("--tar_file_name tardir://nowhere", "tardir:// folder nowhere does not exist"),
    ("--tar_file_name tardir://code --tarball_exclusion_file none.txt",
     "cannot read the tarball exclusion file none.txt"),
    ("-f input.txt -f sub/input.txt", "both called input.txt"),
    ("-f code.tgz --tar_file_name tardir://code", "both called code.tgz"),
    ("-f report.sh", "name of a file jobsub puts in the job's sandbox"),
    ("-d 9X out", "-d 9X: the tag names the variable"),
    ("-d OUT a -d OUT b", "-d OUT is given twice"),
])
def test_bad_files_are_located_errors(work, options, message):
    (work / "sub").mkdir()
    (work / "sub" / "input.txt").write_text("other\n")
    (work / "code.tgz").write_bytes(b"")
    files, sink = job(work, options)
    assert not files
    [error] = sink.errors
    assert message in error.message
    assert error.span.line == 1 and error.span.file.endswith("wf.dagnabbit")


def test_unreadable_file_in_tardir_is_an_error(work, monkeypatch):
    def refuse(folder, _patterns):  # as tarfile fails on a file we may not read (not root)
        raise PermissionError(13, "Permission denied", os.path.join(folder, "config.txt"))

    monkeypatch.setattr("jobsub.compiler.emit.inputs.tar_directory", refuse)
    files, sink = job(work, "--tar_file_name tardir://code")
    assert not files
    assert sink.errors[0].message.startswith("cannot tar tardir://code: ")
    assert sink.errors[0].message.endswith("config.txt: Permission denied")


def test_copy_command_site_fetches_plain_paths_on_the_worker(work):
    files, sink = job(work, "-f /pnfs/x/data.root --tar_file_name /pnfs/x/code.tgz "
                            "-d OUT /pnfs/x/out -L /pnfs/x/log.txt", site="fermilab")
    assert not sink.errors
    sub = next(f.body() for f in files.values() if f.path.endswith(".sub"))
    wrapper = next(f.body() for f in files.values() if f.path.endswith(".sh")
                   and not f.path.startswith("files/"))
    assert "/pnfs" not in sub  # nothing for HTCondor to transfer
    assert "copy_into() { ifdh cp -D \"$1\" \"$2\"; }" in wrapper
    assert "copy_into /pnfs/x/data.root \"$CONDOR_DIR_INPUT\"" in wrapper
    assert "copy_file /pnfs/x/code.tgz \"$INPUT_TAR_FILE\"" in wrapper
    assert "dest=/pnfs/x/out" in wrapper and "log_file=/pnfs/x/log.txt" in wrapper


def test_relative_destinations_mean_the_workflow_folder(work):
    files, sink = job(work, "-d OUT results -d ABS /data/x -L logs/job.log")
    assert not sink.errors
    sub = next(f.body() for f in files.values() if f.path.endswith(".sub"))
    [line] = [ln for ln in sub.splitlines() if ln.startswith("+JobsubOutputs")]
    record = json.loads(classad2.ExprTree(line.split(" = ", 1)[1]).eval())
    assert record == {"dirs": {"OUT": str(work / "results"), "ABS": "/data/x"},
                      "log": str(work / "logs" / "job.log")}


def test_a_url_destination_needs_a_copy_command(work):
    _files, sink = job(work, "-d OUT root://eos/x")
    [error] = sink.errors
    assert "-d OUT root://eos/x: a URL needs the site's copy command" in error.message
    files, sink = job(work, "-d OUT root://eos/x", policy=COPYING)
    assert not sink.errors
    wrapper = next(f.body() for f in files.values() if f.path.endswith(".sh")
                   and not f.path.startswith("files/"))
    assert "dest=root://eos/x\n" in wrapper


def test_values_are_shell_quoted_in_the_wrapper(work):
    make_executable(work / "it's.sh")
    (work / "a b$c.txt").write_text("x\n")
    files, sink = job(work, "-f dropbox://'a b$c.txt' -d OUT \"/tmp/o'ut\"", policy=COPYING)
    assert not sink.errors
    wrapper = next(f.body() for f in files.values() if f.path.endswith(".sh")
                   and not f.path.startswith("files/"))
    # a name with a blank travels under a name of jobsub's and gets its own back
    assert re.search(r"\nmv jobsub_in_\w+ \"\$CONDOR_DIR_INPUT\"/'a b\$c.txt' ", wrapper)
    assert "dest='/tmp/o'\"'\"'ut'\n" in wrapper


def test_dropbox_single_colon_spelling(work):
    files, sink = job(work, "-f dropbox:calib.db")
    assert not sink.errors
    assert any(p.endswith("/calib.db") and p.startswith("dropbox/") for p in files)


def test_tarball_stem():
    assert [tarball_stem(n) for n in ("code.tgz", "a.tar.gz", "b.tar", "c.tbz2", "d.zip",
                                      ".tgz")] == ["code", "a", "b", "c", "d.zip", ".tgz"]


def test_policy_without_copy_command_packs_outputs(work):
    files, _ = job(work, "-d OUT results -L job.log")
    wrapper = next(f.body() for f in files.values() if f.path.endswith(".sh")
                   and not f.path.startswith("files/"))
    assert "copy_back" not in wrapper and "copy_file" not in wrapper
    assert 'outputs=stage_1."$CLUSTER"."$PROCESS".outputs.tar\n' in wrapper
    assert 'tar -cf "$outputs" jobsub_out_OUT jobsub_joblog' in wrapper
    sub = next(f.body() for f in files.values() if f.path.endswith(".sub"))
    assert "transfer_output_files   = .empty_file, " \
           "stage_1.$(Cluster).$(Process).outputs.tar\n" in sub


@pytest.mark.parametrize("plugin, message", [
    ("tests.dropbox_plugin:nothing", "cannot load the dropbox plugin"),
    ("tests.no_such_module:make", "cannot load the dropbox plugin"),
    ("tests.dropbox_plugin:broken", "failed to start: no credentials for the store"),
    ("tests.dropbox_plugin:Location", "made no dropbox"),
])
def test_bad_dropbox_plugin_is_one_error(work, tmp_path, plugin, message):
    site = tmp_path / "site.yaml"
    site.write_text(f"dropbox: {{plugin: '{plugin}'}}\n")
    files, sink = job(work, "-f dropbox://calib.db", policy=load_site(str(site), {}).policy)
    assert not files
    [error] = sink.errors
    assert message in error.message


def test_site_file_rejects_a_malformed_plugin_name(tmp_path):
    site = tmp_path / "site.yaml"
    site.write_text("dropbox: {plugin: 'no colon'}\n")
    with pytest.raises(JobsubError) as caught:
        load_site(str(site), {})
    assert caught.value.diagnostics[0].span.line == 1
