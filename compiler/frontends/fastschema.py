"""A yes/no JSON Schema check compiled into Python closures, for the fast path: a valid
100,000-job manifest is checked in a fraction of the time `jsonschema` takes, and only a
document it rejects goes to `jsonschema`, which explains every error.

It covers the keywords our generated schemas use (JSON Schema 2020-12 semantics: keywords
apply only to instances of their type, `true` is not `1`; `integer` means a whole number as
written, not 1.0, as yamlsource sets up jsonschema too). A schema
with any other keyword compiles to None, and callers use `jsonschema` alone.
tests/compiler/frontends/test_fastschema.py holds it to `jsonschema` on every document we have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$defs", "$comment",
                          "default", "examples"})
_SUPPORTED = _ANNOTATIONS | {
    "type", "enum", "const", "properties", "additionalProperties", "required",
    "propertyNames", "minProperties", "maxProperties", "items", "minItems", "maxItems",
    "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "oneOf", "$ref"}


class _Unsupported(Exception):
    pass


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_mapping(v: Any) -> bool:
    return isinstance(v, dict | Mapping)  # dict first: Mapping's own check is slow


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": _is_mapping,
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    # a whole number as written: jobsub refuses 2.0 where a count goes (see yamlsource)
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


#: the Python types whose values, of exactly that type, pass each JSON type's test (a value
#: of a subclass, or a Mapping other than dict, passes where its test says)
_EXACT: dict[str, frozenset[type]] = {
    "object": frozenset({dict}), "array": frozenset({list}), "string": frozenset({str}),
    "boolean": frozenset({bool}), "null": frozenset({type(None)}),
    "number": frozenset({int, float}), "integer": frozenset({int}),
}


def _same(a: Any, b: Any) -> bool:
    """JSON equality: booleans are not numbers, 1 equals 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return (type(a) is type(b) and a == b) or (_is_number(a) and _is_number(b) and a == b)


def _all(checks: list[Check]) -> Check:
    """Every check passes; closures without a generator (this runs for every value of a
    100,000-job document)."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda v: a(v) and b(v)
    if len(checks) == 3:
        a, b, c = checks
        return lambda v: a(v) and b(v) and c(v)

    def every(v: Any) -> bool:
        for check in checks:  # noqa: SIM110 (all() over a generator is the slow way here)
            if not check(v):
                return False
        return True
    return every


def _any(checks: list[Check]) -> Check:
    def some(v: Any) -> bool:
        for check in checks:  # noqa: SIM110 (as in _all)
            if check(v):
                return True
        return False
    return some


def compile_schema(schema: Mapping[str, Any]) -> Check | None:
    """A function telling whether a document is valid; None if the schema uses a keyword
    this module does not implement."""
    defs: dict[str, Check] = {}
    try:
        check = _Compiler(schema, defs).compile(schema)
    except _Unsupported:
        return None
    return check


def _types(s: Mapping[str, Any]) -> list[str]:
    return [s["type"]] if isinstance(s["type"], str) else list(s["type"])


def _exact(s: Any) -> frozenset[type] | None:
    """The Python types a value of which, of exactly that type, passes `s` for sure: for a
    schema that says only its `type` (and annotations); else None."""
    if not isinstance(s, Mapping) or "type" not in s or not set(s) <= _ANNOTATIONS | {"type"}:
        return None
    return frozenset().union(*(_EXACT[t] for t in _types(s)))


def _count_one(checks: list[Check]) -> Check:
    def one_of(v: Any) -> bool:
        passed = 0
        for check in checks:
            if check(v):
                passed += 1
        return passed == 1
    return one_of


def _by_type(schemas: list[Any], checks: list[Check]) -> Check | None:
    """`oneOf` over alternatives that each name their `type`, no Python type passing two
    (a job name or a group; a name or a list of names): a value of one of those exact types
    can pass only the alternative naming it, so that one decides. A value of any other type
    is counted as usual. None when the alternatives are not so."""
    if not all(isinstance(a, Mapping) and "type" in a for a in schemas):
        return None
    by_type: dict[type, Check] = {}
    for alt, check in zip(schemas, checks, strict=True):
        exact = frozenset().union(*(_EXACT[t] for t in _types(alt)))
        if not by_type.keys().isdisjoint(exact):
            return None
        by_type.update(dict.fromkeys(exact, check))
    counted = _count_one(checks)

    def one_of(v: Any) -> bool:
        check = by_type.get(type(v))
        return check(v) if check is not None else counted(v)
    return one_of


class _Compiler:
    def __init__(self, root: Mapping[str, Any], defs: dict[str, Check]):
        self.root = root
        self.defs = defs

    def compile(self, s: Any) -> Check:
        if s is True or s == {}:
            return lambda v: True
        if s is False:
            return lambda v: False
        unknown = set(s) - _SUPPORTED
        if unknown:
            raise _Unsupported(sorted(unknown))
        checks: list[Check] = []
        if "$ref" in s:
            checks.append(self._ref(s["$ref"]))
        if "type" in s:
            types = _types(s)
            tests = [_TYPES[t] for t in types]
            checks.append(tests[0] if len(tests) == 1 else _any(tests))
        if "enum" in s:
            choices = list(s["enum"])
            checks.append(lambda v: any(_same(v, c) for c in choices))
        if "const" in s:
            const = s["const"]
            checks.append(lambda v: _same(v, const))
        checks += self._object(s) + self._array(s) + self._string(s) + self._number(s)
        if "oneOf" in s:
            alternatives = [self.compile(alt) for alt in s["oneOf"]]
            checks.append(_by_type(s["oneOf"], alternatives) or _count_one(alternatives))
        return _all(checks)

    def _ref(self, ref: str) -> Check:
        if not ref.startswith("#/$defs/"):
            raise _Unsupported(ref)
        name = ref[len("#/$defs/"):]
        if name not in self.defs:
            self.defs[name] = lambda v: False  # replaced below; a recursive $ref waits
            compiled = self.compile(self.root["$defs"][name])
            self.defs[name] = compiled
        defs = self.defs
        return lambda v: defs[name](v)

    def _object(self, s: Mapping[str, Any]) -> list[Check]:
        props = {k: self.compile(v) for k, v in (s.get("properties") or {}).items()}
        # properties a value passes by its exact type alone (most keys of a job: text)
        sure = {k: e for k, v in (s.get("properties") or {}).items()
                if (e := _exact(v)) is not None}
        sure_get = sure.get
        extra = s.get("additionalProperties", True)
        extra_check = None if extra is True else self.compile(extra)
        required = list(s.get("required") or [])
        names = self.compile(s["propertyNames"]) if "propertyNames" in s else None
        low, high = s.get("minProperties"), s.get("maxProperties")
        if not (props or extra_check or required or names or low is not None
                or high is not None):
            return []

        def check(v: Any) -> bool:
            if not _is_mapping(v):
                return True
            if (low is not None and len(v) < low) or (high is not None and len(v) > high):
                return False
            for key in required:
                if key not in v:
                    return False
            for key, value in v.items():
                if names is not None and not names(key):
                    return False
                exact = sure_get(key)
                if exact is not None and type(value) in exact:
                    continue
                test = props.get(key)
                if test is not None:
                    if not test(value):
                        return False
                elif extra_check is not None and not extra_check(value):
                    return False
            return True
        return [check]

    def _array(self, s: Mapping[str, Any]) -> list[Check]:
        item = self.compile(s["items"]) if "items" in s else None
        low, high = s.get("minItems"), s.get("maxItems")
        if item is None and low is None and high is None:
            return []
        # items that pass by their exact type alone (arguments: text), all told in C
        sure = _exact(s["items"]) if "items" in s else None
        all_sure = sure.issuperset if sure is not None else None

        def check(v: Any) -> bool:
            if not isinstance(v, list):
                return True
            if (low is not None and len(v) < low) or (high is not None and len(v) > high):
                return False
            if all_sure is not None and all_sure(map(type, v)):
                return True
            if item is not None:
                for x in v:
                    if not item(x):
                        return False
            return True
        return [check]

    def _string(self, s: Mapping[str, Any]) -> list[Check]:
        low, high = s.get("minLength", 0), s.get("maxLength")
        search = re.compile(s["pattern"]).search if "pattern" in s else None
        if not low and high is None and search is None:
            return []
        if high is None:
            high = float("inf")

        def check(v: Any) -> bool:  # one closure for the three (every name of a manifest)
            return not isinstance(v, str) or (low <= len(v) <= high and
                                               (search is None or search(v) is not None))
        return [check]

    def _number(self, s: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        if "minimum" in s:
            low = s["minimum"]
            out.append(lambda v: not _is_number(v) or v >= low)
        if "maximum" in s:
            high = s["maximum"]
            out.append(lambda v: not _is_number(v) or v <= high)
        if "exclusiveMinimum" in s:
            above = s["exclusiveMinimum"]
            out.append(lambda v: not _is_number(v) or v > above)
        return out
