"""Independent decoders of HTCondor's syntaxes, written from HTCondor's C++ sources
(condor_arglist.cpp, env.cpp, the DAG parsers, the old-ClassAd lexer), so tests can check that
what we encode is read back unchanged. Deliberately not sharing code with jobsub.compiler.
"""

from __future__ import annotations

import re

SEPARATORS = " \t\r\n"


class SyntaxProblem(ValueError):
    pass


def _v2_outer(value: str) -> str:
    """Strip the outer double quotes of a quoted-syntax value, undoubling `""`."""
    s = value.strip()
    if not s.startswith('"'):
        raise SyntaxProblem("not the quoted (V2) syntax")
    out, i = [], 1
    while i < len(s):
        if s[i] == '"':
            if s[i + 1:i + 2] == '"':
                out.append('"')
                i += 2
                continue
            if s[i + 1:].strip():
                raise SyntaxProblem("characters after the closing double quote")
            return "".join(out)
        out.append(s[i])
        i += 1
    raise SyntaxProblem("unterminated double quote")


def _split_v2_raw(raw: str) -> list[str]:
    words: list[str] = []
    cur: list[str] = []
    in_word = False
    i = 0
    while i < len(raw):
        c = raw[i]
        if c in SEPARATORS:
            if in_word:
                words.append("".join(cur))
                cur, in_word = [], False
            i += 1
        elif c == "'":
            in_word = True
            i += 1
            while True:
                if i >= len(raw):
                    raise SyntaxProblem("unbalanced single quote")
                if raw[i] == "'":
                    if raw[i + 1:i + 2] == "'":
                        cur.append("'")
                        i += 2
                        continue
                    i += 1
                    break
                cur.append(raw[i])
                i += 1
        else:
            in_word = True
            cur.append(c)
            i += 1
    if in_word:
        words.append("".join(cur))
    return words


def decode_arguments(value: str) -> list[str]:
    """argv from an `arguments` value in the quoted syntax."""
    return _split_v2_raw(_v2_outer(value))


def decode_environment(value: str) -> list[tuple[str, str]]:
    pairs = []
    for item in _split_v2_raw(_v2_outer(value)):
        name, eq, val = item.partition("=")
        if not eq or not name:
            raise SyntaxProblem(f"environment item without '=': {item!r}")
        pairs.append((name, val))
    return pairs


_VAR_NAME = re.compile(r"[A-Za-z0-9_.]+|\+[A-Za-z0-9_.]+")


def decode_vars_line(line: str) -> tuple[str, dict[str, str]]:
    """(node, {name: value}) of a `VARS node name="value" ...` line, by the older DAG
    parser's rules, which are the stricter of the two (only \\\\ and \\" escapes)."""
    parts = line.split(None, 2)
    if len(parts) < 3 or parts[0] != "VARS":
        raise SyntaxProblem("not a VARS line")
    node, rest = parts[1], parts[2]
    out: dict[str, str] = {}
    i = 0
    while i < len(rest):
        while i < len(rest) and rest[i] in " \t":
            i += 1
        if i >= len(rest):
            break
        m = _VAR_NAME.match(rest, i)
        if not m:
            raise SyntaxProblem(f"bad VARS name at {i}")
        name = m.group()
        i = m.end()
        while i < len(rest) and rest[i] in " \t":
            i += 1
        if rest[i:i + 1] != "=":
            raise SyntaxProblem("missing =")
        i += 1
        while i < len(rest) and rest[i] in " \t":
            i += 1
        if rest[i:i + 1] != '"':
            raise SyntaxProblem("VARS value must be quoted")
        i += 1
        val: list[str] = []
        while True:
            if i >= len(rest):
                raise SyntaxProblem("unterminated VARS value")
            c = rest[i]
            if c == "\\":
                nxt = rest[i + 1:i + 2]
                if nxt not in ('"', "\\"):
                    raise SyntaxProblem(f"unknown escape \\{nxt}")
                val.append(nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if not val:
            raise SyntaxProblem("empty VARS value (the newer DAG parser rejects it)")
        out[name] = "".join(val)
    return node, out


def decode_classad_string(expr: str) -> str:
    """The string of an old-ClassAd string literal that is a whole expression."""
    s = expr.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise SyntaxProblem("not a string literal")
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and body[i + 1:i + 2] == '"':
            out.append('"')
            i += 2
        elif body[i] == '"':
            raise SyntaxProblem("unescaped double quote inside the string")
        else:
            out.append(body[i])
            i += 1
    return "".join(out)
