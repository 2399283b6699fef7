"""Encoders that make HTCondor see exactly the value the user wrote, or refuse.

Rules (HTCondor sources: condor_arglist.cpp, env.cpp, config.cpp, classad lexer, dag parsers):
- submit `arguments`/`environment`: the quoted ("new") syntax, whole value in `"..."`, `"` as
  `""`; a word with whitespace or `'` (or an empty word) in `'...'` with `'` as `''`;
- submit macro expansion runs over every value: a `$` that would start `$NAME(` is written
  `$(DOLLAR)`; `$(NAME)` passes through only when HTCondor or DAGMan defines NAME (the job's
  own VARS and queue names included), `$(NAME:default)` and `$$(...)` always: an undefined
  `$(NAME)` would silently become nothing, so it is written literally instead;
- ClassAd strings (old-ClassAd lexing): `"` as `\\"`, backslashes otherwise literal;
- DAG `VARS` values: `"..."` with `\\` as `\\\\` and `"` as `\\"`, never empty;
- no value may contain a newline or carriage return (it would add a line to the file), NUL,
  or bytes that are not UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping


class Unrepresentable(ValueError):
    """The value cannot be written so that HTCondor reads it back unchanged."""


_FUNCTION_DOLLAR = re.compile(r"\$(?=\$?[A-Za-z0-9_]+\()")
_ANY_MACRO_DOLLAR = re.compile(r"\$(?=\$?[A-Za-z0-9_]*\()")
#: A plain macro reference `$(NAME)`: not `$$(NAME)` and not `$(NAME:default)`.
MACRO_REFERENCE = re.compile(r"(?<!\$)\$\(([A-Za-z0-9_.]+)\)")
#: `$(NAME)` or `$(NAME:default)`: group 1 the name, group 2 the default (None if absent).
MACRO_WITH_DEFAULT = re.compile(r"(?<!\$)\$\(([A-Za-z0-9_.]+)(?::([^()$]*))?\)")
#: Any `$(...)` or `$$(...)` without nested parentheses: what stands for a value in an
#: expression (to check its syntax, or to read it as the first node of a DAG would).
ANY_MACRO = re.compile(r"(?<!\$)\$\$?\(([^()]*)\)")
#: Any other `$(`: `$()`, `$(/)`, `$(:)`, `$(a b)`... HTCondor's expansion would eat it.
_OTHER_MACRO = re.compile(r"(?<!\$)\$\((?![A-Za-z0-9_.]+(?:\)|:[^()$]*\)))")

#: Macros defined for every job: by condor_submit (submit_utils.cpp: the job ids, `queue`
#: loop variables, the submitting machine's facts, DOLLAR and friends) and by DAGMan for a
#: node (JOB, RETRY, DAGManJobId..., and the node's VARS names, passed as `defined`).
PREDEFINED = frozenset(name.lower() for name in (
    "Cluster", "ClusterId", "Process", "ProcId", "Node", "Step", "Item", "ItemIndex", "Row",
    "DOLLAR", "Arch", "OpSys", "OpSysVer", "OpSysAndVer", "OpSysMajorVer", "OpSysName",
    "OpSysLongName", "OpSysLegacy", "IsLinux", "IsWindows", "FILESYSTEM_DOMAIN", "UID_DOMAIN",
    "SUBMIT_FILE", "SUBMIT_TIME", "YEAR", "MONTH", "DAY", "CondorVersion", "CondorPlatform",
    "SPOOL", "JOB", "RETRY", "FULL_HOSTNAME", "HOSTNAME", "IP_ADDRESS", "TILDE", "USERNAME",
    "SUBMIT_FILE_DIR", "DAGManJobId", "DAG_NODE_NAME", "DAGParentNodeNames", "DAGMAN_LOG",
    "SUBMIT_EVENT_NOTES"))
_NEEDS_SINGLE_QUOTES = re.compile(r"[\s']")


def macro_names(names: Iterable[str]) -> frozenset[str]:
    """Names as `protect_dollars` compares them (HTCondor's macro names ignore case)."""
    return frozenset(n.lower() for n in names)


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def no_newlines(text: str, what: str) -> str:
    """`text`, unless it holds a line break (it would add a line), NUL (C strings end) or
    bytes that are not UTF-8 (from a command line or environment in another encoding: they
    arrive as lone surrogates, which no file jobsub writes can hold). Every value jobsub
    writes into a file passes here."""
    if "\n" in text or "\r" in text:
        raise Unrepresentable(f"{what} contains a line break, which HTCondor files cannot hold")
    if "\0" in text:
        raise Unrepresentable(f"{what} contains a NUL character, which HTCondor cannot hold")
    if _SURROGATE.search(text):
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise Unrepresentable(f"{what} {shown!r} holds bytes that are not UTF-8 text")
    return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def comment_text(text: str) -> str:
    """`text` for a `#` comment line of a generated file: control characters (a line break
    in a file name would end the comment and make the rest a command) shown as escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def protect_dollars(text: str, keep_macros: bool = True,
                    defined: frozenset[str] = frozenset()) -> str:
    """Escape `$` that HTCondor's macro expansion would otherwise interpret.

    With `keep_macros`, `$(name)` of a defined macro (PREDEFINED, or `defined`: VARS and
    queue names, from `macro_names`), `$(name:default)` and `$$(attr)` stay macros (how users
    reach `$(Cluster)`, `$(Process)`, their VARS); any other `$(name)`, any other `$(` (`$()`,
    `$(/)`, `$(:)`) and every function-like `$NAME(` is made literal.
    """
    if "$" not in text:
        return text
    if not keep_macros:
        return _ANY_MACRO_DOLLAR.sub("$(DOLLAR)", text)
    text = _FUNCTION_DOLLAR.sub("$(DOLLAR)", text)

    def literal_unless_defined(m: re.Match) -> str:
        name = m.group(1).lower()
        return m.group(0) if name in PREDEFINED or name in defined else \
            f"$(DOLLAR)({m.group(1)})"
    text = MACRO_REFERENCE.sub(literal_unless_defined, text)
    return _OTHER_MACRO.sub("$(DOLLAR)(", text)


def put_in_macros(words: list[str], variables: dict[str, str],
                  keep: frozenset[str] = frozenset()) -> list[str]:
    """`words` (a job's argv) with `$(NAME)` and `$(NAME:default)` filled in here rather
    than by HTCondor, whose macro substitution is textual: a value with a quote or a blank
    would break the quoted `arguments` it lands in. NAME is one of `variables` (a node's
    VARS: their own macros are filled in too), else `$(NAME:default)` gives the default, as
    HTCondor would, unless NAME is HTCondor's own or a queue variable (`keep`, lower case),
    which stays a macro. VARS that use each other in a circle cannot be written."""
    filler = _Filler(variables, keep)
    return [filler.word(w) for w in words]


class _Filler:
    """put_in_macros's state. A class, not nested functions: a recursive closure is a
    reference cycle, which compiling (with the cyclic collector paused) would keep for every
    node of a sweep."""

    __slots__ = ("keep", "lowered", "variables")

    def __init__(self, variables: Mapping[str, str], keep: frozenset[str]):
        self.variables, self.keep = variables, keep
        self.lowered: dict[str, str] | None = None

    def lookup(self, name: str) -> str | None:
        found = self.variables.get(name)  # as written, nearly always
        if found is None:
            if self.lowered is None:
                self.lowered = {k.lower(): v for k, v in self.variables.items()}
            found = self.lowered.get(name.lower())
        return found

    def word(self, w: str) -> str:
        if "$(" not in w:
            return w
        if w[:2] == "$(" and w[-1] == ")":  # `$(NAME)` alone, a sweep's usual argument
            found = self.variables.get(w[2:-1])
            if found is not None and "$(" not in found:
                return found
        return self.expand(w, ())

    def expand(self, text: str, seen: tuple[str, ...]) -> str:
        return MACRO_WITH_DEFAULT.sub(lambda m: self.value(m, seen), text)

    def value(self, m: re.Match, seen: tuple[str, ...]) -> str:
        name, default = m.group(1), m.group(2)
        found = self.lookup(name)
        if found is not None:
            if name.lower() in seen:
                raise Unrepresentable("VARS " + " -> ".join([*seen, name.lower()])
                                      + " use each other in a circle")
            return self.expand(found, (*seen, name.lower())) if "$(" in found else found
        if default is not None and name.lower() not in PREDEFINED \
                and name.lower() not in self.keep:
            return default
        return m.group(0)


def _v2_word(word: str) -> str:
    if word == "":
        return "''"
    if _NEEDS_SINGLE_QUOTES.search(word):
        return "'" + word.replace("'", "''") + "'"
    return word


def v2_raw(words: list[str], what: str = "argument",
           defined: frozenset[str] = frozenset()) -> str:
    """The inside of a quoted-syntax value (before `"` doubling), macros protected."""
    for w in words:
        no_newlines(w, what)
    return " ".join(_v2_word(protect_dollars(w, defined=defined)) for w in words)


def v2_quote_inner(raw: str) -> str:
    return raw.replace('"', '""')


def arguments(words: list[str], defined: frozenset[str] = frozenset()) -> str:
    """`arguments = ...` value for `words`: the job's argv after its executable."""
    return '"' + v2_quote_inner(v2_raw(words, defined=defined)) + '"'


def environment(pairs: list[tuple[str, str]] | list[list[str]],
                defined: frozenset[str] = frozenset()) -> str:
    """`environment = ...` value for (NAME, value) pairs, in order."""
    items = []
    for name, value in pairs:
        no_newlines(value, f"environment variable {name}")
        items.append(f"{name}={value}")
    return '"' + v2_quote_inner(v2_raw(items, "environment value", defined)) + '"'


def classad_string(text: str) -> str:
    """A ClassAd string literal, as old-ClassAd lexing in submit files reads it back."""
    no_newlines(text, "string")
    return '"' + protect_dollars(text, keep_macros=False).replace('"', '\\"') + '"'


def dag_vars_value(text: str) -> str:
    """A DAG `VARS` value (quoted) that both DAG parsers read back as `text`."""
    no_newlines(text, "VARS value")
    if text == "":
        raise Unrepresentable("an empty VARS value is rejected by HTCondor's DAG parser")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def file_list_item(name: str) -> str:
    """One entry of `transfer_input_files` (comma-separated, trimmed, no quoting)."""
    no_newlines(name, "file name")
    if "," in name or name != name.strip() or not name:
        raise Unrepresentable(f"file name {name!r} cannot be listed in transfer_input_files "
                              "(no commas, no leading or trailing spaces)")
    return protect_dollars(name, keep_macros=False)


_KNOB = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


def config_line(key: str, value: str) -> str:
    """`KEY = VALUE` of an HTCondor configuration file (a DAG's CONFIG), or Unrepresentable:
    one line, no continuation."""
    if not _KNOB.fullmatch(key):
        raise Unrepresentable(f"{key!r} is not a configuration knob name")
    value = no_newlines(value, f"configuration value of {key}").strip()
    if value.endswith("\\"):
        raise Unrepresentable(f"the value of {key} may not end with a backslash")
    return f"{key} = {value}"


def top_level(expr: str) -> Iterator[int]:
    """The positions in a ClassAd expression that lie outside strings and brackets, where
    its top-level operators are (the site rules and the pool match both split on them)."""
    depth, quote, i = 0, None, 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            yield i
        i += 1
