"""Bundled site profiles (`--site-config NAME`), shipped as package data."""

from importlib.resources import files

NAMES = ("local", "fermilab")


def path(name: str) -> str:
    """The file of the bundled profile `name`."""
    return str(files(__name__).joinpath(f"{name}.yaml"))
