"""The Python API: jobsub.compile and jobsub.Workflow make what the CLI makes from the same
workflow, checked by the same rules, with errors at the program's own lines."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest
from ruamel.yaml import YAML

import jobsub
from jobsub.cli.main import main
from tests.helpers import emitted_texts

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def work(tmp_path, monkeypatch):
    shutil.copytree(EXAMPLES, tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("USER", "tester")
    return tmp_path


def _written(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_compile_writes_what_the_cli_writes(work, capsys):
    assert main(["compile", "analysis.dagnabbit", "-o", "by_cli", "--cpu", "2"]) == 0
    done = jobsub.compile("analysis.dagnabbit", cpu=2)
    assert done.ok and done.errors == [] and done.workflow.name == "analysis"
    assert done.write(work / "by_api") == work / "by_api"
    assert _written(work / "by_api") == _written(work / "by_cli")
    assert "request_cpus            = 2" in done.text("stage_2.sub")


def test_compile_from_text_and_its_errors(work):
    done = jobsub.compile("inline.yaml", text="jobs:\n  a: {executable: bin/hello.sh, "
                                              "memory: lots}\n")
    assert not done.ok and done.files == []
    [error] = done.errors
    assert (error.span.file, error.span.line) == ("inline.yaml", 2)
    assert "inline.yaml:2:" in done.report() and "memory: lots" in done.report()
    with pytest.raises(jobsub.JobsubError):
        done.write(work / "never")
    assert not (work / "never").exists()


def test_keyword_options_are_the_option_table(work):
    done = jobsub.compile("hello.yaml", memroy="1GB", mail="sometimes")
    assert done.errors[0].message == "unknown option memroy="
    done = jobsub.compile("hello.yaml", environment={"A": "x y"}, group="myexp")
    assert done.ok
    sub = done.text("hello.sub")
    assert "'A=x y'\"" in sub and '+Jobsub_Group = "myexp"' in sub


def diamond() -> jobsub.Workflow:
    wf = jobsub.Workflow("diamond")
    wf.defaults(group="myexp", memory="1GB", expected_lifetime="short")
    split = wf.job("bin/step.sh", "split", name="split")
    branch = {"retry": {"count": 3, "unless_exit": 2}}
    left = wf.job("bin/step.sh", "left", name="left", after=split, **branch)
    right = wf.job("bin/step.sh", "right", name="right", after=split, memory="2GB", **branch)
    wf.job("bin/merge.sh", "--output", "joined.txt", name="join", after=[left, right],
           post={"script": "bin/check_output.sh", "arguments": ["$RETURN", "$JOB"]})
    return wf


def test_a_built_workflow_makes_what_its_manifest_makes(work):
    built = diamond()
    built.base_dir = str(work)
    done = built.compile()
    assert done.ok, done.report()
    assert emitted_texts(done.files) == emitted_texts(jobsub.compile("diamond.yaml").files)
    (work / "back.yaml").write_text("")
    with open(work / "back.yaml", "w") as fh:
        YAML().dump(built.to_manifest(), fh)
    again = jobsub.compile("back.yaml")
    assert again.ok and emitted_texts(again.files) == emitted_texts(done.files)


def test_groups_nest_as_in_a_manifest(work):
    wf = jobsub.Workflow("analysis", base_dir=str(work))
    wf.defaults(group="myexp")
    first = wf.job("bin/prepare.sh", "--events", "1000", name="stage_1", memory="1GB",
                   expected_lifetime="3h",
                   pre={"script": "bin/check_inputs.sh", "arguments": ["$JOB"]})
    sims = [wf.job("bin/simulate.sh", "--config", config, "--tag", tag, name=f"stage_{i}",
                   environment={"SEED": str(i - 1)})
            for i, config, tag in ((2, "baseline run", "it's fine"),
                                   (3, "high energy", 'say "hi"'),
                                   (4, "low energy", "cluster $(Cluster)"))]
    last = wf.job("bin/merge.sh", "--output", "merged.root", name="stage_5", memory="3GB",
                  disk="2GB", retry=2,
                  post={"script": "bin/check_output.sh", "arguments": ["$RETURN", "$JOB"]})
    wf.serial(first, wf.parallel(*sims), last)
    done = wf.compile()
    assert done.ok, done.report()
    assert emitted_texts(done.files) == emitted_texts(jobsub.compile("analysis.yaml").files)


def test_errors_point_at_the_programs_lines(work):
    wf = jobsub.Workflow("bad", base_dir=str(work))
    line = test_errors_point_at_the_programs_lines.__code__.co_firstlineno
    wf.job("bin/step.sh", memory="lots", name="a")
    wf.job("bin/missing.sh", name="b")
    wf.job("bin/step.sh", name="a")
    done = wf.compile()
    where = sorted((e.span.line - line, e.message.split(":")[0]) for e in done.errors)
    assert where == [(3, "memory"), (4, "executable bin/missing.sh does not exist"),
                     (5, "job 'a' is added twice")], done.report()
    assert all(e.span.file == __file__ for e in done.errors)
    assert 'wf.job("bin/missing.sh", name="b")' in done.report()


@pytest.mark.parametrize("mixed", [False, True])
def test_each_node_is_located_at_the_line_that_made_its_job(work, mixed):
    """A node's span (what analyze and the node map name) is its job's call, whether every
    job is one compile_data takes as it is or one is not (retry=)."""
    wf = jobsub.Workflow("where", base_dir=str(work))
    line = test_each_node_is_located_at_the_line_that_made_its_job.__code__.co_firstlineno
    for i in range(3):
        wf.job("bin/step.sh", str(i), name=f"loop{i}")
    wf.job("bin/step.sh", name="last", **({"retry": 2} if mixed else {}))
    done = wf.compile()
    assert done.ok, done.report()
    assert [(n.name, n.span.file, n.span.line - line) for n in done.workflow.nodes] == [
        *[(f"loop{i}", __file__, 7) for i in range(3)], ("last", __file__, 8)]  # (+ decorator)
    assert len({id(n.span) for n in done.workflow.nodes[:3]}) == 1  # one Span for the loop's


def test_sweeps_and_names(work):
    wf = jobsub.Workflow("sweep", base_dir=str(work))
    setup = wf.job("bin/prepare.sh")
    sims = wf.job("bin/simulate.sh", "--seed", "$(seed)", matrix={"seed": range(3)},
                  after=setup)
    wf.job("bin/merge.sh", after=sims)
    done = wf.compile()
    assert done.ok, done.report()
    dag = done.text("sweep.dag")
    assert [ln.split()[1] for ln in dag.splitlines() if ln.startswith("JOB ")] == [
        "prepare_0", "simulate_1_0", "simulate_1_1", "simulate_1_2", "merge_2"]
    assert 'seed="2" JOBSUB_ARGS="--seed 2"' in dag


def test_the_readme_example_runs_and_matches_its_manifest(work):
    import subprocess
    import sys

    run = subprocess.run([sys.executable, str(work / "sweep.py")], cwd=work,
                         capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "wrote sweep.jobsub\n", run.stderr
    assert main(["compile", "sweep.yaml", "-o", "from_yaml"]) == 0
    assert _written(work / "sweep.jobsub").keys() == _written(work / "from_yaml").keys()
    spec = importlib.util.spec_from_file_location("sweep_example", work / "sweep.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build().compile()
    assert built.ok and built.workflow.source == str(work / "sweep.py")
    assert emitted_texts(built.files) == emitted_texts(jobsub.compile("sweep.yaml").files)


def test_the_api_gives_jobs_their_token_lines_as_the_cli_does(work, monkeypatch):
    from tests.tokens import fermilab_token

    token = fermilab_token(work / "token")
    monkeypatch.setenv("BEARER_TOKEN_FILE", str(token))
    monkeypatch.setenv("HOME", str(work))
    compiled = jobsub.compile("hello.yaml", site="fermilab", group="fermilab").check()
    assert compiled.token_files == [str(token)]
    submit = compiled.text("hello.sub")
    assert re.search(r"^use_oauth_services += fermilab$", submit, re.M)
    assert "fermilab_oauth_permissions_" in submit
    assert main(["compile", "hello.yaml", "-o", "cli", "--site-config", "fermilab",
                 "-G", "fermilab"]) == 0
    assert (work / "cli" / "hello.sub").read_text() == submit
    built = jobsub.Workflow("hello")
    built.job(str(work / "bin" / "hello.sh"))
    again = built.compile(site="fermilab", group="fermilab").check()
    assert again.token_files == [str(token)]
    assert "use_oauth_services      = fermilab" in again.text("hello_0.sub")


def test_a_job_is_its_name_and_the_manifest_is_plain_data(work):
    """wf.job returns the job's name, plain text (nothing for the collector to scan in a
    million-job program); to_manifest() gives plain dicts, lists and text, which any YAML
    or JSON writer takes."""
    wf = jobsub.Workflow("plain", base_dir=str(work))
    a = wf.job("bin/step.sh", "x", Path("p"), 3, name="a")
    b = wf.job("bin/step.sh", name="b", after=a, vars={"k": "v"})
    c = wf.job("bin/step.sh", name="c", after=(a, b))
    assert (a, b, c) == ("a", "b", "c") and type(a) is str and jobsub.Job is str
    doc = wf.to_manifest()
    assert doc == {"name": "plain", "jobs": {
        "a": {"executable": "bin/step.sh", "arguments": ["x", "p", 3]},
        "b": {"executable": "bin/step.sh", "after": ["a"], "vars": {"k": "v"}},
        "c": {"executable": "bin/step.sh", "after": ["a", "b"]}}}

    def kinds(v):
        if isinstance(v, dict):
            return {type(v)} | {t for k, x in v.items() for t in kinds(k) | kinds(x)}
        if isinstance(v, list):
            return {list} | {t for x in v for t in kinds(x)}
        return {type(v)}
    assert kinds(doc) == {dict, list, str, int}
    assert doc["jobs"]["a"]["arguments"] is not wf.to_manifest()["jobs"]["a"]["arguments"]


def test_after_takes_a_name_a_path_or_names_and_refuses_the_rest_at_the_call(work):
    wf = jobsub.Workflow("after", base_dir=str(work))
    line = test_after_takes_a_name_a_path_or_names_and_refuses_the_rest_at_the_call \
        .__code__.co_firstlineno
    a = wf.job("bin/step.sh", name="a")
    wf.job("bin/step.sh", name="b", after=Path("a"))
    group = wf.parallel(a)
    wf.job("bin/step.sh", name="c", after=group)
    wf.job("bin/step.sh", name="d", after=3)
    wf.job("bin/step.sh", name="e", after={"a": 1})
    assert wf.to_manifest()["jobs"]["b"]["after"] == "a"
    done = wf.compile()
    assert sorted(e.span.line - line for e in done.errors) == [7, 8, 9], done.report()


def test_structure_errors_point_at_the_group_calls_and_a_subdags_at_its_file(work):
    """A group's location is found only when a message names it: a job placed twice, a
    name no job has, and a sub-DAG manifest's own error, each at its line."""
    (work / "inner.yaml").write_text("jobs:\n  one: {executable: bin/prepare.sh}\n"
                                     "  two: {executable: bin/prepare.sh, memory: lots}\n")
    wf = jobsub.Workflow("groups", base_dir=str(work))
    line = test_structure_errors_point_at_the_group_calls_and_a_subdags_at_its_file \
        .__code__.co_firstlineno
    a = wf.job("bin/prepare.sh", name="a")
    b = wf.job("bin/merge.sh", name="b")
    wf.subdag("inner.yaml", name="inner", after=a)
    wf.serial(a, wf.parallel(b, "nosuch"))
    wf.serial(b)
    done = wf.compile()
    found = sorted((e.span.file, e.span.line, e.message.split(":")[0]) for e in done.errors)
    assert found == sorted([  # (by file name: the test's folder and tmp_path's vary)
        (str(work / "inner.yaml"), 3, "memory"),
        (__file__, line + 11, "unknown job 'nosuch'"),
        (__file__, line + 12, "job 'b' appears twice in serial/parallel groups"),
    ]), done.report()
    twice = next(e for e in done.errors if "twice" in e.message)
    assert [(s.file, s.line) for s, _ in twice.notes] == [(__file__, line + 11)]


@pytest.mark.parametrize("where", ["argument", "key", "defaults", "none"])
def test_vars_from_the_environment_are_expanded_wherever_they_are_written(work, where):
    """compile() skips the ${VAR} pass when no text of the workflow has a `$`; a `$` in any
    part (an argument, a job key, defaults) makes it run. (A group names jobs, whose names
    have no `$`.)"""
    env = {"RUN": "7", "PATH": "/usr/bin"}
    wf = jobsub.Workflow("env", base_dir=str(work))
    if where == "defaults":
        wf.defaults(environment={"R": "$RUN"})
    a = wf.job("bin/prepare.sh", "--run", "$RUN" if where == "argument" else "7", name="a",
               **({"environment": {"R": "${RUN}"}} if where == "key" else {}))
    b = wf.job("bin/merge.sh", name="b")
    wf.serial(a, b)
    done = wf.compile(env=env)
    assert done.ok, done.report()
    dag, sub = done.text("env.dag"), done.text("a.sub")
    assert 'JOBSUB_ARGS="--run 7"' in dag and "PARENT a CHILD b" in dag
    assert ("R=7" in sub) is (where in ("key", "defaults"))
    assert wf._dollars is (where != "none")


def test_a_group_holding_other_than_jobs_and_groups_is_refused_at_its_call(work):
    wf = jobsub.Workflow("odd", base_dir=str(work))
    a = wf.job("bin/prepare.sh", name="a")
    line = test_a_group_holding_other_than_jobs_and_groups_is_refused_at_its_call \
        .__code__.co_firstlineno
    wf.serial(a, wf.parallel(7, a))
    done = wf.compile()
    assert [(e.span.line - line, e.message) for e in done.errors] == [
        (5, "serial/1/parallel/0: expected a string or a mapping, got a whole number")], \
        done.report()


def test_a_group_naming_what_no_job_may_be_named_is_refused_as_a_manifest_would_be(work):
    """Groups go to the front end compactly unless a name in them is one the schema
    refuses: then the schema sees them, and says what a manifest would be told."""
    wf = jobsub.Workflow("names", base_dir=str(work))
    a = wf.job("bin/prepare.sh", name="a")
    wf.serial(a, wf.parallel("bad name", a))
    built = wf.compile()
    spelled = jobsub.compile("names.yaml", text=_yaml_text(wf.to_manifest()))
    assert [e.message for e in built.errors] == [e.message for e in spelled.errors]
    assert [e.message.split(":")[0] for e in built.errors] == ["serial/1/parallel/0"], \
        built.report()


def _yaml_text(doc: dict) -> str:
    import io

    out = io.StringIO()
    YAML().dump(doc, out)
    return out.getvalue()


def test_a_jobs_dollar_is_found_in_any_of_its_parts_whatever_their_types():
    """compile() skips the ${VAR} pass only if no part of any job has a `$`: an argument
    that is not text must not hide one in the executable, `after` or the keys."""
    from jobsub.builder import _job_may_expand

    assert _job_may_expand("$X/a.sh", (1,), None, None)
    assert _job_may_expand("a.sh", (1, "$y"), None, None)
    assert _job_may_expand("a.sh", (1,), None, {"environment": {"K": "$v"}})
    assert _job_may_expand("a.sh", (), ("$j",), None)
    assert not _job_may_expand("a.sh", (1, "b"), ("j",), {"retry": 2})


def test_a_job_added_twice_leaves_what_it_was_given_untouched(work):
    """The second job of a name is refused as given: its `after` iterator is not read."""
    wf = jobsub.Workflow("twice", base_dir=str(work))
    a = wf.job("bin/step.sh", name="a")
    wf.job("bin/step.sh", name="x")
    deps = iter([a])
    assert wf.job("bin/step.sh", name="x", after=deps) == "x"
    assert list(deps) == [a]
    assert [e.message for e in wf.compile().errors] == ["job 'x' is added twice"]
