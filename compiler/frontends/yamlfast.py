"""A fast first reading of a YAML file, for manifests of 100,000 jobs.

ruamel.yaml defines what a manifest means, but its constructor and resolver are Python,
about 15 us a value: 18 s for a 100,000-job file. ryaml runs the same parser as ruamel's C
loader (libyaml, ported to Rust) and builds the Python objects natively, 15x faster. The
two agree on the structure; they differ only on some plain scalars (ruamel reads `0x1F`,
`1_000`, `1.10` or `2001-12-14` as numbers and dates and keeps the text, ryaml does not)
and on what they refuse. So ryaml's reading is taken only where it must equal ruamel's:
the text holds no anchor, alias, tag, directive, character ruamel refuses or the two read
differently (tabs, a byte-order mark, Unicode line breaks), no deep flow nesting (ryaml is
quadratic in it), no block header with a comment or document end, no plain word
ruamel would read as anything but text, a boolean, null or a whole number written the way
Python writes it, and the document holds no float, no key that is not text and nothing
deeper than half the nesting limit. Anything else returns None, and the caller reads the
file with ruamel, which reports or reads it exactly. A `jobs:` block of one-line jobs of
plain words (what programs write) is read apart, as JSON, at twice ryaml's speed.
tests/compiler/frontends/test_yamlfast.py checks the agreement on random documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jobsub.compiler.base.limits import MAX_NAME, MAX_YAML_DEPTH

#: Where ruamel might read a plain word other than ryaml does: a word (after a space, a
#: flow bracket, a comma or a colon) that starts like a number, a date, `<<` or `=`.
#: (A leading character class, not a look-behind: Python's re scans it 2x faster.) A sign
#: starts a number only before a digit, a dot or an underscore (ruamel's `[-+]?[0-9_]+`
#: reads `-_5` as -5), so `--item` is passed over (its parts after a colon are still found:
#: the scan goes on from the next character).
_NUMBERLIKE = re.compile(r"[\s\[{,:]((?:[-+][._0-9]|[.0-9<=])[^\s\[\]{},]*)")
#: The characters that start a tag, an anchor, an alias or a directive, which ryaml
#: handles its own way; found first, then looked at in context (they are rare).
_MARKS = re.compile(r"[!&*%]")
#: Characters the two parsers treat differently: tabs (ruamel refuses some libyaml takes),
#: a byte-order mark, the Unicode line breaks (U+0085, U+2028, U+2029).
_UNEQUAL = "\t\ufeff\x85\u2028\u2029"
#: A block scalar's header followed at once by a comment (ruamel refuses `|#c`).
_HEADER_COMMENT = re.compile(r"[|>][-+0-9]*#")
#: Deletes every ASCII character but the flow brackets (str.translate: C speed).
_NOT_BRACKETS = {c: None for c in range(128) if chr(c) not in "[]{}"}
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_CANONICAL_INT = re.compile(r"0|-?[1-9][0-9]*")
_PLAIN_TAGS = {"tag:yaml.org,2002:str", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
_INT_TAG = "tag:yaml.org,2002:int"
_DEEPEST = MAX_YAML_DEPTH // 2


def read(text: str) -> Any | None:
    """The document as plain dicts, lists and scalars, if ruamel would read it the same
    way (numbers exactly as `yamlsource.load_plain` gives them); else None. A `jobs:`
    block of one-line jobs (see _one_line_jobs) is read by itself, the rest by ryaml."""
    try:
        import ryaml
    except ImportError:  # not installed (a Python without its wheel): ruamel reads all
        return None
    split = _one_line_jobs(text, ryaml.loads)
    rest = text if split is None else split[0]
    if _refused_by_ruamel(rest) or _unequal(rest) or _marked(rest) \
            or _flow_depth(rest) > _DEEPEST:
        return None
    if any(_read_otherwise(word) for word in _NUMBERLIKE.findall("\n" + rest)):
        return None
    try:
        doc = ryaml.loads(rest)
    except Exception:  # ruamel says what is wrong, and where
        return None
    if not _plain(doc):
        return None
    if split is None:
        return doc
    if type(doc) is not dict or "jobs" not in doc or doc["jobs"] is not None:
        return None  # (the block was not what it seemed)
    doc["jobs"] = split[1]
    return doc


#: A one-line job of a generated manifest: `  NAME: {KEY: VALUE, ...}`, each VALUE a
#: word or a flow list of words, spaced as written here. A word is of the characters
#: that can only be plain text to YAML, started by a letter, `_` or `/`, or by `-` and
#: one of `-`, `/` or a letter (never a number, a date or an indicator; the words YAML
#: reads as booleans and null are looked for apart).
_WORD = r"(?:[A-Za-z_/]|-[A-Za-z/-])[A-Za-z0-9_./+=-]*"
#: (a key, of the job or in it, at most MAX_NAME long: YAML refuses keys past 1,024)
_KEY = rf"[A-Za-z_][A-Za-z0-9_]{{0,{MAX_NAME - 1}}}"
_NAME = rf"[A-Za-z_][A-Za-z0-9_.-]{{0,{MAX_NAME - 1}}}"
_VALUE = rf"(?:{_WORD}|\[(?:{_WORD}(?:, {_WORD})*)?\])"
_JOB_LINE = re.compile(rf"^( +){_NAME}: \{{{_KEY}: {_VALUE}(?:, {_KEY}: {_VALUE})*\}}$",
                       re.M)
#: the newline before a line not indented (or empty): a search for a newline first, many
#: times faster than a multi-line `^`
_UNINDENTED = re.compile(r"\n(?! )")
#: the words YAML reads as a boolean or null, and where one is a whole word
_KEYWORDS = ("true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL")
_KEYWORD = re.compile(rf"[ \[{{,](?:{'|'.join(_KEYWORDS)})[,\]}}:\n]")
#: Such lines as JSON, by replacing what stands between words (in this order; the
#: control characters hold a place: a line has none). What is left between words once
#: the brackets are taken is `: ` (a key's) and `, ` (between words).
_AS_JSON = (("\n", "\x01"), (": []}", "\x02"), (": [], ", "\x03"), ("]}", "\x04"),
            ("], ", "\x05"), (": {", "\x06"), (": [", "\x07"), (": ", '":"'), (", ", '","'),
            ("}", '"}'), ("\x01", ',"'), ("\x02", '":[]}'), ("\x03", '":[],"'),
            ("\x04", '"]}'), ("\x05", '"],"'), ("\x06", '":{"'), ("\x07", '":["'))


def _one_line_jobs(text: str, parse: Callable[[str], Any]
                   ) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """(the text without the lines of its top-level `jobs:` block, the jobs), if every
    line of the block is a one-line job (_JOB_LINE: the usual job of a manifest a program
    wrote, 100,000 of them read as JSON in half of ryaml's time); else None. The text
    before the block must be a document by itself (`parse` reads it: else a quote or a
    bracket is open and the `jobs:` line inside a value), and no name or key may be given
    twice: ruamel refuses that."""
    import json

    if text.startswith("jobs:\n"):
        head = 0
    else:
        head = text.find("\njobs:\n") + 1
        if head == 0:
            return None
    start = head + len("jobs:\n")
    after = _UNINDENTED.search(text, start - 1)  # the block: the lines indented after it
    end = len(text) if after is None else after.start() + 1
    block = text[start:end]
    if not block.endswith("\n"):
        return None
    indents = _JOB_LINE.findall(block)
    if len(indents) != block.count("\n") or len(set(indents)) != 1:
        return None
    if any(word in block for word in _KEYWORDS) and _KEYWORD.search(block) is not None:
        return None
    try:
        parse(text[:head])
    except Exception:  # (ruamel reads the whole text, and says what is wrong)
        return None
    indent = indents[0]
    flat = block[len(indent):-1].replace("\n" + indent, "\n")
    for old, new in _AS_JSON:
        flat = flat.replace(old, new)
    jobs = json.loads('{"' + flat + "}")
    # (JSON keeps the last of a name or key given twice: counted, as a line has one `: `
    # and each of its entries one)
    if len(jobs) != len(indents) or \
            sum(map(len, jobs.values())) != block.count(": ") - len(indents):
        return None
    return text[:start] + text[end:], jobs


def _refused_by_ruamel(text: str) -> bool:
    if text.isascii():  # a byte-wise deletion, as ruamel's reader does for ASCII: 10x faster
        return bool(text.encode("ascii").translate(None, _PRINTABLE_ASCII))
    from ruamel.yaml.reader import Reader

    return Reader.NON_PRINTABLE.search(text) is not None


#: The ASCII characters ruamel's reader accepts (its NON_PRINTABLE, below 0x80).
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


def _marked(text: str) -> bool:
    """Whether the text has a tag, anchor or alias (`!`, `&`, `*` starting a word, also
    after a JSON-like key's colon) or a directive (`%` starting a line). Inside quotes or
    comments too: ruamel then reads it."""
    for m in _MARKS.finditer(text):
        at = m.start()
        before = text[at - 1] if at else "\n"
        if before == "\n" or (m.group() != "%" and before in " \t\r[{,:"):
            return True
    return False


def _unequal(text: str) -> bool:
    """Whether the text holds what the two parsers read differently: a character of
    _UNEQUAL, a block header with a comment, a document-end marker (`...`; after a block
    scalar the two disagree, and a second one ruamel refuses)."""
    if any(c in text for c in _UNEQUAL):
        return True
    if text.startswith("...") or "\n..." in text:
        return True
    return "#" in text and _HEADER_COMMENT.search(text) is not None


def _flow_depth(text: str) -> int:
    """An upper bound of the flow nesting (brackets in quotes and comments count too):
    ryaml's parser is quadratic in it, so a deep document goes to ruamel's reader, which
    refuses it at once."""
    from itertools import accumulate, repeat

    brackets = text.translate(_NOT_BRACKETS)
    if len(brackets) <= _DEEPEST:
        return len(brackets)
    return max(accumulate(map(_STEP.get, brackets, repeat(0))), default=0)


@lru_cache(maxsize=4096)
def _read_otherwise(word: str) -> bool:
    """Whether ruamel might read `word`, or a part of it between colons and hashes (it may
    be a key, or be cut there in a flow), as other than ryaml does."""
    return any(_risky(part) for part in {word, *re.split("[:#]", word)} if part)


def _risky(word: str) -> bool:
    tag = str(_resolver().resolve(_scalar(), word, (True, False)))
    if tag in _PLAIN_TAGS:
        return False
    return not (tag == _INT_TAG and _CANONICAL_INT.fullmatch(word))


@lru_cache(maxsize=1)
def _resolver():
    from ruamel.yaml.resolver import VersionedResolver

    return VersionedResolver(version=(1, 2))


def _scalar() -> type:
    from ruamel.yaml.nodes import ScalarNode

    return ScalarNode


def _plain(doc: Any) -> bool:
    """Whether `doc` holds only text keys, and text, booleans, nulls and whole numbers in
    mappings and lists nested at most _DEEPEST levels."""
    stack: list[tuple[Any, int]] = [([doc], 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _DEEPEST:
            return False
        if type(node) is dict:
            if any(type(key) is not str for key in node):
                return False
            values = node.values()
        else:
            values = node
        for value in values:
            kind = type(value)
            if kind is dict or kind is list:
                stack.append((value, depth + 1))
            elif kind is not str and kind is not int and kind is not bool and value is not None:
                return False
    return True
