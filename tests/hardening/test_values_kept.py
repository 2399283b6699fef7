"""Values that used to reach the job changed, or files that got clobbered: each class is
kept exactly (decoded back with tests/condor_syntax.py) or refused, located."""

from __future__ import annotations

import json

import pytest

from jobsub.cli.main import main
from tests.condor_syntax import decode_arguments, decode_environment, decode_vars_line
from tests.helpers import make_executable


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    return tmp_path


def compile_ok(capsys, *argv: str) -> str:
    code = main(["compile", *argv])
    err = capsys.readouterr().err
    assert code == 0, err
    return err


def compile_fails(capsys, *argv: str) -> str:
    code = main(["compile", *argv])
    err = capsys.readouterr().err
    assert code == 1, err
    return err


def node_argv(dag_text: str, node: str) -> list[str]:
    for line in dag_text.splitlines():
        if line.startswith(f"VARS {node} "):
            raw = decode_vars_line(line)[1]["JOBSUB_ARGS"]
            return decode_arguments('"' + raw + '"')  # as arguments = "$(JOBSUB_ARGS)"
    raise AssertionError(f"no VARS for {node}")


def sub_value(text: str, key: str) -> str:
    return next(ln.split("=", 1)[1].strip() for ln in text.splitlines()
                if ln.split("=", 1)[0].strip() == key)


def test_vars_default_forms_and_vars_in_vars_reach_the_job_whole(work, capsys):
    (work / "w.yaml").write_text(json.dumps({"jobs": {"a": {
        "executable": "a.sh",
        "arguments": ["$(A:dflt)", "$(B)", "$(Nope:two words)", "$(Process:0)", "[$(C)]"],
        "vars": {"A": "it's here", "B": "x $(C) y", "C": 'say "hi"'}}}}))
    compile_ok(capsys, "w.yaml", "-o", "out")
    dag = (work / "out" / "w.dag").read_text()
    assert node_argv(dag, "a") == ["it's here", 'x say "hi" y', "two words", "$(Process:0)",
                                   '[say "hi"]']


def test_vars_in_a_circle_are_refused(work, capsys):
    (work / "w.yaml").write_text(json.dumps({"jobs": {"a": {
        "executable": "a.sh", "arguments": ["$(A)"], "vars": {"A": "$(b)", "B": "x$(a)"}}}}))
    err = compile_fails(capsys, "w.yaml", "-o", "out")
    assert "w.yaml:1:" in err and "use each other in a circle" in err


@pytest.mark.parametrize("where", ["vars", "matrix", "foreach"])
@pytest.mark.parametrize("name", ["jobsub_args", "Jobsub_Args", "NODENAME", "cm1", "jobsub_out"])
def test_reserved_vars_names_ignore_case(work, capsys, where, name):
    job = {"executable": "a.sh"}
    job[where] = {name: "x"} if where == "vars" else {name: ["x"]} if where == "matrix" \
        else [{name: "x"}]
    (work / "w.yaml").write_text(json.dumps({"jobs": {"a": job}}))
    err = compile_fails(capsys, "w.yaml", "-o", "out")
    assert f"VARS name {name} is set by jobsub" in err


ODD_MACROS = ["$()", "x$()y", "$(/)", "$(:)", "$(a b)", "$((x))", "$(", "a$(b"]


def test_dollar_forms_htcondor_would_eat_are_kept(work, capsys):
    make_executable(work / "b.sh")
    (work / "w.yaml").write_text(json.dumps({"jobs": {
        "a": {"executable": "a.sh", "arguments": ODD_MACROS,
              "environment": {f"E{i}": v for i, v in enumerate(ODD_MACROS)}},
        "b": {"executable": "b.sh", "arguments": ["$(v)"], "vars": {"v": "$()"}}}}))
    compile_ok(capsys, "w.yaml", "-o", "out")
    dag = (work / "out" / "w.dag").read_text()
    import htcondor2

    sub = htcondor2.Submit((work / "out" / "a.sub").read_text())
    sub["JOBSUB_ARGS"] = dict(decode_vars_line(next(
        ln for ln in dag.splitlines() if ln.startswith("VARS a ")))[1])["JOBSUB_ARGS"]
    assert decode_arguments(sub.expand("arguments")) == ODD_MACROS  # HTCondor's expansion
    env = dict(decode_environment(sub.expand("environment")))
    assert [env[f"E{i}"] for i in range(len(ODD_MACROS))] == ODD_MACROS
    assert node_argv(dag, "b") == ["$(DOLLAR)()"]  # expands to $() in the job


def test_a_single_job_gets_macro_defaults_whole(work, capsys):
    code = main(["submit", "--no-submit", "-o", "out", "-e", "E=$(N:b c)", "file://a.sh",
                 "$(N:two words)", "$()", "$(Process)"])
    assert code == 0, capsys.readouterr().err
    sub = (work / "out" / "simple.sub").read_text()
    assert decode_arguments(sub_value(sub, "arguments")) == [
        "two words", "$(DOLLAR)()", "$(Process)"]
    assert dict(decode_environment(sub_value(sub, "environment")))["E"] == "b c"


def test_convert_keeps_dollars_literal(work, capsys):
    (work / "w.dagnabbit").write_text(
        "<serial>\njobsub_submit -e 'X=$HOME\\$' file://a.sh '$HOME' '${X}' 'a\\$b' '$$Y'\n"
        "</serial>\n")
    assert main(["convert", "w.dagnabbit", "-o", "w.yaml"]) == 0
    capsys.readouterr()
    compile_ok(capsys, "w.dagnabbit", "-o", "d")
    compile_ok(capsys, "w.yaml", "-o", "y")
    dag_d = (work / "d" / "w.dag").read_text().splitlines()[1:]
    dag_y = (work / "y" / "w.dag").read_text().splitlines()[1:]
    assert dag_d == dag_y
    assert node_argv("\n".join(dag_d), "stage_1") == ["$HOME", "${X}", "a\\$b", "$$Y"]
    sub_d, sub_y = ((work / f / "stage_1.sub").read_text().splitlines()[1:] for f in "dy")
    assert sub_d == sub_y


def test_site_base_requirements_keep_their_grouping(work, capsys):
    (work / "site.yaml").write_text("base_requirements: ['TARGET.A || TARGET.B', "
                                    "'TARGET.C =?= true']\n")
    code = main(["submit", "--no-submit", "--site-config", "site.yaml", "-o", "out",
                 "-c", "TARGET.D", "file://a.sh"])
    assert code == 0, capsys.readouterr().err
    import classad2

    expr = sub_value((work / "out" / "simple.sub").read_text(), "requirements")
    assert expr == "(TARGET.A || TARGET.B) && TARGET.C =?= true && (TARGET.D)"
    ad = classad2.ClassAd({"A": True, "D": False})
    assert classad2.ExprTree(expr).eval(ad) is False  # D is required whatever A is


@pytest.mark.parametrize("argv", [["--email-to", "me@example.org\\"],
                                  ["-l", "foo = bar\\"]])
def test_a_value_ending_in_a_backslash_is_refused(work, capsys, argv):
    code = main(["submit", "--no-submit", "-o", "out", *argv, "file://a.sh"])
    err = capsys.readouterr().err
    assert code == 1 and "ends with a backslash" in err
    assert not (work / "out").exists()


@pytest.mark.parametrize("flag, value", [
    ("--memory", "99999999999999999999GB"), ("--disk", "3TB"), ("-N", "2147483648"),
    ("--expected-lifetime", "99999999999999999999d"), ("--timeout", "100000d"),
    ("--cpu", "9999999999"), ("--maxConcurrent", "99999999999")])
def test_numbers_htcondor_cannot_hold(work, capsys, flag, value):
    code = main(["submit", "--no-submit", "-o", "out", flag, value, "file://a.sh"])
    err = capsys.readouterr().err
    assert code == 2 and "more than HTCondor can hold" in err, err


@pytest.mark.parametrize("key, value", [("retry", 2**31), ("priority", -(2**31) - 1),
                                        ("abort_dag_on", 10**20)])
def test_manifest_whole_numbers_htcondor_cannot_hold(work, capsys, key, value):
    (work / "w.yaml").write_text(f"jobs:\n  a: {{executable: a.sh, {key}: {value}}}\n")
    err = compile_fails(capsys, "w.yaml", "-o", "out")
    assert "w.yaml:2:" in err


@pytest.mark.parametrize("name", [".empty_file", "jobsub_joblog", "jobsub_out_X",
                                  "x.1.0.outputs.tar"])
def test_an_executable_named_like_the_wrappers_own_files(work, capsys, name):
    make_executable(work / name)
    (work / "w.dagnabbit").write_text(f"jobsub_submit file://{name}\n")
    err = compile_fails(capsys, "w.dagnabbit", "-o", "out")
    assert "w.dagnabbit:1:" in err and "one the job's wrapper writes itself" in err


@pytest.mark.parametrize("setting", ["jobstate_log: a.log", "jobstate_log: a.12.0.out",
                                     "dot: {file: .empty_file}",
                                     "node_status_file: {file: a.3.1.err}"])
def test_dagman_files_never_collide_with_the_jobs_files(work, capsys, setting):
    (work / "w.yaml").write_text(f"dag: {{{setting}}}\njobs:\n  a: {{executable: a.sh}}\n")
    err = compile_fails(capsys, "w.yaml", "-o", "out")
    assert "w.yaml:1:" in err and "is a file the jobs write themselves" in err


def test_a_recompile_never_deletes_what_a_run_left(work, capsys):
    (work / "w.dagnabbit").write_text("<serial>\njobsub_submit file://a.sh\n</serial>\n")
    compile_ok(capsys, "w.dagnabbit", "-o", "out")
    compile_ok(capsys, "w.dagnabbit", "-o", "out")  # nothing but jobsub's own: replaced
    for left in ("w.dag.rescue001", "stage_1.7.0.out", "notes/mine.txt"):
        (work / "out" / left).parent.mkdir(exist_ok=True)
        (work / "out" / left).write_text("keep me")
    code = main(["compile", "w.dagnabbit", "-o", "out"])
    err = capsys.readouterr().err
    assert code == 1 and "holds 3 file(s) jobsub did not write" in err
    assert all((work / "out" / left).read_text() == "keep me"
               for left in ("w.dag.rescue001", "stage_1.7.0.out", "notes/mine.txt"))
