"""Value fidelity in real jobs: hostile strings as arguments (inline and through VARS), as
environment values, as DAG VARS, as ClassAd attributes (`+DESIRED_...`) and as file names,
checked by what the job itself reports (hex, so nothing is lost in printing) and by the
job's ad in the schedd. What is refused instead is in test_values_refused.py."""

from __future__ import annotations

import json

import pytest

from tests.hardening.values import EMPTY, FILE_NAMES, HOSTILE
from tests.helpers import make_executable
from tests.pool_support import schedd_of, submit_wait_fetch

pytestmark = pytest.mark.pool

#: Prints its argv, the environment variables V0..V$NENV-1 and the names in
#: $CONDOR_DIR_INPUT, each value in hex.
REPORT = r"""#!/bin/sh
hex() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; echo; }
echo "argc $#"
for a in "$@"; do printf 'arg '; hex "$a"; done
i=0
while [ "$i" -lt "${NENV:-0}" ]; do
    eval "isset=\${V$i+set}"; eval "value=\${V$i}"
    printf 'env%s %s ' "$i" "${isset:-unset}"; hex "$value"
    i=$((i + 1))
done
if [ -n "$CONDOR_DIR_INPUT" ]; then
    for f in "$CONDOR_DIR_INPUT"/*; do printf 'file '; hex "$(basename "$f")"; done
fi
"""


def yaml_text(value: str) -> str:
    """A manifest string: `$` is written `\\$` there (plain `$NAME` means the environment)."""
    return value.replace("$", "\\$")


def parse_report(text: str) -> dict:
    out: dict = {"args": [], "env": {}, "files": []}
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "argc":
            out["argc"] = int(rest)
        elif kind == "arg":
            out["args"].append(bytes.fromhex(rest).decode())
        elif kind.startswith("env"):
            state, _, value = rest.partition(" ")
            out["env"][int(kind[3:])] = (state, bytes.fromhex(value).decode())
        elif kind == "file":
            out["files"].append(bytes.fromhex(rest).decode())
    return out


@pytest.fixture
def work(pool_cwd):
    make_executable(pool_cwd / "report.sh", REPORT)
    for name in FILE_NAMES:
        (pool_cwd / name).write_text(name)
    return pool_cwd


def test_single_job_values(work, capsys):
    """jobsub_submit's command line: inline `arguments` (after `--`: some are jobsub's own
    option spellings) and `environment`."""
    values = [*HOSTILE, EMPTY]
    env = [f"-e=V{i}={v}" for i, v in enumerate(values)]
    _job, got_back = submit_wait_fetch(
        capsys, work / "fetched", "submit", "-o", "out", *env, "-e", f"NENV={len(values)}",
        *[f"-f={n}" for n in FILE_NAMES], "file://report.sh", "--", *values)
    [stdout] = got_back.glob("*.out")
    got = parse_report(stdout.read_text())
    assert got["argc"] == len(values)
    assert got["args"] == values
    assert got["env"] == {i: ("set", v) for i, v in enumerate(values)}
    assert sorted(got["files"]) == sorted(FILE_NAMES)


def test_dag_node_values(work, capsys):
    """A manifest: arguments through VARS JOBSUB_ARGS, user VARS used as arguments, the
    environment, and `resource_provides` values as ClassAd strings in the job's ad."""
    values = [*HOSTILE, EMPTY]
    manifest = {"jobs": {
        "direct": {"executable": "report.sh", "arguments": [yaml_text(v) for v in values],
                   "environment": {**{f"V{i}": yaml_text(v) for i, v in enumerate(values)},
                                   "NENV": str(len(values))},
                   "input_file": FILE_NAMES},
        "viavars": {"executable": "report.sh",
                    "arguments": [f"$(hv{i})" for i in range(len(HOSTILE))],
                    "vars": {f"hv{i}": yaml_text(v) for i, v in enumerate(HOSTILE)},
                    "resource_provides": {f"k{i}": yaml_text(v)
                                          for i, v in enumerate(HOSTILE)}},
    }}
    (work / "values.yaml").write_text(json.dumps(manifest, ensure_ascii=False))
    job_id, out = submit_wait_fetch(capsys, work / "fetched", "submit", "--dag", "-o", "out",
                                    "file://values.yaml")
    direct = parse_report(next(out.glob("direct.*.out")).read_text())
    assert direct["args"] == values
    assert direct["env"] == {i: ("set", v) for i, v in enumerate(values)}
    assert sorted(direct["files"]) == sorted(FILE_NAMES)
    via = parse_report(next(out.glob("viavars.*.out")).read_text())
    assert via["args"] == HOSTILE
    dag = job_id.split(".")[0]
    [ad] = schedd_of(job_id).history(f'DAGManJobId == {dag} && DAGNodeName == "viavars"',
                                     [f"DESIRED_k{i}" for i in range(len(HOSTILE))], match=1)
    assert [ad.get(f"DESIRED_k{i}") for i in range(len(HOSTILE))] == HOSTILE
