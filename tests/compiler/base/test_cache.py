"""The compiled-code cache is used only in folders of the user's own that no one else may
write: what is read back there (a pickle, bytecode) runs."""

from __future__ import annotations

import os
import pickle

import pytest

from jobsub.compiler.base.cache import cache_folder


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "jobsub"


def test_made_private_even_under_a_group_umask(home):
    old = os.umask(0o002)
    try:
        folder = cache_folder("lark")
    finally:
        os.umask(old)
    assert folder == str(home / "compiled" / "lark")
    for level in (home, home / "compiled", home / "compiled" / "lark"):
        assert os.stat(level).st_mode & 0o077 == 0, level


def test_a_folder_others_may_write_is_not_used(home):
    assert cache_folder("lark") is not None
    os.chmod(home / "compiled", 0o775)
    assert cache_folder("lark") is None


def test_a_linked_folder_is_not_used(home, tmp_path):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (home / "compiled").mkdir(parents=True, mode=0o700)
    os.symlink(tmp_path / "elsewhere", home / "compiled" / "lark")
    assert cache_folder("lark") is None


class Planted:
    def __reduce__(self):
        return (open, (os.environ["PLANTED_MARK"], "w"))


def test_a_planted_parser_cache_in_a_shared_folder_is_never_loaded(home, tmp_path,
                                                                   monkeypatch):
    import lark

    from jobsub.compiler.frontends import dagnabbit

    mark = tmp_path / "ran"
    monkeypatch.setenv("PLANTED_MARK", str(mark))
    (home / "compiled" / "lark").mkdir(parents=True)
    os.chmod(home / "compiled", 0o777)
    (home / "compiled" / "lark" / f"dagnabbit-{lark.__version__}.lark").write_bytes(
        b"x\n" + pickle.dumps(Planted()))
    dagnabbit._parser.cache_clear()
    try:
        dagnabbit._parser()
    finally:
        dagnabbit._parser.cache_clear()
    assert not mark.exists()
