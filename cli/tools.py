"""`jobsub schema|convert|fmt|graph`: the tools around the manifest format."""

from __future__ import annotations

import argparse
import json
import os
import sys

from jobsub.compiler.base.diagnostics import Sink

from .args import command_parser
from .common import Command, pool_arguments, pool_of, print_diagnostics


def _write(text: str, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    tmp = f"{out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)


def schema_parser() -> argparse.ArgumentParser:
    p = command_parser("jobsub schema", "Print a JSON Schema: the manifest's (default), the "
                       "IR's or the site configuration's.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--ir", action="store_true", help="the IR printed by --emit-ir")
    which.add_argument("--site", action="store_true", help="the site configuration file")
    return p


def schema_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.schemas import load

    name = "ir" if args.ir else "site" if args.site else "manifest"
    print(json.dumps(load(f"{name}.schema.json"), indent=2))
    return 0


def _load(path: str, sink: Sink):
    from jobsub.compiler.pipeline import compile_path

    wf, _ = compile_path(path, env=os.environ, cwd=os.getcwd(), cmdline=None, sink=sink,
                         plan_files=False)
    return wf


def _report(sink: Sink, paths: list[str]) -> None:

    print_diagnostics(sink.sorted(), paths)


def convert_parser() -> argparse.ArgumentParser:
    p = command_parser("jobsub convert", "Print the YAML manifest equivalent to a dagnabbit "
                       "file (compiling either gives the same DAG).")
    p.add_argument("file", help="the dagnabbit file")
    p.add_argument("-o", "--output", metavar="FILE|DIR",
                   help="write here instead of stdout (into a folder: as NAME.yaml); paths "
                        "in it are written to resolve from where it is")
    return p


def convert_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.compiler.base.conventions import is_manifest
    from jobsub.compiler.base.sources import read_source
    from jobsub.compiler.frontends.dagnabbit import parse_tree
    from jobsub.compiler.tools.convert import mover, to_manifest

    if is_manifest(args.file):
        p.error(f"{args.file} is already a manifest")
    sink = Sink()
    wf = _load(args.file, sink)
    _report(sink, [args.file])
    if sink.errors or wf is None:
        return 1
    tree = parse_tree(read_source(args.file), args.file, Sink())
    if args.output and (os.path.isdir(args.output) or args.output.endswith("/")):
        stem = os.path.splitext(os.path.basename(args.file))[0]
        args.output = os.path.join(args.output, f"{stem}.yaml")
    source_dir = os.path.dirname(os.path.abspath(args.file))
    out_dir = os.path.dirname(os.path.abspath(args.output)) if args.output else os.getcwd()
    move = mover(source_dir, out_dir) if out_dir != source_dir else None
    _write(to_manifest(wf, tree, os.path.basename(args.file), move), args.output)
    return 0


def fmt_parser() -> argparse.ArgumentParser:
    p = command_parser("jobsub fmt", "Lay manifests out one way, keeping comments.")
    p.add_argument("files", nargs="+", help="manifests to format in place")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 and name the files that are not formatted")
    return p


def fmt_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.compiler.base.sources import read_source
    from jobsub.compiler.tools.fmt import format_manifest

    unformatted = []
    for path in args.files:
        text = read_source(path)
        formatted = format_manifest(text, path)
        if formatted != text:
            unformatted.append(path)
            if not args.check:
                _write(formatted, path)
    for path in unformatted:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    return 1 if args.check and unformatted else 0


def graph_parser() -> argparse.ArgumentParser:
    p = command_parser(
        prog="jobsub graph",
        description="Draw a workflow's DAG: from its file, or from a submitted DAG (its id, "
                    "or the folder it ran in) with nodes coloured by state. Large DAGs are "
                    "drawn one box per job group, with a bar of its nodes' states.")
    p.add_argument("source", help="a manifest or dagnabbit file, a DAG's job id, or the "
                                  "folder a DAG ran in")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write here (its suffix picks the format: .dot, .svg, .png); "
                        "default: DOT on stdout")
    p.add_argument("--format", choices=["dot", "svg", "png"], help="the format, whatever "
                                                                   "the file is called")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--by-group", dest="by_group", action="store_true", default=None,
                     help="one box per job group (the default above "
                          "a few hundred nodes)")
    how.add_argument("--by-node", dest="by_group", action="store_false",
                     help="one box per node, however many")

    pool_arguments(p)
    return p


def graph_run(args: argparse.Namespace, p: argparse.ArgumentParser) -> int:
    from jobsub.runtime import pictures

    fmt = args.format or (os.path.splitext(args.output)[1].lstrip(".").lower()
                          if args.output else "dot")
    if fmt not in pictures.FORMATS:
        p.error(f"cannot tell the format from {args.output!r}; give --format dot|svg|png")
    if os.path.isfile(args.source):
        nodemap, states = _workflow_map(args.source), None
        if nodemap is None:
            return 1
    else:
        nodemap, states = _submitted_map(args)
    data = pictures.render(pictures.dot(nodemap, states, args.by_group), fmt)
    if args.output is None or args.output == "-":
        if fmt != "dot" and sys.stdout.isatty():
            p.error(f"{fmt.upper()} is not for a terminal; give -o FILE")
        sys.stdout.buffer.write(data)
        return 0
    tmp = f"{args.output}.tmp-{os.getpid()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, args.output)
    return 0


def _workflow_map(path: str):
    """The node map of a workflow file, compiled but not written."""
    from jobsub.compiler.emit.nodemap import MAP_FILE
    from jobsub.compiler.pipeline import compile_path
    from jobsub.runtime.nodemap import parse

    sink = Sink()
    _, files = compile_path(path, env=os.environ, cwd=os.getcwd(), cmdline=None, sink=sink)
    _report(sink, [path])
    if sink.errors:
        return None
    text = next(f.body() for f in files if f.path == MAP_FILE)
    return parse(text, os.path.dirname(os.path.abspath(path)))


def _submitted_map(args):
    """The node map and node states of a submitted DAG."""
    from jobsub.compiler.base.diagnostics import JobsubError
    from jobsub.runtime import dagstate
    from jobsub.runtime import subject as subjects


    subject = subjects.find(lambda: pool_of(args), args.source)
    with subjects.files(subject) as folder:
        nodemap = subjects.node_map(subject, folder) if folder is not None else None
        if nodemap is None:
            raise JobsubError(f"{args.source}: no jobsub.json to draw it from (it was not "
                              "compiled by this jobsub, or its files are gone)")
        dag = dagstate.read(str(folder), nodemap, subject.top_file)
    return nodemap, {n.name: n.state for n in dag.nodes if n.dag == nodemap.top.dag}


COMMANDS = {"schema": Command(schema_parser, schema_run),
            "convert": Command(convert_parser, convert_run),
            "fmt": Command(fmt_parser, fmt_run),
            "graph": Command(graph_parser, graph_run)}
