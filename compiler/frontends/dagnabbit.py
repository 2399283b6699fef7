"""Dagnabbit front end: text -> parse tree (Lark LALR) -> IR workflow.

The grammar decides structure (blocks nest in any combination, scripts follow their job); this
module decides meaning: it splits each job line into shell words, reads them with the shared
option table, interns job specs and builds the edges. Syntax errors are recovered from so that
one run reports every problem in the file.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedInput, UnexpectedToken
from lark.lexer import Lexer

from jobsub.compiler.base.diagnostics import JobsubError, Sink, Span
from jobsub.compiler.base.limits import MAX_NESTING
from jobsub.compiler.frontends.specs import SpecTable, job_options, local_path
from jobsub.compiler.ir.model import DagSettings, Edge, Node, Retry, Script, Workflow
from jobsub.compiler.options.flags import FlagParser, Parsed
from jobsub.compiler.options.shellwords import Word, split_words
from jobsub.compiler.options.table import OPTIONS, Context, Scope, defaults, merge

from ... import grammar
from . import workflow_stem
from .structure import group

_CLOSE_FOR = {"SERIAL_OPEN": "SERIAL_CLOSE", "PARALLEL_OPEN": "PARALLEL_CLOSE"}
_TAG = {"SERIAL_OPEN": "<serial>", "PARALLEL_OPEN": "<parallel>",
        "SERIAL_CLOSE": "</serial>", "PARALLEL_CLOSE": "</parallel>"}
_LINE_KINDS = ("COMMENT", "BLANK", "JOB_LINE", "PRESCRIPT_LINE", "POSTSCRIPT_LINE",
               "RETRY_LINE", "OTHER_LINE")
_ATTACHED = {"PRESCRIPT_LINE": "prescript", "POSTSCRIPT_LINE": "postscript",
             "RETRY_LINE": "retry"}
#: Where a job line's executable probably is; a line read in full confirms it (see job()).
#: A file:// URL to its word's end (executable_word checks the word's start: a look-behind
#: first would keep re from searching for the literal, 4x slower on a long line)
_FILE_URL_WORD = re.compile(r"file://[^ \t'\"\\$]*(?![^ \t])")
_SPECIAL = re.compile(r"['\"\\$]")
_NONBLANK = re.compile(r"\S")
_PLAIN_WORDS = re.compile(r"[^ \t]+").findall
_JOB_KEYWORD = re.compile(r"[ \t]*(jobsub_submit|jobsub[ \t]+submit|jobsub)(?=[ \t]|$)")
_ATTACHMENT_KEYWORD = re.compile(r"[ \t]*(prescript|postscript|retry)(?=[ \t]|$)", re.IGNORECASE)


def _executable_word(line: str, pos: int) -> re.Match | None:
    """The first whole word from `pos` that is a file:// URL without quotes, `$` or `\\`."""
    while True:
        m = _FILE_URL_WORD.search(line, pos)
        if m is None or m.start() == 0 or line[m.start() - 1] in " \t":
            return m
        pos = m.start() + 1


# --- parse tree ----------------------------------------------------------------------------

#: Numbers as DAGMan reads them: ASCII digits (Python's int() also takes '٣' and '²').
_COUNT = re.compile(r"[0-9]{1,9}")
_EXIT_CODE = re.compile(r"-?[0-9]{1,9}")


class Line(NamedTuple):
    """One line of the file: its text (without the newline), number and first column."""

    value: str
    line: int
    column: int = 1


@dataclass(slots=True)
class JobLine:
    token: Line
    attachments: list[Line]  # prescript, postscript and retry lines


@dataclass(slots=True)
class Block:
    kind: str  # "serial" | "parallel"
    open: Line | None  # its opening tag's line
    items: list[Any]
    cut: bool = False  # blocks nested too deep were left out of it (an error says so)
    has_lines: bool = False  # holds a job line, a stray line or a block (once read)


@dataclass(slots=True)
class Stray:
    token: Line


class _ToTree(Transformer):
    """Runs inside the LALR parser (no intermediate Lark tree). A block keeps its opening
    tag as a Line, its text interned: a million-line file has 200,000 blocks or more, and
    a Token per tag cost twice as much."""

    def start(self, items):
        return Block("serial", None, items)

    def serial(self, children):
        return Block("serial", _tag_line(children[0]), children[1:-1])

    def parallel(self, children):
        return Block("parallel", _tag_line(children[0]), children[1:-1])


def _tag_line(tok: Token) -> Line:
    return Line(sys.intern(tok.value), tok.line, tok.column)


class _Lexer(Lexer):
    """Tag lines, and each run of other lines between them as one LINES token. It lexes
    from the state's position, so the parser can resume after a syntax error. A LINES token
    holds no text, only where its run starts and ends (`run_items` reads it from the file's
    text): Lark's Token holds its text twice (as the str and as `.value`), and a million-line
    file's tree held 300 MB of such copies until its runs were read."""

    # lark >= 1.3 reads 2 (the state's text is a TextSlice); 1.2 reads any true value (str)
    __future_interface__ = 2

    def __init__(self, conf):
        tags = [t for t in conf.terminals if t.name in _TAG]
        self.tags = re.compile("|".join(f"^(?P<{t.name}>{t.pattern.to_regexp()})$"
                                        for t in tags), re.MULTILINE)

    def lex(self, state, parser_state):
        text = getattr(state.text, "text", state.text)
        ctr = state.line_ctr
        for m in self._tag_lines(text, ctr):
            yield from self._run(state, text, m.start())
            tok = Token(m.lastgroup, m.group(), start_pos=m.start(), line=ctr.line, column=1)
            ctr.char_pos = m.end()
            state.last_token = tok
            yield tok
        yield from self._run(state, text, len(text))

    def _tag_lines(self, text: str, ctr):
        """The tag lines from the counter's position on, in order: only lines with a `<`
        are tried (found by str.find: the tag pattern's `^` would be tried at each of a
        big file's 15 million characters)."""
        at = ctr.char_pos
        while (lt := text.find("<", at)) >= 0:
            start = text.rfind("\n", 0, lt) + 1
            m = self.tags.match(text, start) if start >= ctr.char_pos else None
            if m is not None:
                yield m
                at = max(m.end(), ctr.char_pos)
            else:
                end = text.find("\n", lt)
                at = len(text) if end < 0 else end

    @staticmethod
    def _run(state, text: str, end: int):
        ctr = state.line_ctr
        start = ctr.char_pos
        if end <= start:
            return
        line = ctr.line
        ctr.char_pos = end
        ctr.line += text.count("\n", start, end)
        if _NONBLANK.search(text, start, end):
            tok = Token("LINES", "", start_pos=start, line=line, column=1, end_pos=end)
            state.last_token = tok
            yield tok


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """The LALR parser; its tables are kept in the user's cache (a 10-line check then
    starts in a third of the time: building them is most of a short run)."""
    import lark

    from jobsub.compiler.base.cache import cache_folder

    folder = cache_folder("lark")
    cache = os.path.join(folder, f"dagnabbit-{lark.__version__}.lark") if folder else False
    return Lark(grammar.text("dagnabbit.lark"), parser="lalr", lexer=_Lexer,
                start=["start", "line"], transformer=_ToTree(), maybe_placeholders=False,
                cache=cache)


@lru_cache(maxsize=1)
def _line_kinds() -> re.Pattern:
    """One pattern for the kinds of line a run holds, in the grammar's `line` order."""
    terminals = {t.name: t.pattern.to_regexp() for t in _parser().terminals}
    return re.compile("|".join(f"(?P<{name}>{terminals[name]})$" for name in _LINE_KINDS))


@lru_cache(maxsize=1)
def _flag_parser() -> FlagParser:
    return FlagParser(o for o in OPTIONS if o.scope is Scope.JOB)


def _token_span(path: str, tok: Token | Line) -> Span:
    text = tok.value.rstrip("\r")
    lead = len(text) - len(text.lstrip(" \t"))
    return Span(path, tok.line, tok.column + lead, tok.line, tok.column + len(text))


def parse_tree(text: str, path: str, sink: Sink, read_runs: bool = True) -> Block:
    """The file's block structure, with each run of lines read into job lines (and their
    scripts) and stray lines; syntax errors go to `sink` and parsing carries on. Without
    `read_runs` the runs stay LINES tokens, to be read by `run_items` as they are reached
    (a million job lines are then never all held at once)."""

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

    tree = _parser().parse(text, start="start", on_error=on_error)
    _bound_nesting(tree, path, sink)
    if read_runs:
        _read_runs(tree, text, path, sink)
    return tree


def _bound_nesting(tree: Block, path: str, sink: Sink) -> None:
    """Blocks nested deeper than MAX_NESTING are an error at the first too-deep opening tag,
    and what is inside it is left out (every later walk of the tree would recurse)."""
    stack = [(tree, 0)]
    while stack:
        block, depth = stack.pop()
        for item in block.items:
            if not isinstance(item, Block):
                continue
            if depth + 1 > MAX_NESTING:
                sink.error(f"blocks nest more than {MAX_NESTING} levels deep",
                           _token_span(path, item.open),
                           "flatten the structure: a block inside a block of the same kind "
                           "adds nothing")
                block.items = [i for i in block.items if not isinstance(i, Block)]
                block.cut = True
                break
            stack.append((item, depth + 1))


def _read_runs(block: Block, text: str, path: str, sink: Sink) -> None:
    """Replace each LINES token of `block` (and the blocks inside) by its job lines."""
    items: list[Any] = []
    for item in block.items:
        if isinstance(item, Block):
            _read_runs(item, text, path, sink)
            items.append(item)
        else:
            items += run_items(item, text, path, sink)
    block.items = items


def run_items(run: Token, source: str, path: str, sink: Sink) -> list[Any]:
    """The job lines (with their scripts) and stray lines of a LINES token of `source`."""
    kinds = _line_kinds().match
    items: list[Any] = []
    job: JobLine | None = None
    for number, text in enumerate(source[run.start_pos:run.end_pos].split("\n"), run.line):
        kind = kinds(text).lastgroup
        if kind == "JOB_LINE":
            job = JobLine(Line(text, number), [])
            items.append(job)
        elif kind in _ATTACHED:
            if job is None:
                what = _ATTACHED[kind]
                sink.error(f"{what} does not follow a job line",
                           _token_span(path, Line(text, number)),
                           f"put the {what} line directly below the jobsub_submit line it "
                           "belongs to")
            else:
                job.attachments.append(Line(text, number))
        elif kind == "OTHER_LINE":
            items.append(Stray(Line(text, number)))
            job = None
    return items


# --- meaning ---------------------------------------------------------------------------------

@dataclass
class _Builder:
    path: str
    text: str  # the file's (its LINES tokens are read from it)
    base_dir: str
    env: Mapping[str, str]
    cmdline: Mapping[str, Any]  # option values given for all jobs
    sink: Sink
    fallback_dir: str | None = None
    specs: SpecTable = field(default_factory=SpecTable)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    _parsed: dict[tuple, tuple[str, Parsed]] = field(default_factory=dict)
    _by_prefix: dict[str, tuple[str, Parsed]] = field(default_factory=dict)
    _undefined: set[tuple] = field(default_factory=set)
    _last_arguments: list[str] = field(default_factory=list)

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

    def job(self, job: JobLine) -> Node | None:
        tok = job.token
        line = tok.value.rstrip("\r")
        m = _JOB_KEYWORD.match(line)
        index = len(self.nodes) + 1
        name = f"stage_{index}"
        at = Span(self.path, tok.line, m.start(1) + 1)
        # Lines that repeat their options and executable (the usual case in a big file) are
        # read once: the text up to the executable keys the spec, the rest are arguments.
        exe = _executable_word(line, m.end())
        cached = self._by_prefix.get(line[m.end():exe.end()]) if exe else None
        if cached is not None and not _SPECIAL.search(line, exe.end()):
            spec, arguments = cached[0], _PLAIN_WORDS(line, exe.end())
        else:
            read = self._read_job(line, tok.line, m.end(), at, exe)
            if read is None:
                return None
            spec, arguments = read
        node = Node(name, spec, self._shared(arguments), span=at, section=index)
        if job.attachments:
            self._attach(node, job.attachments)
        self.nodes.append(node)
        return node

    def _shared(self, arguments: list[str]) -> list[str]:
        """`arguments`, sharing the words the previous job line had at the same places (a
        million lines `--run N --in f_N.root` hold one `--run` and one `--in`), or that
        line's list itself when equal (Node.arguments is never changed in place)."""
        last = self._last_arguments
        if arguments == last:
            return last
        if last:
            arguments = [was if was == word else word
                         for was, word in zip(last, arguments, strict=False)] \
                + arguments[len(last):]
        self._last_arguments = arguments
        return arguments

    def _read_job(self, line: str, lineno: int, start: int, at: Span,
                  exe: re.Match | None) -> tuple[str, list[str]] | None:
        """(spec name, arguments) of a job line read word by word; None after an error."""
        try:
            words, span = self._words(line, lineno, start)
        except JobsubError as err:
            self.sink.absorb(err)
            return None
        where = self._where(span, start)
        stop = _flag_parser().executable_index(words)
        key = tuple(w.text for w in words[:stop + 1])
        cached = self._parsed.get(key)
        if cached is None:
            before = len(self.sink.errors)
            parsed = _flag_parser().parse(
                words, where, self.ctx, self.sink,
                end_span=Span(self.path, lineno, len(line) + 1, lineno, len(line) + 2))
            ok = len(self.sink.errors) == before
            executable = self._executable(parsed, where)
            if not ok or executable is None:
                return None
            options = merge(self.base, parsed.values)
            cached = (self.specs.intern(executable, options, f"stage_{len(self.nodes) + 1}",
                                        at), parsed)
            self._parsed[key] = cached
        if exe is not None and stop < len(words) and \
                (words[stop].start + start, words[stop].end + start) == exe.span():
            self._by_prefix[line[start:exe.end()]] = cached  # the prefix ends at a word
        return cached[0], [w.text for w in words[stop + 1:]]

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
                node.scripts = (*node.scripts,
                                Script(kind, path, [w.text for w in words[1:]], here))

    def _retry(self, words: list[Word], where, here: Span) -> Retry | None:
        """`retry N [UNLESS-EXIT CODE]`."""
        texts = [w.text for w in words]
        usage = "write retry N, or retry N UNLESS-EXIT CODE"
        if len(texts) not in (1, 3) or (len(texts) == 3
                                          and texts[1].upper() != "UNLESS-EXIT"):
            self.sink.error("malformed retry line", here, usage)
            return None
        if not _COUNT.fullmatch(texts[0]) or int(texts[0]) < 1:
            self.sink.error(f"retry count {texts[0]!r} is not a whole number above 0",
                            where(words[0]), usage)
            return None
        unless = None
        if len(texts) == 3:
            if not _EXIT_CODE.fullmatch(texts[2]):
                self.sink.error(f"exit code {texts[2]!r} is not a whole number",
                                where(words[2]), usage)
                return None
            unless = int(texts[2])
        return Retry(int(texts[0]), unless)

    # structure ----------------------------------------------------------------------------

    def element(self, item: Block | Stray) -> tuple[list[str], list[str]]:
        """(entry nodes, exit nodes) of a block or a stray line, adding the block's edges (a
        job line's part is made by _parts)."""
        if isinstance(item, Stray):
            self.sink.error("not a dagnabbit line", _token_span(self.path, item.token),
                            "lines are <serial>, </serial>, <parallel>, </parallel>, "
                            "jobsub_submit ..., prescript ..., postscript ..., or # comments")
            return [], []
        top = item.open is None
        outside: list = [None, 0]  # the first job line at the top level, and how many
        entries, exits = group(item.kind, self._parts(item, outside if top else None),
                               self.edges)
        if outside[0] is not None:
            more = f" (and {outside[1] - 1} more)" if outside[1] > 1 else ""
            self.sink.warning(f"job line outside any <serial> or <parallel> block{more}",
                              _token_span(self.path, outside[0].token),
                              "the file is one sequence: such jobs run in order with the "
                              "blocks around them (jobsub_lite left them unconnected); wrap "
                              "them in <serial> to be explicit")
        self._empty(item, entries)
        return entries, exits

    def _children(self, block: Block, outside: list | None):
        """The block's items, each run of lines read only when reached (a million job lines
        are never all held at once); job lines of the top level are counted in `outside`
        ([first, count])."""
        for child in block.items:
            read = run_items(child, self.text, self.path, self.sink) \
                if isinstance(child, Token) else [child]
            block.has_lines = block.has_lines or bool(read)
            if outside is not None:
                for i in read:
                    if isinstance(i, JobLine):
                        outside[0] = outside[0] or i
                        outside[1] += 1
            yield from read

    def _parts(self, block: Block, outside: list | None):
        """structure.group's parts of a block: a job line's node is located where its
        node is (the same span: an edge to it needs no span of its own)."""
        for child in self._children(block, outside):
            if isinstance(child, JobLine):
                node = self.job(child)
                if node is not None:
                    names = [node.name]  # its entries and exits (structure.group shares)
                    yield names, names, node.span
            else:
                yield (*self.element(child), lambda child=child: self._span_of(child))

    def _span_of(self, item: Block | Stray) -> Span | None:
        """Where a block opens (a stray line makes no edge: its part is empty)."""
        return _token_span(self.path, item.open) if isinstance(item, Block) and \
            item.open is not None else None

    def _empty(self, block: Block, entries: list[str]) -> None:
        if block.open is not None and not block.has_lines and not block.cut:
            self.sink.warning(f"empty <{block.kind}> block", _token_span(self.path, block.open))


def compile_text(text: str, path: str, *, env: Mapping[str, str], base_dir: str,
                 cmdline: Mapping[str, Any] | None = None, sink: Sink,
                 name: str | None = None, fallback_dir: str | None = None) -> Workflow:
    """The IR of a dagnabbit file. Problems are reported into `sink`; call `sink.check()`."""
    tree = parse_tree(text, path, sink, read_runs=False)
    builder = _Builder(path, text, base_dir, env, dict(cmdline or {}), sink, fallback_dir)
    builder.element(tree)
    if not builder.nodes and not sink.errors:
        sink.error("no jobs in file", Span(path, 1, 1), "add a jobsub_submit line")
    max_jobs = (cmdline or {}).get("max_concurrent") or None  # 0: no limit
    return Workflow(name=name or workflow_stem(path), source=path, base_dir=base_dir, kind="dag",
                    specs=builder.specs.specs, nodes=builder.nodes, edges=builder.edges,
                    settings=DagSettings(max_jobs_submitted=max_jobs))



