"""jobsub schema, fmt and graph."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jobsub.cli.main import main
from tests.helpers import make_executable

ROOT = Path(__file__).resolve().parents[2]

MESSY = """\
# top comment
jobs:   # the jobs
    b:
        executable: a.sh   # trailing comment
        after: [a]
    a: {executable: a.sh}
name: messy    # the name
defaults:
      memory: 1GB
"""


def test_schema_prints_the_manifest_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "jobsub job manifest"
    assert main(["schema", "--ir"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "jobsub workflow IR"


def test_fmt_keeps_comments_orders_keys_and_is_idempotent(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    (tmp_path / "m.yaml").write_text(MESSY)
    assert main(["fmt", "--check", "m.yaml"]) == 1
    assert (tmp_path / "m.yaml").read_text() == MESSY  # --check changes nothing
    assert main(["fmt", "m.yaml"]) == 0
    text = (tmp_path / "m.yaml").read_text()
    for comment in ("# top comment", "# the jobs", "# trailing comment", "# the name"):
        assert comment in text
    keys = [ln.split(":")[0] for ln in text.splitlines() if ln and ln[0].isalpha()]
    assert keys == ["name", "defaults", "jobs"]
    assert "\n  memory: 1GB\n" in text and "\n  b:\n    executable: a.sh" in text
    assert main(["fmt", "--check", "m.yaml"]) == 0
    assert main(["check", "m.yaml"]) == 0


def test_graph(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    make_executable(tmp_path / "a.sh")
    jobs = "\n".join(f"  {n}{i}: {{executable: a.sh}}" for n in "pc" for i in range(5))
    (tmp_path / "g.yaml").write_text(
        f"jobs:\n{jobs}\n  w: {{executable: a.sh, after: p0}}\n"
        "serial:\n  - parallel: [p0, p1, p2, p3, p4]\n  - parallel: [c0, c1, c2, c3, c4]\n")
    assert main(["graph", "g.yaml", "-o", "g.dot"]) == 0
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith('digraph "g" {')
    assert '"p0" -> "w";' in dot
    join = re.search(r'("join_\d+") \[shape=point', dot).group(1)  # 5 x 5 through one point
    assert dot.count(f"-> {join}") == 5 and dot.count(f"{join} ->") == 5
    assert '"c3" [label="c3\\na.sh"];' in dot
    assert main(["graph", "g.yaml", "-o", "g.svg"]) == 0
    assert (tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert main(["graph", "g.yaml", "--by-group", "--format", "png", "-o", "g.out"]) == 0
    assert (tmp_path / "g.out").read_bytes().startswith(b"\x89PNG")


def test_pre_commit_hooks_name_real_commands():
    from pathlib import Path

    from ruamel.yaml import YAML

    from jobsub.cli.main import COMMANDS

    hooks = YAML(typ="safe").load((Path(__file__).parents[2] / ".pre-commit-hooks.yaml")
                                  .read_text())
    assert {h["id"] for h in hooks} == {"jobsub-check", "jobsub-fmt"}
    for hook in hooks:
        program, command, *_ = hook["entry"].split()
        assert program == "jobsub" and command in COMMANDS
        assert hook["language"] == "python"
        files = re.compile(hook["files"])
        for example in (ROOT / "examples").glob("*.yaml"):  # the documented glob finds them
            assert files.search(f"examples/{example.name}"), (hook["id"], example.name)
        for other in (".github/workflows/ci.yml", "config.yaml", ".pre-commit-config.yaml"):
            assert not files.search(other), (hook["id"], other)
        assert files.search("workflows/prod/reco.yaml") and files.search("x/a.jobsub.yml")


def test_fmt_check_passes_on_the_projects_examples(capsys):
    """The examples are laid out as `jobsub fmt` lays them out (CI can run --check on
    them); the quoting people chose is kept and no line ends in a blank."""
    examples = sorted(str(p) for p in (ROOT / "examples").glob("*.yaml"))
    assert main(["fmt", "--check", *examples]) == 0, capsys.readouterr()


def test_fmt_keeps_quotes_and_writes_no_trailing_blanks(tmp_path):
    from jobsub.compiler.tools.fmt import format_manifest

    text = ("jobs:\n  a:\n    executable: a.sh\n    arguments: [\"x y\", '$(seed)', plain]\n"
            f"    vars: {{long: [{', '.join(str(i) for i in range(60))}]}}\n")
    out = format_manifest(text, "m.yaml")
    assert "[\"x y\", '$(seed)', plain]" in out
    assert not [line for line in out.splitlines() if line != line.rstrip()], out
    assert format_manifest(out, "m.yaml") == out
