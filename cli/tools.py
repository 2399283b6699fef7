"""`jobsub schema|convert|fmt|graph`: the tools around the manifest format."""

from __future__ import annotations

import argparse
import json
import os
import sys

from jobsub.compiler.diagnostics import Sink


def _write(text: str, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.write(text)
        return
    tmp = f"{out}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, out)


def schema_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub schema",
                                description="Print a JSON Schema: the manifest's (default), "
                                            "the IR's or the site configuration's.")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--ir", action="store_true", help="the IR printed by --emit-ir")
    which.add_argument("--site", action="store_true", help="the site configuration file")
    args = p.parse_args(argv)
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
    from .main import print_diagnostics

    print_diagnostics(sink.sorted(), paths)


def convert_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub convert",
                                description="Print the YAML manifest equivalent to a "
                                            "dagnabbit file (compiling either gives the "
                                            "same DAG).")
    p.add_argument("file", help="the dagnabbit file")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    args = p.parse_args(argv)
    from jobsub.compiler.convert import to_manifest
    from jobsub.compiler.frontends.dagnabbit import parse_tree
    from jobsub.compiler.pipeline import is_manifest, read_source

    if is_manifest(args.file):
        p.error(f"{args.file} is already a manifest")
    sink = Sink()
    wf = _load(args.file, sink)
    _report(sink, [args.file])
    if sink.errors or wf is None:
        return 1
    tree = parse_tree(read_source(args.file), args.file, Sink())
    _write(to_manifest(wf, tree, os.path.basename(args.file)), args.output)
    return 0


def fmt_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub fmt",
                                description="Lay manifests out one way, keeping comments.")
    p.add_argument("files", nargs="+", help="manifests to format in place")
    p.add_argument("--check", action="store_true",
                   help="change nothing; exit 1 and name the files that are not formatted")
    args = p.parse_args(argv)
    from jobsub.compiler.fmt import format_manifest
    from jobsub.compiler.pipeline import read_source

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


def graph_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="jobsub graph",
                                description="Write a workflow's dependency graph as DOT.")
    p.add_argument("file", help="a manifest or dagnabbit file")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    args = p.parse_args(argv)
    from jobsub.compiler.graph import to_dot

    sink = Sink()
    wf = _load(args.file, sink)
    _report(sink, [args.file])
    if sink.errors or wf is None:
        return 1
    _write(to_dot(wf), args.output)
    return 0


COMMANDS = {"schema": schema_main, "convert": convert_main, "fmt": fmt_main,
            "graph": graph_main}
