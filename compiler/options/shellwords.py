"""Split a dagnabbit line into words the way a POSIX shell would, keeping each word's position.

jobsub_lite split lines on blanks and expanded `$VAR` first, so quoted arguments broke apart.
Users write these lines as if typing `jobsub_submit` in a shell, so we follow the shell:
quotes group, `\\` escapes, `$VAR`/`${VAR}` expand from the submitting environment (field-split
when unquoted), while DAGMan's script macros (`$JOB`, `$RETURN`, ...) and HTCondor's `$(...)`
macros pass through untouched. Globbing, command substitution and `${VAR:-x}` forms are not
shell features we take on: they stay literal or are rejected with a message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from jobsub.compiler.base.conventions import script_macro
from jobsub.compiler.base.diagnostics import JobsubError, Span

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN = re.compile(r"[^ \t]+")
_SPECIAL = re.compile(r"['\"\\$]")
_BLANKS = " \t"
_IFS = " \t\n"


@dataclass(frozen=True, slots=True)
class Word:
    """One shell word: its final text and where it was written (0-based offsets in the line)."""

    text: str
    start: int
    end: int


#: Called with (variable name, offset of its `$`, length) when a variable is not defined.
UndefinedHook = Callable[[str, int, int], None]


def split_words(line: str, env: Mapping[str, str], span: Span,
                on_undefined: UndefinedHook | None = None) -> list[Word]:
    """Split `line`; `span` locates the line (its column is where `line` starts) for errors."""
    if not _SPECIAL.search(line):
        return [Word(m.group(), m.start(), m.end()) for m in _PLAIN.finditer(line)]
    return _Splitter(line, env, span, on_undefined).run()


class _Splitter:
    def __init__(self, line: str, env: Mapping[str, str], span: Span,
                 on_undefined: UndefinedHook | None):
        self.s = line
        self.env = env
        self.span = span
        self.on_undefined = on_undefined
        self.words: list[Word] = []
        self.buf: list[str] = []
        self.word_start = -1
        self.has_word = False  # a quoted empty string still makes a word

    def _where(self, offset: int, length: int = 1) -> Span:
        return self.span.at(self.span.column + offset, length)

    def _begin(self, i: int) -> None:
        if self.word_start < 0:
            self.word_start = i

    def _finish(self, end: int) -> None:
        text = "".join(self.buf)
        if text or self.has_word:
            self.words.append(Word(text, self.word_start, end))
        self.buf = []
        self.word_start = -1
        self.has_word = False

    def run(self) -> list[Word]:
        s, n, i = self.s, len(self.s), 0
        while i < n:
            c = s[i]
            if c in _BLANKS:
                self._finish(i)
                i += 1
            elif c == "'":
                self._begin(i)
                j = s.find("'", i + 1)
                if j < 0:
                    raise JobsubError("unterminated single quote", self._where(i),
                                      "close the quote with ' on the same line")
                self.buf.append(s[i + 1:j])
                self.has_word = True
                i = j + 1
            elif c == '"':
                self._begin(i)
                i = self._double_quoted(i)
            elif c == "\\":
                self._begin(i)
                if i + 1 >= n:
                    raise JobsubError("a line may not end with a backslash", self._where(i),
                                      "dagnabbit lines do not continue onto the next line; "
                                      "write the job on one line")
                self.buf.append(s[i + 1])
                i += 2
            elif c == "$":
                self._begin(i)
                i = self._dollar(i, quoted=False)
            else:
                self._begin(i)
                j = i + 1
                while j < n and s[j] not in " \t'\"\\$":
                    j += 1
                self.buf.append(s[i:j])
                i = j
        self._finish(n)
        return self.words

    def _double_quoted(self, open_at: int) -> int:
        s, n, i = self.s, len(self.s), open_at + 1
        self.has_word = True
        while i < n:
            c = s[i]
            if c == '"':
                return i + 1
            if c == "\\" and i + 1 < n and s[i + 1] in '$`"\\':
                self.buf.append(s[i + 1])
                i += 2
            elif c == "$":
                i = self._dollar(i, quoted=True)
            else:
                self.buf.append(c)
                i += 1
        raise JobsubError("unterminated double quote", self._where(open_at),
                          'close the quote with " on the same line')

    def _macro_end(self, i: int) -> int:
        """End of an HTCondor `$(...)`/`$$(...)` macro starting at `i`, parentheses balanced."""
        s, n = self.s, len(self.s)
        j = s.index("(", i) + 1
        depth = 1
        while j < n and depth:
            if s[j] == "(":
                depth += 1
            elif s[j] == ")":
                depth -= 1
            j += 1
        if depth:
            raise JobsubError("unterminated HTCondor macro", self._where(i, 2),
                              "close the $( with a matching )")
        return j

    def _dollar(self, i: int, quoted: bool) -> int:
        s, n = self.s, len(self.s)
        nxt = s[i + 1] if i + 1 < n else ""
        if nxt == "(" or (nxt == "$" and s[i + 2:i + 3] == "("):
            j = self._macro_end(i)
            self.buf.append(s[i:j])
            return j
        if nxt == "{":
            close = s.find("}", i + 2)
            name = s[i + 2:close] if close > 0 else ""
            if close < 0 or not _NAME.fullmatch(name):
                width = max(close - i + 1, 2)
                raise JobsubError("unsupported shell expansion", self._where(i, width),
                                  "only $NAME and ${NAME} are expanded; write a literal $ as \\$")
            return self._expand(name, i, close + 1, quoted, braced=True)
        m = _NAME.match(s, i + 1)
        if not m:
            self.buf.append("$")
            return i + 1
        name = m.group()
        if script_macro(f"${name}"):
            self.buf.append(s[i:m.end()])
            return m.end()
        return self._expand(name, i, m.end(), quoted, braced=False)

    def _expand(self, name: str, start: int, end: int, quoted: bool, braced: bool) -> int:
        value = self.env.get(name)
        if value is None:
            if self.on_undefined:
                self.on_undefined(name, start, end - start)
            self.buf.append(self.s[start:end])
            self.has_word = True
            return end
        if quoted:
            self.buf.append(value)
            return end
        # Unquoted: field splitting, as the shell does for `$SUBMIT_FLAGS`.
        parts = re.split(r"[ \t\n]+", value)
        if value and value[0] in _IFS:
            self._finish(start)
            self._begin(start)
        for k, part in enumerate(parts):
            if k:
                self._finish(end)
                self._begin(start)
            self.buf.append(part)
        if value and value[-1] in _IFS:
            self._finish(end)
            self._begin(end)
        return end


_REFERENCE = re.compile(r"\\\$|\$\$?\(|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def expand_string(text: str, env: Mapping[str, str],
                  on_undefined: UndefinedHook | None = None) -> str:
    """`$VAR`/`${VAR}` from the environment in one value (no word splitting: YAML already
    says where values start and end). `\\$` is a literal `$`; DAGMan's script macros and
    HTCondor's `$(...)` pass through; an undefined variable stays as written."""
    if "$" not in text:
        return text

    def replace(m: re.Match) -> str:
        whole = m.group(0)
        if whole == "\\$":
            return "$"
        if whole.startswith("$(") or whole.startswith("$$("):
            return whole
        name = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(1) is not None and not _NAME.fullmatch(name):
            raise JobsubError(f"unsupported expansion {whole}", None,
                              "only $NAME and ${NAME} are expanded; write a literal $ as \\$")
        if m.group(2) is not None and script_macro(whole):
            return whole
        value = env.get(name)
        if value is None:
            if on_undefined:
                on_undefined(name, m.start(), len(whole))
            return whole
        return value

    return _REFERENCE.sub(replace, text)
