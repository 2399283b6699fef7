"""YAML with positions: load with ruamel.yaml, validate against a JSON Schema, and report
every violation at the line and column of the offending key or value.

The validator speaks in JSON paths (`jobs/3/memory`); ruamel's round-trip nodes remember
where each key and item was written, so each path is turned back into FILE:LINE:COL.
Messages are rewritten for people: unknown keys get a "did you mean", type errors say what
was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Sink, Span
from jobsub.compiler.base.limits import EXPANDED_EXTRA, EXPANSION, MAX_YAML_DEPTH


def load(text: str, path: str, *, keep_quotes: bool = False) -> Any:
    """The document, as ruamel round-trip containers (dict/list subclasses with positions).
    Every key is text: a manifest's names and option keys are, and code reading it may rely
    on that. `keep_quotes`: strings remember how they were quoted (for `jobsub fmt`)."""
    from ruamel.yaml.error import MarkedYAMLError
    from ruamel.yaml.reader import ReaderError

    deep = _too_deep(text)
    if deep is not None:
        raise JobsubError(f"lists and mappings nest more than {MAX_YAML_DEPTH} levels deep "
                          "here", Span(path, *deep), _GRAPH_HINT)
    yaml = _yaml("rt")
    yaml.preserve_quotes = keep_quotes
    try:
        doc = yaml.load(text)
    except GraphError as err:
        raise JobsubError(err.message, Span(path, err.mark.line + 1, err.mark.column + 1),
                          _GRAPH_HINT) from None
    except RecursionError:  # ruamel's composer recurses: far too deep to even read
        raise JobsubError(f"lists and mappings nest more than {MAX_YAML_DEPTH} levels deep",
                          Span(path, 1, 1), _GRAPH_HINT) from None
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        span = Span(path, mark.line + 1, mark.column + 1) if mark else Span(path)
        problem = (err.problem or err.context or "not valid YAML").strip()
        duplicate = re.match(r'found duplicate key "(.*?)" with value', problem)
        if duplicate:
            raise JobsubError(f"duplicate key {duplicate.group(1)!r}", span,
                              "a name may appear only once in a mapping") from None
        notes = []
        if err.context_mark is not None and err.problem_mark is not None and err.context:
            ctx = err.context_mark
            notes.append((Span(path, ctx.line + 1, ctx.column + 1), err.context.strip()))
        raise JobsubError(f"YAML syntax: {problem}", span,
                          "check the indentation and quoting around here",
                          notes=notes) from None
    except ReaderError as err:  # a character YAML does not allow, even in a comment
        char = err.character if isinstance(err.character, int) else ord(str(err.character)[0])
        raise JobsubError(f"character U+{char:04X} is not allowed in a YAML file",
                          offset_span(text, err.position, path),
                          "remove it; in a double-quoted string write it as an escape, "
                          f"e.g. \\u{char:04x}") from None
    except TypeError:  # a mapping or list used as a key: ruamel cannot hash it
        raise JobsubError("a mapping or a list is used as a key", _complex_key(text, path),
                          "keys are names: write one word, quoted if need be") from None
    except Exception as err:  # ruamel raises a few other unmarked errors
        raise JobsubError(f"YAML: {err}", Span(path, 1, 1)) from None
    bad = list(non_text_keys(doc))
    if bad:
        raise JobsubError(diagnostics=[
            Diagnostic("error", f"key {_shown(key)} is {_kind(key)}, not a name",
                       _key_span(node, key, path),
                       "keys are names: quote it (for example '1') or rename it")
            for node, key in bad])
    return doc


_GRAPH_HINT = ("an alias (*name) may repeat what its anchor (&name) marks, but not within it, "
               "and not so often that the document grows without bound; nothing nests "
               f"deeper than {MAX_YAML_DEPTH} levels")


class GraphError(Exception):
    """A composed document that must not be constructed; `mark` says where."""

    def __init__(self, message: str, mark: Any):
        super().__init__(message)
        self.message, self.mark = message, mark


def check_graph(root: Any) -> None:
    """Raise GraphError if the composed document refers to itself through an alias (a list
    or mapping inside itself: ruamel's round-trip loader quietly puts null there, the safe
    loader builds a cycle every later walk would follow forever), expands to more values
    than EXPANSION times what was written plus EXPANDED_EXTRA, or nests deeper than
    MAX_YAML_DEPTH. Each shared node is sized once: time linear in what was written."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    def children(node: Any) -> list:
        if isinstance(node, MappingNode):
            return [n for pair in node.value for n in pair]
        return list(node.value) if isinstance(node, SequenceNode) else []

    size: dict[int, int] = {}
    open_ids: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    written = 0
    while stack:
        node, done = stack.pop()
        key = id(node)
        if not done and len(open_ids) >= MAX_YAML_DEPTH and children(node):
            raise GraphError(f"lists and mappings nest more than {MAX_YAML_DEPTH} levels "
                             "deep here", node.start_mark)
        if done:
            open_ids.discard(key)
            size[key] = 1 + sum(size.get(id(c), 1) for c in children(node))
            if size[key] > EXPANSION * written + EXPANDED_EXTRA:
                raise GraphError(f"the aliases here make the document {size[key]:,} values "
                                 f"long, more than {EXPANSION} times what is written",
                                 node.start_mark)
            continue
        if key in size:
            continue
        written += 1
        if key in open_ids:
            raise GraphError("a list or mapping contains itself through an alias: it would "
                             "never end", node.start_mark)
        inner = children(node)
        if not inner:
            size[key] = 1
            continue
        open_ids.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in inner)


class WrittenInt(int):
    """An integer YAML read from text that `str()` would not give back (`010`, `0x1F`,
    `1_000`): where a value becomes text for a job, it is the text as written."""

    text: str


class WrittenFloat(float):
    """A float read from text that `str()` would not give back (`1.10`, `1e3`, `.5`)."""

    text: str


def _keep_text(value: Any, text: str) -> Any:
    if isinstance(value, bool) or str(value) == text:
        return value
    if isinstance(value, int):
        out = WrittenInt(value)
    elif isinstance(value, float):
        out = WrittenFloat(value)
    else:
        return value
    out.text = text
    return out


def written(value: Any) -> str:
    """A YAML scalar as the text a job gets: numbers as they were written, true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return getattr(value, "text", None) or str(value)


def _guarded(base: type) -> type:
    """`base` constructor that checks the composed graph first and keeps numbers' text."""
    class Guarded(base):
        def construct_document(self, node: Any) -> Any:
            check_graph(node)
            return super().construct_document(node)

        def construct_yaml_int(self, node: Any) -> Any:
            return _keep_text(base.construct_yaml_int(self, node), node.value)

        def construct_yaml_float(self, node: Any) -> Any:
            return _keep_text(base.construct_yaml_float(self, node), node.value)

    Guarded.add_constructor("tag:yaml.org,2002:int", Guarded.construct_yaml_int)
    Guarded.add_constructor("tag:yaml.org,2002:float", Guarded.construct_yaml_float)
    return Guarded


@lru_cache(maxsize=2)
def _constructor(kind: str) -> type:
    from ruamel.yaml.constructor import RoundTripConstructor, SafeConstructor

    return _guarded(RoundTripConstructor if kind == "rt" else SafeConstructor)


def _yaml(kind: str):
    from ruamel.yaml import YAML

    yaml = YAML(typ=kind)
    yaml.Constructor = _constructor(kind)
    return yaml


def load_plain(text: str) -> Any:
    """Plain data, quickly (ryaml where it reads as ruamel does, else libyaml when
    available), guarded as `load` is; None for a document `load` would report on (it says
    where)."""
    from jobsub.compiler.frontends.yamlfast import read

    doc = read(text)
    return doc if doc is not None else ruamel_plain(text)


def ruamel_plain(text: str) -> Any:
    """load_plain's reading by ruamel's safe loader (libyaml's parser when available)."""
    if _too_deep(text) is not None:
        return None
    try:
        doc = _yaml("safe").load(text)
    except Exception:
        return None
    return None if next(non_text_keys(doc), None) else doc


def block_key_lines(text: str, top: str, keys: Iterable[str]) -> dict[str, tuple[int, int]]:
    """(line, column) of each of `keys` directly under the top-level block mapping key
    `top`, found by a glance at the text, for the fast pass that loads no positions.
    All or nothing: unless exactly `keys` are found, once each, in plain block style,
    nothing is returned (and the caller does without lines)."""
    wanted = set(keys)
    head = re.search(rf"^{re.escape(top)}[ \t]*:[ \t]*(?:#[^\n]*)?\n", text, re.M)
    if head is None:
        return {}
    first = text.count("\n", 0, head.end()) + 1  # the line number of the block's first
    found = _every_line_a_key(text, head.end(), first, wanted)
    return found if found is not None else _key_lines(text, head.end(), first, wanted)


def _key_lines(text: str, start: int, first: int,
               wanted: set[str]) -> dict[str, tuple[int, int]]:
    """block_key_lines of the block from `start` (line `first`), of any lines."""
    # Line by line over the split text (C speed), not a regex match per line: a 100,000-job
    # manifest has as many lines to look at.
    lines = text[start:].split("\n")
    indent = next((len(line) - len(line.lstrip(" ")) for line in lines
                   if line[:1] == " " and line.lstrip(" ")[:1] not in ("", "#")), None)
    if indent is None:
        return {}
    stop = next((i for i, line in enumerate(lines) if line[:1] not in ("", " ", "#")),
                len(lines))
    prefix = " " * indent
    at = [i for i in range(stop)
          if lines[i][indent:indent + 1] not in _NOT_A_KEY and lines[i].startswith(prefix)]
    # every such line must hold a key: matched all at once, one match per line
    keys = _BLOCK_KEY_LINE.findall("\n".join([lines[i][indent:] for i in at]))
    names = [name for _quote, name in keys]
    found = {name: (first + i, indent + 1) for name, i in zip(names, at, strict=False)}
    if len(names) != len(at) or len(found) != len(at) or found.keys() != wanted:
        return {}
    return found


def _every_line_a_key(text: str, start: int, first: int,
                      wanted: set[str]) -> dict[str, tuple[int, int]] | None:
    """block_key_lines of a block (from `start`, line `first`) each of whose lines holds a
    key at one indentation (a generated manifest's jobs: two passes over the text, where
    the general way makes a string per line four times); None if it is not so."""
    head = text[start:start + 80]
    indent = len(head) - len(head.lstrip(" "))
    if indent == 0:
        return None
    after = _BLOCK_END.search(text, start)
    block = text[start:len(text) if after is None else after.start() + 1]
    names = _key_line(indent).findall(block)
    if len(names) != block.count("\n") or not block.endswith("\n"):
        return None
    found = {name: (line, indent + 1)
             for line, (_quote, name) in enumerate(names, first)}
    return found if len(found) == len(names) and found.keys() == wanted else None


#: The end of a block: a line not indented, not blank, not a comment (a search for a
#: newline first: many times faster than a multi-line `^`).
_BLOCK_END = re.compile(r"\n[^ #\n]")


@lru_cache(maxsize=8)
def _key_line(indent: int) -> re.Pattern:
    """A line of a key at `indent` (all of it: a line that does not match is none)."""
    return re.compile(rf"""^ {{{indent}}}(['"]?)([A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*:"""
                      r"(?:[ \t][^\n]*)?$", re.M)


#: What follows a block key's indentation on a line that holds no key there.
_NOT_A_KEY = frozenset({"", " ", "#", "\t", "\r"})
_BLOCK_KEY_LINE = re.compile(r"""^(['"]?)([A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*:(?:[ \t]|$)""",
                             re.M)


def _too_deep(text: str) -> tuple[int, int] | None:
    """(line, column), from 1, where the text's nesting first passes twice MAX_YAML_DEPTH,
    or None. A linear glance at flow brackets (outside quotes and comments) and block
    indentation levels: ruamel's scanner is quadratic in flow depth and its composer
    recurses once per level, so a document this deep is refused before either sees it.
    (Shallower documents are measured exactly by check_graph once composed.)"""
    limit = 2 * MAX_YAML_DEPTH
    indents: list[int] = []
    flow = 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.lstrip(" ")
        if flow == 0 and stripped and not stripped.startswith("#"):
            indent = len(line) - len(stripped)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
            dashes = len(stripped) - len(stripped.lstrip("- "))
            if len(indents) + dashes // 2 > limit:
                return number, indent + 1
        quote = None
        for column, char in enumerate(line, 1):
            if quote:
                if char == quote:
                    quote = None
                continue
            if char in "'\"":
                quote = char
            elif char == "#" and (column == 1 or line[column - 2] in " \t"):
                break
            elif char in "[{":
                flow += 1
                if flow + len(indents) > limit:
                    return number, column
            elif char in "]}" and flow:
                flow -= 1
    return None


def _shown(key: Any) -> str:
    if key is None or isinstance(key, bool):
        return {None: "null", True: "true", False: "false"}[key]
    if isinstance(key, tuple):
        return "[" + ", ".join(_shown(k) for k in key) + "]"
    return str(key)


def non_text_keys(doc: Any) -> Iterator[tuple[Mapping, Any]]:
    """(mapping, key) for every key that YAML read as something other than text."""
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if not isinstance(key, str):
                    yield node, key
                if isinstance(value, Mapping | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, Mapping | list))


def offset_span(text: str, offset: int, path: str) -> Span:
    """The line and column of character `offset` of `text`."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    return Span(path, text.count("\n", 0, offset) + 1, offset - line_start + 1)


def _key_span(node: Any, key: Any, path: str) -> Span:
    try:
        line, col = node.lc.key(key)
        return Span(path, line + 1, col + 1)
    except (AttributeError, KeyError, TypeError):
        return _node_span(node, path)


def _complex_key(text: str, path: str) -> Span:
    """Where the first mapping or list used as a key starts (composing needs no hashing)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import MappingNode

    try:
        root = YAML(typ="rt").compose(text)
    except Exception:
        return Span(path, 1, 1)
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if not isinstance(key.value, str):
                    mark = key.start_mark
                    return Span(path, mark.line + 1, mark.column + 1)
                stack.append(value)
        elif isinstance(getattr(node, "value", None), list):
            stack.extend(node.value)
    return Span(path, 1, 1)


def position(doc: Any, json_path: Iterable[Any], path: str, key: bool = False) -> Span:
    """Where the value at `json_path` was written (or its key, with `key=True`); the nearest
    written ancestor when the path goes further than the document."""
    node, best = doc, _node_span(doc, path)
    items = list(json_path)
    for i, step in enumerate(items):
        lc = getattr(node, "lc", None)
        try:
            if lc is not None:
                if isinstance(step, int):
                    line, col = lc.item(step)
                elif key and i == len(items) - 1:
                    line, col = lc.key(step)
                else:
                    line, col = lc.value(step)
                best = Span(path, line + 1, col + 1)
            node = node[step]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return best


def locate_pending(diagnostics: list[Diagnostic],
                   read: Callable[[str], str]) -> list[Diagnostic]:
    """The diagnostics with every pending span (one that kept its JSON path, see
    Span.where) looked up in its file's round-trip document; each file is loaded once, and
    only if a message points into it. A file ruamel refuses though the fast loader read it
    (libyaml allows a tab inside a plain scalar, ruamel does not) is reported by ruamel's
    located error instead of the messages that pointed into it."""
    docs: dict[str, Any] = {}
    refused: list[Diagnostic] = []
    out: list[Diagnostic] = []
    for d in diagnostics:
        pending = [s for s in _spans(d) if s.where is not None]
        for span in pending:
            if span.file not in docs:
                try:
                    docs[span.file] = load(read(span.file), span.file)
                except JobsubError as err:
                    docs[span.file] = None
                    refused += err.diagnostics
        if not pending:
            out.append(d)
        elif all(docs[s.file] is not None for s in pending):
            out.append(dataclasses.replace(d, span=_looked_up(d.span, docs),
                                           notes=tuple((_looked_up(s, docs), m)
                                                       for s, m in d.notes)))
    return [*refused, *out]


def _looked_up(span: Span | None, docs: dict[str, Any]) -> Span | None:
    if span is None or span.where is None:
        return span
    json_path, key = span.where
    return position(docs[span.file], json_path, span.file, key=key)


def _spans(d: Diagnostic) -> list[Span]:
    return [s for s in (d.span, *(s for s, _ in d.notes)) if s is not None]


def _node_span(node: Any, path: str) -> Span:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return Span(path, lc.line + 1, lc.col + 1)
    return Span(path, 1, 1)


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "number": "a number",
               "boolean": "true or false", "array": "a list", "object": "a mapping",
               "null": "nothing"}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def validator(schema: Mapping[str, Any]):
    """The jsonschema validator jobsub checks documents with (whole numbers are ints)."""
    import json

    return _validator(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=8)
def _validator(schema_json: str):
    import json

    import jsonschema

    schema = json.loads(schema_json)
    base = jsonschema.validators.validator_for(schema)
    # JSON Schema counts 2.0 as an integer; a retry count or exit status written 2.0 would
    # then reach code that expects a whole number, so only whole numbers as written are
    strict = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool))
    return jsonschema.validators.extend(base, type_checker=strict)(schema)


@lru_cache(maxsize=8)
def _fast_check(schema_json: str):
    import json

    from jobsub.compiler.frontends.fastschema import compile_schema

    return compile_schema(json.loads(schema_json))


def validate(doc: Any, schema: Mapping[str, Any], path: str, sink: Sink,
             locate: Callable[..., Span] | None = None) -> list[tuple]:
    """Every schema violation in `doc`, located, into `sink`; returns the JSON paths of the
    offending values (an unknown key's path ends with the key), so a caller can drop them and
    go on to find the errors that only show once the document is read."""
    import json

    key = json.dumps(schema, sort_keys=True)
    fast = _fast_check(key)
    if fast is not None and fast(doc):
        return []  # valid: no need for jsonschema's slower, explaining pass
    validator = _validator(key)
    bad: list[tuple] = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
        for leaf in _leaves(error):
            _report(doc, leaf, path, sink, locate)
            where = tuple(leaf.absolute_path)
            if leaf is not error:  # a value fitting none of several shapes: drop it whole
                bad.append(tuple(error.absolute_path))
                continue
            if leaf.validator == "additionalProperties" and isinstance(leaf.instance, Mapping):
                allowed = (leaf.schema.get("properties") or {}).keys()
                bad += [(*where, k) for k in leaf.instance if k not in allowed]
            elif leaf.validator != "required":
                bad.append(where)
            else:
                bad.append((*where, "\0required"))
    return bad


def prune(doc: Any, paths: list[tuple]) -> Any | None:
    """A plain copy of `doc` without the values at `paths`; None if the document itself (or
    a value it cannot do without) is bad."""
    if any(p == () or p[-1] == "\0required" for p in paths):
        return None

    def copy(node: Any, here: tuple) -> Any:
        if isinstance(node, Mapping):
            return {k: copy(v, (*here, k)) for k, v in node.items() if (*here, k) not in cut}
        if isinstance(node, list):
            return [copy(v, (*here, i)) for i, v in enumerate(node) if (*here, i) not in cut]
        return node

    cut = set(paths)
    return copy(doc, ())


def _leaves(error):
    """The most specific errors under a oneOf/anyOf failure (the ones users can act on)."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = max(len(e.absolute_path) for e in error.context)
        best = [e for e in error.context if len(e.absolute_path) == deepest]
        # a value that fits none of the shapes: say what shapes were possible
        if deepest == len(error.absolute_path) and all(e.validator == "type" for e in best):
            yield error
            return
        yield from best
        return
    yield error


def _report(doc: Any, error, path: str, sink: Sink,
            locate: Callable[..., Span] | None = None) -> None:
    def pos(json_path: list, key: bool = False) -> Span:
        return locate(tuple(json_path), key) if locate is not None else \
            position(doc, json_path, path, key=key)

    where = list(error.absolute_path)
    name = "/".join(str(p) for p in where) or "the document"
    validator = error.validator
    # A key refused by propertyNames: jsonschema's path stops at its mapping.
    is_key = "propertyNames" in error.absolute_schema_path
    at = pos([*where, error.instance], key=True) if is_key else \
        pos(where)
    if validator == "maxLength" and isinstance(error.instance, str):
        sink.error(f"{name}: {'the key ' if is_key else ''}{error.instance[:40]!r}... is "
                   f"{len(error.instance)} characters long, more than {error.validator_value}",
                   at, "it becomes part of file names, which filesystems keep short: "
                       "choose a shorter one")
        return
    if validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed] if isinstance(
            error.instance, Mapping) else []
        for key in extra:
            guess = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            sink.error(f"unknown key {key!r}" + (f" in {name}" if where else ""),
                       pos([*where, key], key=True),
                       f"did you mean {guess[0]!r}?" if guess else
                       "known keys: " + ", ".join(allowed))
        return
    if validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            sink.error(f"{name} needs the key {key!r}", pos(where, key=True))
        return
    if validator == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        expected = " or ".join(_TYPE_NAMES.get(t, t) for t in wanted)
        sink.error(f"{name}: expected {expected}, got {_kind(error.instance)}",
                   pos(where))
        return
    if validator in ("oneOf", "anyOf"):
        shapes = []
        for sub in error.validator_value:
            t = sub.get("type") if isinstance(sub, Mapping) else None
            if t:
                shapes += [t] if isinstance(t, str) else t
        expected = " or ".join(dict.fromkeys(_TYPE_NAMES.get(t, t) for t in shapes)) or \
            "another form"
        sink.error(f"{name}: expected {expected}, got {_kind(error.instance)}",
                   pos(where))
        return
    if validator == "pattern" and isinstance(error.instance, str):
        body = re.sub(r"^\^|\$(\(\?!\[\\s\\S\]\))?$", "", str(error.validator_value))
        what = "holds a line break or another control character" if re.search(
            r"[\x00-\x1f\x7f]", error.instance) else "is not allowed here"
        sink.error(f"{name}: {'the key ' if is_key else ''}{error.instance!r} {what}", at,
                   f"write it to match {body}")
        return
    if validator == "enum":
        choices = ", ".join(repr(c) for c in error.validator_value)
        sink.error(f"{name}: {error.instance!r} is not one of {choices}",
                   pos(where))
        return
    sink.error(f"{name}: {error.message}", pos(where))
