"""condor_q's other output forms for `jobsub q` (and jobsub_history): `-long`,
`-af`/`-autoformat` and `-format FMT EXPR`, each expression evaluated against the job ad by
HTCondor's ClassAd library, as condor_q evaluates it. Users' scripts parse these, so they
follow condor_q's text: strings unquoted, `undefined` for -af, nothing for -format."""

from __future__ import annotations

import re
from collections.abc import Iterable

#: One printf conversion of a -format string (condor_q's own %T: a duration).
_CONVERSION = re.compile(r"%([-+ #0]*\d*(?:\.\d+)?)[hlLqjzt]*([sdiouxXeEfgGcT%])")


def evaluate(expr: str, ad):
    """The value of `expr` (an attribute name or any ClassAd expression) in `ad`; None when
    it is undefined or an error."""
    import classad2

    if expr in ad:
        value = ad.eval(expr) if hasattr(ad, "eval") else ad[expr]
    else:
        try:
            value = classad2.ExprTree(expr).eval(ad)
        except Exception:  # a malformed expression evaluates to an error, as in condor_q
            return None
    return None if isinstance(value, classad2.Value) else value


def long_form(ads: Iterable) -> str:
    """condor_q -long: every attribute of each job, jobs separated by a blank line."""
    return "\n".join(ad.printOld() for ad in ads)


def autoformat(ads: Iterable, exprs: list[str]) -> list[str]:
    """condor_q -af: the values of each job on one line, separated by blanks."""
    return [" ".join(_shown(evaluate(e, ad)) for e in exprs) for ad in ads]


def printf(ads: Iterable, pairs: list[tuple[str, str]]) -> str:
    """condor_q -format FMT EXPR ...: each job's values through its formats, concatenated
    (a format holds its own \\n; jobs with an undefined value print nothing for it)."""
    out = []
    for ad in ads:
        for fmt, expr in pairs:
            value = evaluate(expr, ad)
            if value is not None:
                out.append(format_value(_unescape(fmt), value))
    return "".join(out)


def format_value(fmt: str, value) -> str:
    """`fmt` % value with C's meaning of each conversion (%d of a float truncates, %s of a
    bool is true/false, %T is seconds as D+HH:MM:SS; length modifiers such as %ld are
    read past); a value a conversion cannot show (inf as %d) is shown as text."""
    def one(m: re.Match) -> str:
        flags, kind = m.group(1), m.group(2)
        if kind == "%":
            return "%"
        try:
            if kind == "T":
                return f"%{flags}s" % duration(_number(value))
            if kind in "diouxXc":
                return f"%{flags}{'d' if kind in 'iu' else kind}" % int(_number(value))
            if kind in "eEfgG":
                return f"%{flags}{kind}" % float(_number(value))
        except (OverflowError, ValueError):  # inf or nan as a whole number, %c of -1
            pass
        return f"%{flags}s" % _shown(value)
    return _CONVERSION.sub(one, fmt)


def duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}+{hours:02d}:{minutes:02d}:{secs:02d}"


def _number(value) -> float:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value))
    except ValueError:
        return 0


def _shown(value) -> str:
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unescape(fmt: str) -> str:
    return fmt.replace("\\n", "\n").replace("\\t", "\t")
