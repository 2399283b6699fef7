"""Located diagnostics: the one error type of the compiler, and the sink that collects them.

Every message a user can cause carries a `Span` so the CLI can print `FILE:LINE:COL:`;
front ends keep going after an error so that one run reports all of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(slots=True, unsafe_hash=True)
class Span:
    """A region of a source file; lines and columns count from 1, `end_column` is exclusive.
    Treated as immutable (hashable by value); not frozen, because a frozen dataclass is slow
    to create and a big workflow makes one per node. `where` is a place the reader of the
    file can find again on demand (a YAML front end: the JSON path and whether the key is
    meant), so positions are looked up only for the spans a message names."""

    file: str
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    where: tuple | None = None

    def at(self, column: int, length: int = 1) -> Span:
        """A span on the same line, `column` counted from 1."""
        return Span(self.file, self.line, column, self.line, column + max(length, 1))

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # "error" | "warning" | "note"
    message: str
    span: Span | None = None
    hint: str | None = None
    notes: tuple[tuple[Span, str], ...] = ()

    def as_dict(self) -> dict:
        loc = self.span or Span("")
        return {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
            "notes": [{"file": s.file, "line": s.line, "column": s.column, "message": m}
                      for s, m in self.notes],
        }


class JobsubError(Exception):
    """The compiler's one exception type: one or more located diagnostics."""

    def __init__(self, message: str = "", span: Span | None = None, hint: str | None = None,
                 *, notes: Iterable[tuple[Span, str]] = (),
                 diagnostics: Iterable[Diagnostic] | None = None):
        if diagnostics is None:
            diagnostics = [Diagnostic("error", message, span, hint, tuple(notes))]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(self.diagnostics[0].message if self.diagnostics else message)

    @property
    def span(self) -> Span | None:
        return self.diagnostics[0].span if self.diagnostics else None


@dataclass
class Sink:
    """Collects diagnostics while a front end keeps going; `check()` raises on errors."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set = field(default_factory=set, repr=False)

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.severity, diagnostic.message, diagnostic.span)
        if key not in self._seen:
            self._seen.add(key)
            self.diagnostics.append(diagnostic)

    def error(self, message: str, span: Span | None = None, hint: str | None = None,
              notes: Iterable[tuple[Span, str]] = ()) -> None:
        self.add(Diagnostic("error", message, span, hint, tuple(notes)))

    def warning(self, message: str, span: Span | None = None, hint: str | None = None) -> None:
        self.add(Diagnostic("warning", message, span, hint))

    def absorb(self, err: JobsubError) -> None:
        for d in err.diagnostics:
            self.add(d)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def check(self) -> None:
        if self.errors:
            raise JobsubError(diagnostics=self.sorted())

    def sorted(self) -> list[Diagnostic]:
        def key(d: Diagnostic):
            s = d.span or Span("")
            return (s.file, s.line, s.column)
        return sorted(self.diagnostics, key=key)


_WINDOW = 100
_CONTEXT = 30


def format_text(diagnostic: Diagnostic,
                source_lines: dict[str, dict[int, str]] | None = None) -> str:
    """`FILE:LINE:COL: severity: message`, then the source line with a caret (from
    `source_lines`: file -> line number -> text), then the hint."""
    out = [f"{diagnostic.span or 'jobsub'}: {diagnostic.severity}: {diagnostic.message}"]
    span = diagnostic.span
    if span and source_lines and span.line > 0 and span.file in source_lines:
        line = source_lines[span.file].get(span.line)
        if line is not None:
            text = line.rstrip("\r\n").expandtabs(1)
            column = max(span.column, 1)
            width = 1
            if span.end_line in (0, span.line) and span.end_column > span.column:
                width = span.end_column - span.column
            # Long lines (dagnabbit job lines reach 1,000 characters): show a window.
            start = max(0, min(column - 1 - _CONTEXT, len(text) - _WINDOW))
            shown = text[start:start + _WINDOW]
            lead = "..." if start > 0 else ""
            tail = "..." if start + _WINDOW < len(text) else ""
            out.append(f"    {lead}{shown}{tail}")
            if span.column > 0:
                width = max(1, min(width, len(shown) - (column - 1 - start)))
                out.append("    " + " " * (len(lead) + column - 1 - start) + "^"
                           + "~" * (width - 1))
    for note_span, note in diagnostic.notes:
        out.append(f"{note_span}: note: {note}")
    if diagnostic.hint:
        out.append(f"  hint: {diagnostic.hint}")
    return "\n".join(out)


def format_json(diagnostics: Iterable[Diagnostic]) -> str:
    return json.dumps([d.as_dict() for d in diagnostics], indent=2)
