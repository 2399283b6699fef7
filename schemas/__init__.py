"""JSON Schemas, shipped as package data."""

import json
from importlib.resources import files


def load(name: str) -> dict:
    """The schema `name` (e.g. "ir.schema.json")."""
    return json.loads(files(__name__).joinpath(name).read_text(encoding="utf-8"))
