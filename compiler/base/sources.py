"""Reading the files jobsub is given (workflows, site files): bounded, UTF-8, and the
same text again for the carets under a diagnostic. Below every stage that reads a file."""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Iterable, Mapping

from jobsub.compiler.base.conventions import is_manifest
from jobsub.compiler.base.diagnostics import Diagnostic, JobsubError, Span
from jobsub.compiler.base.limits import MAX_WORKFLOW_BYTES


def read_source(path: str, limit: int = MAX_WORKFLOW_BYTES) -> str:
    """The text of a file jobsub reads (a workflow, a site file): a regular file or a pipe
    (`<(generate)`), at most `limit` bytes, UTF-8."""
    try:
        mode = os.stat(path).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise JobsubError(f"{path} is a device, not a file", Span(path),
                              "give the path of a workflow or site file")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError:
        raise JobsubError(f"no such file: {path}", Span(path)) from None
    except IsADirectoryError:
        raise JobsubError(f"{path} is a folder, not a file", Span(path)) from None
    except OSError as err:
        raise JobsubError(f"cannot read {path}: {err.strerror}", Span(path)) from None
    if len(data) > limit:
        raise JobsubError(f"{path} is larger than {limit:,} bytes, more than jobsub reads",
                          Span(path), "is this the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise JobsubError("not a UTF-8 text file", _undecodable(path, data, err),
                          "save it as UTF-8; this byte is not part of any character") from None


def _undecodable(path: str, data: bytes, err: UnicodeDecodeError) -> Span:
    """Line and column of the first byte that is not UTF-8."""
    good = data[:err.start].decode("utf-8")
    line_start = good.rfind("\n") + 1
    return Span(path, good.count("\n") + 1, len(good) - line_start + 1)


def source_lines(paths: Iterable[str], diagnostics: Iterable[Diagnostic],
                 texts: Mapping[str, str] | None = None) -> dict[str, dict[int, str]]:
    """The lines of `paths` the diagnostics point at, by file and line number, for printing
    carets under them. Lines count as the file's front end counts them: a manifest's as
    YAML breaks lines (ruamel locates its messages), any other's by newline, read only as
    far as its last line wanted (a million-line file is not read again for one warning,
    nor at all without one). From `texts` if it is there, else if it is a regular file (a
    pipe was read once already, a device never ends)."""
    wanted: dict[str, set[int]] = {}
    for d in diagnostics:
        if d.span is not None and d.span.line > 0:
            wanted.setdefault(d.span.file, set()).add(d.span.line)
    out = {}
    for p in dict.fromkeys(paths):
        if p not in wanted:
            continue
        manifest = is_manifest(p)
        newline = "" if manifest else "\n"  # (no translation; a dagnabbit file's)
        try:
            if texts is not None and p in texts:
                out[p] = _lines_wanted(manifest, io.StringIO(texts[p], newline=newline),
                                       wanted[p])
            elif os.path.isfile(p):
                with open(p, encoding="utf-8", errors="replace", newline=newline) as fh:
                    out[p] = _lines_wanted(manifest, fh, wanted[p])
        except OSError:
            pass
    return out


#: The line breaks of YAML as ruamel counts them (it locates a manifest's messages).
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _lines_wanted(manifest: bool, source: io.TextIOBase,
                  numbers: set[int]) -> dict[int, str]:
    """The lines numbered `numbers` of `source`: a `manifest`'s split as YAML breaks lines
    (read whole), any other's by newline, read only as far as the last of them."""
    lines = _YAML_BREAK.split(source.read(MAX_WORKFLOW_BYTES)) if manifest else source
    last = max(numbers)
    return {number: line for number, line in zip(range(1, last + 1), lines, strict=False)
            if number in numbers}
