"""What the fuzzer found, kept as plain tests (a fresh checkout has no hypothesis database):
each input once crashed the compiler or got an error without a line and column."""

from __future__ import annotations

import pytest

from jobsub.cli.main import main
from tests.helpers import make_executable


@pytest.fixture
def work(tmp_path, monkeypatch):
    make_executable(tmp_path / "a.sh")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JOBSUB_DEBUG", "1")  # an internal error raises instead of printing
    return tmp_path


def compile_bytes(work, capsys, data: bytes, name: str = "w.yaml", *extra: str) -> str:
    (work / name).write_bytes(data)
    assert main(["compile", name, "-o", "out", *extra]) == 1
    err = capsys.readouterr().err
    assert not (work / "out").exists()
    return err


@pytest.mark.parametrize("text, message", [
    (b"jobs:\n 1: {executable: a.sh}\n", "w.yaml:2:2: error: key 1 is a whole number, not a name"),
    (b"jobs:\n null: {executable: a.sh}\n", "w.yaml:2:2: error: key null is nothing, not a name"),
    (b"jobs:\n true: {executable: a.sh, after: e}\n",
     "w.yaml:2:2: error: key true is true/false, not a name"),
    (b"jobs:\n a: {executable: a.sh, matrix: {? [x] : [1]}}\n",
     "w.yaml:2:35: error: key [x] is a list, not a name"),
    (b"? : {}\n", "w.yaml:1:3: error: a mapping or a list is used as a key"),
    (b"jobs:\n p:\n  executable: a.sh\n  pre:\n   script:\n",
     "w.yaml:6:1: error: jobs/p/pre/script: expected a string, got nothing"),
    (b"jobs: {x}\nserial:\n- parallel:\n",
     "w.yaml:4:1: error: serial/0/parallel: expected a list, got nothing"),
    (b"jobs:\n  a: {executable: a.sh}\n# caf\x7f\n",
     "w.yaml:3:6: error: character U+007F is not allowed in a YAML file"),
    (b"name: loca\x00\n", "w.yaml:1:11: error: character U+0000 is not allowed"),
    (b"jobs:\n  a: {executable: a.sh}\n# \x82\n", "w.yaml:3:3: error: not a UTF-8 text file"),
    # a carriage return folds into a blank, which a NODE_STATUS_FILE line cannot hold
    (b"jobs:\n  a: {executable: a.sh}\ndag:\n  node_status_file: {file: f\ratures.status}\n",
     "w.yaml:4:28: error: node_status_file 'f atures.status' cannot hold blanks"),
])
def test_manifest_findings(work, capsys, text, message):
    err = compile_bytes(work, capsys, text)
    assert message in err, err
    assert "internal error" not in err


def test_undecodable_dagnabbit_is_located(work, capsys):
    err = compile_bytes(work, capsys, b"<serial>\njobsub_submit file://a.sh \xff\n</serial>\n",
                        "w.dagnabbit")
    assert "w.dagnabbit:2:27: error: not a UTF-8 text file" in err, err


@pytest.mark.parametrize("template, message", [
    ('accounting_group: "group_{group"', "not a valid template"),
    ('accounting_group: "{nope}"', "unknown field {nope}"),
    ('accounting_group: "{0}"', "unknown field {0}"),
    ('accounting_group: "{user.x}"', "unknown field {user.x}"),
    ('accounting_group: "{user[0]}"', "unknown field {user[0]}"),
    ('accounting_group: "{user:>99999999999}"', "{user} may not have a format or conversion"),
    ('notify_user: "{group}@x"', "unknown field {group}"),
    ('notify_user: "{"', "not a valid template"),
])
def test_site_templates(work, capsys, template, message):
    (work / "site.yaml").write_text(template + "\n")
    (work / "w.dagnabbit").write_text("jobsub_submit -G g file://a.sh\n")
    assert main(["compile", "--site-config", "site.yaml", "w.dagnabbit", "-o", "out"]) == 1
    err = capsys.readouterr().err
    key = template.split(":")[0]
    assert f"site.yaml:1:{len(key) + 3}: error: {key}: {message}" in err, err
    assert not (work / "out").exists()


def test_site_template_fields_that_are_allowed(work, capsys):
    (work / "site.yaml").write_text('accounting_group: "group_{group}.{user}"\n'
                                    'accounting_subgroup: "group_{group}.{subgroup}.{user}"\n'
                                    'notify_user: "{user}@example.org"\n')
    (work / "w.dagnabbit").write_text("jobsub_submit -G g --subgroup s file://a.sh\n")
    assert main(["compile", "--site-config", "site.yaml", "w.dagnabbit", "-o", "out"]) == 0
    assert '"group_g.s.' in (work / "out" / "stage_1.sub").read_text()
