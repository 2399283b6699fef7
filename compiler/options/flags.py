"""Parse `jobsub_submit` words with the option table: one parser for command lines and job lines.

Written by hand rather than with argparse because every error must point at the word that
caused it (`FILE:LINE:COL`), all errors of a line are wanted at once, and the parser is built
once, not once per line. It accepts what jobsub_lite's argparse accepted: `--opt VALUE`,
`--opt=VALUE`, `-xVALUE`, unique prefixes of long options, and `--` before the executable.
Everything after the executable is the job's own argument list.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jobsub.compiler.base.diagnostics import Sink, Span
from jobsub.compiler.base.units import UnitError
from jobsub.compiler.options.shellwords import Word
from jobsub.compiler.options.table import Context, Kind, Option

#: jobsub_lite options that jobsub deliberately does not take, with the reason users are given.
UNSUPPORTED: Mapping[str, str] = {
    "-r": "experiment release setup (-r/-i/-t/--cmtconfig) belonged to the old jobsub wrapper; "
          "set up your software in the executable, or pass values with -e",
    "-i": "experiment release setup (-r/-i/-t/--cmtconfig) belonged to the old jobsub wrapper; "
          "set up your software in the executable, or pass values with -e",
    "-t": "experiment release setup (-r/-i/-t/--cmtconfig) belonged to the old jobsub wrapper; "
          "set up your software in the executable, or pass values with -e",
    "--cmtconfig": "experiment release setup belonged to the old jobsub wrapper; "
                   "set up your software in the executable",
    "--dataset-definition": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--dataset_definition": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--dataset": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--project-name": "SAM projects are not supported",
    "--project_name": "SAM projects are not supported",
    "--dd-percentage": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--dd_percentage": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--dd-extra-dataset": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--dd_extra_dataset": "SAM dataset DAGs are not supported; write the DAG explicitly",
    "--generate-email-summary": "DAG e-mail summaries are not supported; use --mail_always",
    "--use-cvmfs-dropbox": "the dropbox backend is chosen by the site policy",
    "--use-pnfs-dropbox": "the dropbox backend is chosen by the site policy",
    "--devserver": "choose the schedd with the site policy or --schedd",
}


def _norm(flag: str) -> str:
    """`--foo_bar` and `--foo-bar` are the same option (jobsub_lite users write both)."""
    return "--" + flag[2:].replace("_", "-") if flag.startswith("--") else flag


@dataclass
class Parsed:
    """One parsed command or job line."""

    values: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, Span] = field(default_factory=dict)
    executable: Word | None = None
    arguments: list[Word] = field(default_factory=list)
    positionals: list[Word] = field(default_factory=list)  # interleaved parsing only


class FlagParser:
    """Built once from a table; `parse` is called for every line."""

    def __init__(self, options: Iterable[Option], help_command: str = "jobsub_submit --help"):
        self.options = tuple(options)
        self.help_command = help_command
        self.by_flag: dict[str, Option] = {}
        for opt in self.options:
            for flag in opt.flags:
                key = _norm(flag)
                if self.by_flag.get(key, opt) is not opt:
                    raise ValueError(f"flag {flag} is defined twice")
                self.by_flag[key] = opt
        self.long_flags = sorted(f for f in self.by_flag if f.startswith("--"))

    # -- lookup -------------------------------------------------------------------------------

    def _lookup(self, flag: str) -> tuple[Option | None, str | None]:
        """The option for `flag` (exact, or a unique prefix of a long flag), else a message."""
        flag = _norm(flag)
        opt = self.by_flag.get(flag)
        if opt is not None:
            return opt, None
        if flag.startswith("--") and len(flag) > 2:
            matches = [f for f in self.long_flags if f.startswith(flag)]
            # one target per dest, except choice flags, which each store their own value
            dests = {(self.by_flag[f].dest, self._choice(self.by_flag[f], f)) for f in matches}
            if len(dests) == 1:
                return self.by_flag[matches[0]], None
            if len(dests) > 1:
                return None, f"ambiguous option {flag}: could be {', '.join(matches)}"
        return None, None

    @staticmethod
    def _choice(opt: Option, normalised_flag: str) -> object:
        if opt.kind is not Kind.CHOICE:
            return None
        return next(v for f, v in opt.choices.items() if _norm(f) == normalised_flag)

    def _single_dash_long(self, flag: str) -> bool:
        """`-memory`: a long option written with one dash (a table lookup: this runs for
        every short-option word of every line)."""
        return (flag.startswith("-") and not flag.startswith("--") and len(flag) > 2
                and _norm("-" + flag) in self.by_flag)

    def suggest(self, flag: str) -> str | None:
        if self._single_dash_long(flag):
            return "-" + flag
        spellings = [f for o in self.options for f in o.flags]
        close = difflib.get_close_matches(flag, spellings, n=1, cutoff=0.6)
        return close[0] if close else None

    def split_value(self, words: list[Word], index: int, ctx: Context) -> Word | None:
        """The option word whose value was cut in two at words[index] (`--memory 2 GB`:
        `--memory` took `2`, and `2GB` is a value it takes), else None."""
        i = 0
        while i < index:
            if words[i].text == "--":
                return None
            opt, _name, _inline, width = self._classify(words, i)
            if width == 2 and i + 2 == index and opt is not None and opt.convert:
                try:
                    opt.convert(words[i + 1].text + words[index].text, Context(ctx.env))
                except (UnitError, ValueError):
                    return None
                return words[i]
            i += width
        return None

    def option_word(self, text: str) -> bool:
        """Whether `text` is one of the options' own spellings, exactly (`_` or `-`; with
        `=VALUE` for a long one): after the executable it was surely meant for jobsub."""
        name = text.partition("=")[0] if text.startswith("--") else text
        return _norm(name) in self.by_flag

    # -- parsing ------------------------------------------------------------------------------

    def _classify(self, words: list[Word], i: int) -> tuple[Option | None, str, str | None, int]:
        """(option, flag as written, inline value, number of words it takes) for words[i]."""
        text = words[i].text
        inline: str | None = None
        if text.startswith("--"):
            name, eq, rest = text.partition("=")
            if eq:
                inline = rest
        else:
            name = text[:2]
            if len(text) > 2:
                inline = text[3:] if text[2] == "=" else text[2:]
        opt, _ = self._lookup(name)
        if opt is None:
            width = 1 if inline is not None or not self._looks_like_value(words, i) else 2
        elif opt.kind in (Kind.FLAG, Kind.CHOICE) or inline is not None:
            width = 1
        elif opt.kind is Kind.PAIR:
            width = 3
        else:  # a missing value is reported by _one; do not swallow the next option
            width = 1 if i + 1 >= len(words) or self._is_flag(words[i + 1].text) else 2
        return opt, name, inline, width

    def executable_index(self, words: list[Word]) -> int:
        """Index of the executable word (len(words) if none); everything before it is options."""
        i, n = 0, len(words)
        while i < n:
            text = words[i].text
            if text == "--":
                return i + 1
            if not text.startswith("-") or text == "-":
                return i
            i += self._classify(words, i)[3]
        return n

    def parse(self, words: list[Word], where: Callable[[Word], Span], ctx: Context,
              sink: Sink, *, executable_required: bool = True,
              end_span: Span | None = None, interleaved: bool = False) -> Parsed:
        """Parse option words up to the executable; report problems into `sink`.

        With `interleaved`, options and plain words may mix (`jobsub compile FILE -o DIR`):
        every non-option word is collected in `positionals` and there is no executable.
        """
        out = Parsed()
        if interleaved:
            i = 0
            while i < len(words):
                text = words[i].text
                if text.startswith("-") and text != "-":
                    i = self._one(words, i, where, ctx, sink, out)
                else:
                    out.positionals.append(words[i])
                    i += 1
            self._check_conflicts(out, sink)
            return out
        stop = self.executable_index(words)
        i = 0
        while i < stop:
            if words[i].text == "--":
                break
            i = self._one(words, i, where, ctx, sink, out)
        if stop < len(words):
            out.executable = words[stop]
            out.arguments = words[stop + 1:]
        elif executable_required:
            sink.error("no executable given", end_span or (where(words[-1]) if words else None),
                       "end the options with the job's executable, as file://PATH [ARGS...]")
        self._check_conflicts(out, sink)
        return out

    def _one(self, words: list[Word], i: int, where: Callable[[Word], Span], ctx: Context,
             sink: Sink, out: Parsed) -> int:
        opt, name, inline, width = self._classify(words, i)
        span = where(words[i])
        text = words[i].text
        if self._single_dash_long(text):
            sink.error(f"unknown option {text}", span, f"long options take two dashes: -{text}")
            return i + (2 if self._looks_like_value(words, i) else 1)
        if opt is None:
            self._unknown(name, span, self._lookup(name)[1], sink)
            return i + width
        if opt.kind in (Kind.FLAG, Kind.CHOICE):
            if inline is not None:
                sink.error(f"option {name} takes no value", span, f"write {name} alone")
            value = opt.choices[self._full_flag(opt, name)] if opt.kind is Kind.CHOICE else True
            self._store(opt, value, span, out)
            return i + 1
        if opt.kind is Kind.PAIR:
            if inline is not None or i + 2 >= len(words):
                sink.error(f"option {name} needs two values: {name} {opt.metavar}", span)
                return len(words)
            self._store(opt, [words[i + 1].text, words[i + 2].text], span, out)
            return i + 3
        if inline is None:
            if width == 1:
                sink.error(f"option {name} needs a value: {name} {opt.metavar}", span)
                return i + 1
            raw, value_span = words[i + 1].text, where(words[i + 1])
        else:
            raw, value_span = inline, span
        try:
            value = opt.convert(raw, ctx) if opt.convert else raw
        except UnitError as err:
            sink.error(f"bad value for {name}: {err}", value_span)
            return i + width
        finally:
            for message in ctx.warnings:
                sink.warning(f"{name}: {message}", value_span,
                             "write the value as it should reach HTCondor")
            ctx.warnings.clear()
        self._store(opt, value, span, out)
        return i + width

    def _full_flag(self, opt: Option, name: str) -> str:
        name = _norm(name)
        return next(f for f in opt.flags if _norm(f) == name or _norm(f).startswith(name))

    def _is_flag(self, text: str) -> bool:
        if not text.startswith("-") or text == "-":
            return False
        name = text.partition("=")[0] if text.startswith("--") else text[:2]
        return self._lookup(name)[0] is not None

    def _looks_like_value(self, words: list[Word], i: int) -> bool:
        """After an unknown option, is the next word probably its value? (not another flag,
        not the executable)"""
        if i + 1 >= len(words):
            return False
        nxt = words[i + 1].text
        return not nxt.startswith("-") and not nxt.startswith("file://")

    def _unknown(self, name: str, span: Span, problem: str | None, sink: Sink) -> None:
        if problem:
            sink.error(problem, span, "write more of the option name")
            return
        reason = UNSUPPORTED.get(name)
        if reason:
            sink.error(f"jobsub_lite option {name} is not supported", span, reason)
            return
        guess = self.suggest(name)
        sink.error(f"unknown option {name}", span,
                   f"did you mean {guess}?" if guess else f"see `{self.help_command}`")

    @staticmethod
    def _store(opt: Option, value: Any, span: Span, out: Parsed) -> None:
        if opt.repeatable:
            out.values.setdefault(opt.dest, []).append(value)
            out.spans.setdefault(opt.dest, span)
        else:
            out.values[opt.dest] = value
            out.spans[opt.dest] = span

    def _check_conflicts(self, out: Parsed, sink: Sink) -> None:
        seen: set[frozenset] = set()
        by_dest = {o.dest: o for o in self.options}
        for dest in out.values:
            opt = by_dest[dest]
            for other in opt.conflicts:
                pair = frozenset((dest, other))
                if other in out.values and pair not in seen:
                    seen.add(pair)
                    a, b = sorted((dest, other), key=lambda d: (out.spans[d].line,
                                                                 out.spans[d].column))
                    sink.error(f"{self._flag_of(b)} cannot be combined with {self._flag_of(a)}",
                               out.spans[b], "keep only one of them",
                               notes=[(out.spans[a], f"{self._flag_of(a)} given here")])

    def _flag_of(self, dest: str) -> str:
        flags = next(o for o in self.options if o.dest == dest).flags
        return next((f for f in flags if f.startswith("--")), flags[0])
