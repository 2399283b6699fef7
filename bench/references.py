"""Reference DAG writers, each run in a fresh process by bench/run.py on the graph jobsub
compiles (same nodes, VARS carrying each node's arguments, same dependencies):

- floor: plain Python f-strings into one file, the least any writer must spend;
- htcondor2.dags: HTCondor's own DAG-building API;
- htcondor2.dags-layers: the same API writing the same nodes as a chain of layers of 100
  (its good case; only for the block graphs, where the plain one is quadratic);
- ezdag: a DAG library on top of it (dependencies are derived from files), if installed.

    python bench/references.py WRITER FORMAT NODES OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workloads import BLOCK, blocks, edges, sweep_shape


def graph(kind: str, n: int):
    """(layers, edges): layers are (name, [argument lists]) in order, edges (parent layer,
    child layer) pairs. A serial job is a layer of one; a parallel block one layer of five;
    a sweep one layer of N between a setup and a merge layer."""
    if kind == "yaml-sweep":
        runs, seeds = sweep_shape(n)
        sim = [["--run", str(r), "--seed", str(s)] for r in range(runs) for s in range(seeds)]
        return ([("setup", [["setup"]]), ("sim", sim), ("merge", [["merge"]])],
                [(0, 1), (1, 2)])
    layers: list[tuple[str, list[list[str]]]] = []
    links = []
    last = None
    for kind_, jobs in blocks(n):
        group = [[j] for j in jobs] if kind_ == "serial" else [jobs]
        for members in group:
            layers.append((f"j{members[0]}", [["--item", f"j{j}x"] for j in members]))
            if last is not None:
                links.append((last, len(layers) - 1))
            last = len(layers) - 1
    assert len(edges(n)) == len(links) and BLOCK == 5
    return layers, links


def floor(kind: str, n: int, out: Path) -> None:
    layers, links = graph(kind, n)
    names: list[list[str]] = []
    with open(out / "floor.dag", "w") as fh:
        for name, argsets in layers:
            here = []
            for i, args in enumerate(argsets):
                node = f"{name}_{i}"
                here.append(node)
                fh.write(f"JOB {node} job.sub\n")
                fh.write(f'VARS {node} JOBSUB_ARGS="{" ".join(args)}"\n')
            names.append(here)
        for p, c in links:
            fh.write(f"PARENT {' '.join(names[p])} CHILD {' '.join(names[c])}\n")


def htcondor_dags(kind: str, n: int, out: Path) -> None:
    _write_htcondor_dags(*graph(kind, n), out)


#: The layer size of the `htcondor2.dags-layers` reference.
LAYER = 100


def htcondor_dags_layers(kind: str, n: int, out: Path) -> None:
    """htcondor2.dags writing the same nodes (same arguments) as a chain of layers of
    LAYER nodes, each layer the child of the one before: the shape that library is built
    for, where the block graph (a layer per serial job) is its worst case."""
    layers, _ = graph(kind, n)
    argsets = [a for _, layer in layers for a in layer]
    chained = [(f"L{k}", argsets[k:k + LAYER]) for k in range(0, len(argsets), LAYER)]
    _write_htcondor_dags(chained, [(k, k + 1) for k in range(len(chained) - 1)], out)


def _write_htcondor_dags(layers, links, out: Path) -> None:
    import htcondor2
    from htcondor2 import dags

    dag = dags.DAG()
    sub = htcondor2.Submit({"executable": "job.sh", "arguments": "$(JOBSUB_ARGS)"})
    made = [dag.layer(name=name, submit_description=sub,
                      vars=[{"JOBSUB_ARGS": " ".join(a)} for a in argsets])
            for name, argsets in layers]
    for p, c in links:
        made[p].add_children(made[c])
    dags.write_dag(dag, out, dag_file_name="dags.dag")


def ezdag(kind: str, n: int, out: Path) -> None:
    from ezdag import DAG, Argument, Layer, Node, Option

    layers, links = graph(kind, n)
    parents: dict[int, list[int]] = {}
    for p, c in links:
        parents.setdefault(c, []).append(p)
    dag = DAG("ezdag")
    for k, (name, argsets) in enumerate(layers):
        layer = Layer("job.sh", name=name, retries=0, transfer_files=False)
        done = [f"{layers[p][0]}_{i}.done" for p in parents.get(k, [])
                for i in range(len(layers[p][1]))]
        for i, args in enumerate(argsets):
            options = [Option(args[j].lstrip("-"), args[j + 1]) for j in range(0, len(args), 2)] \
                if len(args) % 2 == 0 else [Argument("step", args[0])]
            layer += Node(arguments=options,
                          inputs=[Argument("after", done)] if done else [],
                          outputs=[Argument("done", f"{name}_{i}.done")])
        dag.attach(layer)
    dag.write(out)


WRITERS = {"floor": floor, "htcondor2.dags": htcondor_dags,
           "htcondor2.dags-layers": htcondor_dags_layers, "ezdag": ezdag}

if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")  # ezdag warns that job.sh is not in the current folder
    writer, kind, count, folder = sys.argv[1:5]
    Path(folder).mkdir(parents=True, exist_ok=True)
    WRITERS[writer](kind, int(count), Path(folder))
