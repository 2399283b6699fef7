"""Lark grammars, shipped as package data."""

from importlib.resources import files


def text(name: str) -> str:
    """The grammar `name` (e.g. "dagnabbit.lark")."""
    return files(__name__).joinpath(name).read_text(encoding="utf-8")
