"""jobsub.json: where each node was written, and fingerprints that change with what a node
computes but not with what it asks for (a rescue compares them)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from jobsub.compiler.emit.nodemap import _digest, node_fingerprint
from jobsub.compiler.ir.model import Node, node_vars
from jobsub.runtime.nodemap import parse
from tests.helpers import compile_text, make_executable

DAG = """\
<serial>
jobsub_submit -G g --memory 1GB file://a.sh one
<parallel>
jobsub_submit -G g file://a.sh two
jobsub_submit -G g file://b.sh three
</parallel>
</serial>
"""


def _map(tmp_path, text=DAG, name="wf.dagnabbit"):
    make_executable(tmp_path / "a.sh")
    make_executable(tmp_path / "b.sh")
    _, files, sink = compile_text(tmp_path, text, name)
    assert not sink.errors, [d.message for d in sink.errors]
    text = next(f.body() for f in files if f.path == "jobsub.json")
    return json.loads(text), parse(text, str(tmp_path))


def test_nodes_carry_their_line_group_and_fingerprint(tmp_path):
    data, nodemap = _map(tmp_path)
    top = nodemap.top
    assert data["workflow"] == "wf.dagnabbit" and data["sources"] == ["wf.dagnabbit"]
    assert [top.origin(n, nodemap.sources).line for n in ("stage_1", "stage_2", "stage_3")] \
        == [2, 4, 5]
    assert top.group("stage_3") == "stage_3" and top.groups["stage_3"].executable == "b.sh"
    assert top.jobstate_log == "wf.dag.jobstate.log"
    assert top.nodes_log == "wf.dag.nodes.log"
    assert len({top.fingerprint(n) for n in top.nodes}) == 3
    assert top.group_edges == [["stage_1", "stage_2", False], ["stage_1", "stage_3", False]]


def test_resources_keep_the_fingerprint_and_arguments_change_it(tmp_path):
    _, before = _map(tmp_path)
    more = DAG.replace("--memory 1GB", "--memory 4GB --disk 5GB --expected-lifetime long")
    _, after = _map(tmp_path, more)
    assert after.top.fingerprint("stage_1") == before.top.fingerprint("stage_1")
    edited = DAG.replace("file://a.sh one", "file://a.sh uno")
    _, other = _map(tmp_path, edited)
    assert other.top.fingerprint("stage_1") != before.top.fingerprint("stage_1")
    assert other.top.fingerprint("stage_2") == before.top.fingerprint("stage_2")


def test_an_inserted_line_shifts_dagnabbit_names_onto_other_work(tmp_path):
    _, before = _map(tmp_path)
    inserted = DAG.replace("<serial>\n", "<serial>\njobsub_submit -G g file://b.sh zero\n")
    _, after = _map(tmp_path, inserted)
    assert after.top.fingerprint("stage_2") != before.top.fingerprint("stage_2")


def test_manifest_jobs_have_their_key_lines_on_the_fast_path(tmp_path):
    manifest = ("name: m\njobs:\n  first:\n    executable: a.sh\n"
                "  # a comment\n  second: {executable: b.sh, after: first}\n")
    _, nodemap = _map(tmp_path, manifest, "m.yaml")
    top = nodemap.top
    assert top.origin("first", nodemap.sources).line == 3
    assert top.origin("second", nodemap.sources).line == 6
    assert nodemap.shown(top.origin("second", nodemap.sources)).endswith("m.yaml:6")


_TEXT = st.text(alphabet=st.sampled_from(list('ab"\\\x01\n é$()')), max_size=6)


#: VARS names: plain ones (sorting among jobsub's, or being one of them) and any text
_NAMES = st.one_of(st.sampled_from(["run", "seed", "CM1", "CM3", "DATA", "Z", "a.b", "_x",
                                    "nodename", "JOBSUBJOBSECTIONS"]), _TEXT)


@settings(max_examples=600, deadline=None)
@given(st.lists(_TEXT, max_size=3), st.dictionaries(_NAMES, _TEXT, max_size=4),
       st.one_of(st.none(), st.integers(-3, 10**6)), st.booleans())
def test_a_fingerprint_is_the_digest_of_the_nodes_json(arguments, variables, section, noop):
    """node_fingerprint writes the usual node's JSON itself; it must be the encoder's."""
    node = Node("n", "s", arguments, variables, section=section, noop=noop)
    assert node_fingerprint("abc", node) == _digest("abc", arguments, node_vars(node), None,
                                                    noop)
    # a sweep's nodes share their argument list: its JSON is made once for them
    from jobsub.compiler.emit.nodemap import _fingerprints

    other = Node("m", "s", arguments, {}, section=7)
    # the same VARS names with other values, the other noop, and another spec
    again = Node("k", "s", arguments, {k: f"{v}x" for k, v in variables.items()},
                 section=None if section is None else section + 1, noop=not noop)
    elsewhere = Node("j", "t", arguments, variables, section=section, noop=noop)
    nodes = [node, other, node, again, elsewhere, node]
    assert _fingerprints(nodes, {"s": "abc", "t": "def"}) == [
        node_fingerprint({"s": "abc", "t": "def"}[n.spec], n) for n in nodes]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from("abcx"), max_size=3),
                          st.lists(st.sampled_from("abcx"), max_size=3), st.booleans()),
                max_size=6),
       st.sampled_from([("s", "s", "s"), ("s", "t", "s"), ("s", None, "t")]))
def test_group_edges_join_groups_some_edge_joins(edges, specs):
    """[parent group, child group, weak] for each pair of groups an edge joins, weak only
    if every edge joining them is (x is no node's name); one group or several."""
    from jobsub.compiler.emit.nodemap import _group_edges, group_of
    from jobsub.compiler.ir.model import Edge, Workflow

    nodes = [Node(name, spec, subdag=None if spec else "x.dag")
             for name, spec in zip("abc", specs, strict=True)]
    wf = Workflow("w", "w.yaml", ".", nodes=nodes,
                  edges=[Edge(p, c, None, weak) for p, c, weak in edges])
    group = {n.name: group_of(n) for n in nodes}
    expected: dict[tuple[str, str], bool] = {}
    for p, c, weak in edges:
        for a in sorted({group[x] for x in p if x in group}):
            for b in sorted({group[x] for x in c if x in group}):
                expected[(a, b)] = expected.get((a, b), True) and weak
    assert _group_edges(wf) == [[a, b, w] for (a, b), w in expected.items()]


def test_columns_written_a_slice_at_a_time_are_what_json_dumps_writes(tmp_path, monkeypatch):
    """jobsub.json is written in pieces (a million-node column is never one list): with
    slices of one node, of two and of all, a workflow with a sub-DAG (two parts) gives the
    same text, and it is json.dumps's text of what it holds."""
    import shutil

    from jobsub.compiler.emit import nodemap
    from tests.helpers import compile_file

    features = Path(__file__).parents[2] / "data" / "manifests" / "features"
    shutil.copytree(features, tmp_path / "features")
    texts = []
    for piece in (1, 2, 100_000):
        monkeypatch.setattr(nodemap, "_COLUMN_PIECE", piece)
        _, files, sink = compile_file(tmp_path / "features" / "features.yaml",
                                      env={"FEATURES_MARKER": "/var/tmp/features.marker"},
                                      condor_version="23.9.6")
        assert not sink.errors, [d.message for d in sink.errors]
        texts.append(next(f.body() for f in files if f.path == "jobsub.json"))
    data = json.loads(texts[0])
    assert len(data["workflows"]) == 2 and len(data["workflows"][0]["nodes"]["name"]) > 2
    assert texts[0] == texts[1] == texts[2] == \
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
