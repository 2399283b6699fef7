"""jobsub's own VARS: the writers the emitters use say what jobsub_node_vars says."""

from __future__ import annotations

import json

import pytest

from jobsub.compiler.base.conventions import jobsub_node_vars, jobsub_vars_writer


@pytest.mark.parametrize("index", [0, 1, 2, 9, 10, 999, 1000, 123456, 10**9])
def test_the_vars_writers_write_jobsub_node_vars(index):
    expected = jobsub_node_vars(index)
    line = jobsub_vars_writer('{name}="{value}"', " ")(index)
    assert line == " ".join(f'{k}="{v}"' for k, v in expected.items())
    as_json = jobsub_vars_writer('"{name}":"{value}"', ",", sort=True)(index)
    assert as_json == json.dumps(expected, sort_keys=True, separators=(",", ":"))[1:-1]


def test_a_writer_takes_no_braces_of_its_own():
    with pytest.raises(ValueError, match="only"):
        jobsub_vars_writer("{name}={{value}}", " ")
