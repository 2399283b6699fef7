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


@pytest.mark.parametrize("own", [(), ("run", "seed"), ("DATA",), ("a.b", "_x", "Z")])
def test_a_node_vars_writer_writes_jobsub_and_own_vars(own):
    from jobsub.compiler.base.conventions import node_vars_writer

    values = [f"v{k}" for k in range(len(own))]
    every = {**jobsub_node_vars(42), **dict(zip(own, values, strict=True))}
    line = node_vars_writer('{name}="{value}"', " ", own)(42, values)
    assert line == " ".join(f'{k}="{v}"' for k, v in every.items())
    as_json = node_vars_writer('"{name}":"{value}"', ",", own, sort=True)(42, values)
    assert as_json == json.dumps(every, sort_keys=True, separators=(",", ":"))[1:-1]


@pytest.mark.parametrize("name", ["CM1", "a b", "x}", "1x", "{values[0]}"])
def test_a_node_vars_writer_refuses_names_it_cannot_write(name):
    from jobsub.compiler.base.conventions import node_vars_writer

    with pytest.raises(ValueError, match="not a name"):
        node_vars_writer('{name}="{value}"', " ", (name,))
