"""Dagnabbit front end: text -> parse tree (Lark LALR) -> IR workflow.

The grammar decides structure (blocks nest in any combination, scripts follow their job); this
module decides meaning: it splits each job line into shell words, reads them with the shared
option table, interns job specs and builds the edges. Syntax errors are recovered from so that
one run reports every problem in the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken

from ... import grammar
from ..diagnostics import JobsubError, Sink, Span
from ..flags import FlagParser, Parsed
from ..ir import DagSettings, Edge, Node, Retry, Script, Workflow
from ..options import OPTIONS, Context, Scope, defaults, merge
from ..shellwords import Word, split_words
from ..specs import SpecTable, job_options, local_path

_CLOSE_FOR = {"SERIAL_OPEN": "SERIAL_CLOSE", "PARALLEL_OPEN": "PARALLEL_CLOSE"}
_TAG = {"SERIAL_OPEN": "<serial>", "PARALLEL_OPEN": "<parallel>",
        "SERIAL_CLOSE": "</serial>", "PARALLEL_CLOSE": "</parallel>"}
_JOB_KEYWORD = re.compile(r"[ \t]*(jobsub_submit|jobsub[ \t]+submit|jobsub)(?=[ \t]|$)")
_ATTACHMENT_KEYWORD = re.compile(r"[ \t]*(prescript|postscript|retry)(?=[ \t]|$)", re.IGNORECASE)


# --- parse tree ----------------------------------------------------------------------------

@dataclass
class JobLine:
    token: Token
    attachments: list[Token]  # prescript, postscript and retry lines


@dataclass
class Block:
    kind: str  # "serial" | "parallel"
    open: Token
    items: list[Any]


@dataclass
class Stray:
    token: Token


class _ToTree(Transformer):
    """Runs inside the LALR parser (no intermediate Lark tree)."""

    def start(self, items):
        return Block("serial", None, items)

    def serial(self, children):
        return Block("serial", children[0], children[1:-1])

    def parallel(self, children):
        return Block("parallel", children[0], children[1:-1])

    def job(self, children):
        return JobLine(children[0], children[1:])

    def attachment(self, children):
        return children[0]

    def stray(self, children):
        return Stray(children[0])


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(grammar.text("dagnabbit.lark"), parser="lalr", lexer="basic",
                transformer=_ToTree(), maybe_placeholders=False)


@lru_cache(maxsize=1)
def _flag_parser() -> FlagParser:
    return FlagParser(o for o in OPTIONS if o.scope is Scope.JOB)


def _token_span(path: str, tok: Token) -> Span:
    text = tok.value.rstrip("\r")
    lead = len(text) - len(text.lstrip(" \t"))
    return Span(path, tok.line, tok.column + lead, tok.line, tok.column + len(text))


def parse_tree(text: str, path: str, sink: Sink) -> Block:
    """The file's block structure; syntax errors go to `sink` and parsing carries on."""

    def on_error(err: UnexpectedInput) -> bool:
        if not isinstance(err, UnexpectedToken):
            return False
        tok = err.token
        ip = err.interactive_parser
        opened = [t for t in ip.parser_state.value_stack
                  if isinstance(t, Token) and t.type in _CLOSE_FOR]
        if tok.type == "$END":
            for t in reversed(opened):
                sink.error(f"{_TAG[t.type]} is never closed", _token_span(path, t),
                           f"add {_TAG[_CLOSE_FOR[t.type]]} after its last line")
                ip.feed_token(Token(_CLOSE_FOR[t.type], "", line=t.line, column=t.column))
            return True
        where = _token_span(path, tok)
        if tok.type in ("SERIAL_CLOSE", "PARALLEL_CLOSE"):
            if not opened:
                sink.error(f"{_TAG[tok.type]} without a matching opening tag", where,
                           "remove it, or add the opening tag above")
                return True
            inner = opened[-1]
            sink.error(f"{_TAG[tok.type]} does not match {_TAG[inner.type]}", where,
                       f"close the {_TAG[inner.type]} block with {_TAG[_CLOSE_FOR[inner.type]]}",
                       notes=[(_token_span(path, inner), f"{_TAG[inner.type]} opened here")])
            ip.feed_token(Token(_CLOSE_FOR[inner.type], tok.value, line=tok.line,
                                column=tok.column))
            return True
        if tok.type in ("PRESCRIPT_LINE", "POSTSCRIPT_LINE", "RETRY_LINE"):
            kind = tok.type.split("_")[0].lower()
            sink.error(f"{kind} does not follow a job line", where,
                       f"put the {kind} line directly below the jobsub_submit line it belongs to")
            return True
        sink.error(f"unexpected {tok.type}", where)
        return True

    return _parser().parse(text, on_error=on_error)


# --- meaning ---------------------------------------------------------------------------------

@dataclass
class _Builder:
    path: str
    base_dir: str
    env: Mapping[str, str]
    cmdline: Mapping[str, Any]  # option values given for all jobs
    sink: Sink
    fallback_dir: str | None = None
    specs: SpecTable = field(default_factory=SpecTable)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    _parsed: dict[tuple, tuple[str | None, dict]] = field(default_factory=dict)
    _undefined: set[tuple] = field(default_factory=set)

    def __post_init__(self):
        self.ctx = Context(self.env)
        self.base = merge(defaults(self.env), job_options(self.cmdline))

    # words ----------------------------------------------------------------------------------

    def _words(self, line: str, lineno: int, start: int) -> tuple[list[Word], Span]:
        """Words of `line[start:]`; columns in spans are 1-based positions in the whole line."""
        span = Span(self.path, lineno, start + 1)

        def undefined(name: str, offset: int, length: int) -> None:
            key = (name, lineno, start + offset)
            if key not in self._undefined:
                self._undefined.add(key)
                self.sink.warning(f"${name} is not set in the environment; kept as written",
                                  span.at(start + offset + 1, length),
                                  f"export {name} before compiling, or write \\${name} "
                                  "to pass it on literally")
        return split_words(line[start:], self.env, span, undefined), span

    @staticmethod
    def _where(span: Span, start: int):
        return lambda w: span.at(start + w.start + 1, w.end - w.start)

    # jobs ---------------------------------------------------------------------------------

    def job(self, job: JobLine) -> str | None:
        tok = job.token
        line = tok.value.rstrip("\r")
        m = _JOB_KEYWORD.match(line)
        try:
            words, span = self._words(line, tok.line, m.end())
        except JobsubError as err:
            self.sink.absorb(err)
            return None
        where = self._where(span, m.end())
        index = len(self.nodes) + 1
        name = f"stage_{index}"
        stop = _flag_parser().executable_index(words)
        key = tuple(w.text for w in words[:stop + 1])
        cached = self._parsed.get(key)
        if cached is None:
            before = len(self.sink.errors)
            parsed = _flag_parser().parse(
                words, where, self.ctx, self.sink,
                end_span=Span(self.path, tok.line, len(line) + 1, tok.line, len(line) + 2))
            ok = len(self.sink.errors) == before
            exe = self._executable(parsed, where)
            if not ok or exe is None:
                return None
            options = merge(self.base, parsed.values)
            spec = self.specs.intern(exe, options, name, Span(self.path, tok.line, m.start(1) + 1))
            cached = (spec, parsed)
            self._parsed[key] = cached
        spec, parsed = cached
        node = Node(name, spec, [w.text for w in words[stop + 1:]],
                    {"JOBSUBJOBSECTION": str(index), "CM1": str(index - 1),
                     "CM2": str(index - 2), "nodename": "$(JOB)"},
                    span=Span(self.path, tok.line, m.start(1) + 1))
        self._attach(node, job.attachments)
        self.nodes.append(node)
        return name

    def _executable(self, parsed: Parsed, where) -> str | None:
        if parsed.executable is None:
            return None
        return local_path(parsed.executable.text, where(parsed.executable), self.sink,
                          self.base_dir, "executable", self.fallback_dir)

    def _attach(self, node: Node, tokens: list[Token]) -> None:
        """The prescript, postscript and retry lines below a job line (one of each)."""
        first: dict[str, Span] = {}
        for tok in tokens:
            line = tok.value.rstrip("\r")
            m = _ATTACHMENT_KEYWORD.match(line)
            keyword = m.group(1).lower()
            here = Span(self.path, tok.line, m.start(1) + 1, tok.line, m.end(1) + 1)
            if keyword in first:
                self.sink.error(f"a job has only one {keyword} line", here,
                                "keep one of them", notes=[(first[keyword], "first one here")])
                continue
            first[keyword] = here
            try:
                words, span = self._words(line, tok.line, m.end())
            except JobsubError as err:
                self.sink.absorb(err)
                continue
            where = self._where(span, m.end())
            if keyword == "retry":
                node.retry = self._retry(words, where, here)
                continue
            if not words:
                self.sink.error(f"{keyword} names no script", here,
                                f"write {keyword} file://SCRIPT [ARGS...]")
                continue
            path = local_path(words[0].text, where(words[0]), self.sink, self.base_dir,
                              keyword, self.fallback_dir)
            if path is not None:
                kind = "PRE" if keyword == "prescript" else "POST"
                node.scripts.append(Script(kind, path, [w.text for w in words[1:]], here))

    def _retry(self, words: list[Word], where, here: Span) -> Retry | None:
        """`retry N [UNLESS-EXIT CODE]`."""
        texts = [w.text for w in words]
        usage = "write retry N, or retry N UNLESS-EXIT CODE"
        if len(texts) not in (1, 3) or (len(texts) == 3
                                          and texts[1].upper() != "UNLESS-EXIT"):
            self.sink.error("malformed retry line", here, usage)
            return None
        if not texts[0].isdigit() or int(texts[0]) < 1:
            self.sink.error(f"retry count {texts[0]!r} is not a whole number above 0",
                            where(words[0]), usage)
            return None
        unless = None
        if len(texts) == 3:
            try:
                unless = int(texts[2])
            except ValueError:
                self.sink.error(f"exit code {texts[2]!r} is not a whole number",
                                where(words[2]), usage)
                return None
        return Retry(int(texts[0]), unless)

    # structure ----------------------------------------------------------------------------

    def element(self, item: Any) -> tuple[list[str], list[str]]:
        """(entry nodes, exit nodes) of a tree item, adding its internal edges."""
        if isinstance(item, JobLine):
            name = self.job(item)
            return ([name], [name]) if name else ([], [])
        if isinstance(item, Stray):
            self.sink.error("not a dagnabbit line", _token_span(self.path, item.token),
                            "lines are <serial>, </serial>, <parallel>, </parallel>, "
                            "jobsub_submit ..., prescript ..., postscript ..., or # comments")
            return [], []
        if item.kind == "parallel":
            entries: list[str] = []
            exits: list[str] = []
            for child in item.items:
                e, x = self.element(child)
                entries += e
                exits += x
            self._empty(item, entries)
            return entries, exits
        first: list[str] = []
        prev: list[str] = []
        for child in item.items:
            e, x = self.element(child)
            if not e:
                continue
            if prev:
                self.edges.append(Edge(list(prev), list(e), self._span_of(child)))
            else:
                first = e
            prev = x
        self._empty(item, first)
        return first, prev

    def _span_of(self, item: Any) -> Span | None:
        tok = item.token if isinstance(item, JobLine) else item.open
        return _token_span(self.path, tok) if tok is not None else None

    def _empty(self, block: Block, entries: list[str]) -> None:
        if block.open is not None and not block.items:
            self.sink.warning(f"empty <{block.kind}> block", _token_span(self.path, block.open))


def compile_text(text: str, path: str, *, env: Mapping[str, str], base_dir: str,
                 cmdline: Mapping[str, Any] | None = None, sink: Sink,
                 name: str | None = None, fallback_dir: str | None = None) -> Workflow:
    """The IR of a dagnabbit file. Problems are reported into `sink`; call `sink.check()`."""
    tree = parse_tree(text, path, sink)
    builder = _Builder(path, base_dir, env, dict(cmdline or {}), sink, fallback_dir)
    outside = [item for item in tree.items if isinstance(item, JobLine)]
    if outside:
        more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
        sink.warning(f"job line outside any <serial> or <parallel> block{more}",
                     _token_span(path, outside[0].token),
                     "the file is one sequence: such jobs run in order with the blocks around "
                     "them (jobsub_lite left them unconnected); wrap them in <serial> to be "
                     "explicit")
    builder.element(tree)
    if not builder.nodes and not sink.errors:
        sink.error("no jobs in file", Span(path, 1, 1), "add a jobsub_submit line")
    max_jobs = (cmdline or {}).get("max_concurrent")
    return Workflow(name=name or _stem(path), source=path, base_dir=base_dir, kind="dag",
                    specs=builder.specs.specs, nodes=builder.nodes, edges=builder.edges,
                    settings=DagSettings(max_jobs_submitted=max_jobs))


def _stem(path: str) -> str:
    base = os.path.basename(path)
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return re.sub(r"[^A-Za-z0-9_.-]", "_", stem) or "workflow"

