"""The ``core`` package: every public name is there, and the host starts without the client."""

from __future__ import annotations

import core
from tests.support.imports import loaded_modules


def test_every_public_name_resolves_and_unknown_ones_do_not() -> None:
    for name in core.__all__:
        assert getattr(core, name).__name__ == name
    assert set(core.__all__) <= set(dir(core))
    try:
        core.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("core.NoSuchThing should not exist")


def test_the_host_imports_none_of_the_client() -> None:
    """The client (httpx) is a quarter of a second the local host's start would wait for."""
    assert loaded_modules("core.host.__main__", ("httpx", "httpx_sse", "core.desktop")) == []


def test_httpcore_takes_what_asyncio_read_in_one_piece() -> None:
    """core.transport raises httpcore's 64 KiB read limit (see ``_read_whole_pieces``); an
    httpcore that renamed or changed it would silently lose that: look again then."""
    import httpcore

    from core.transport import READ_SIZE

    assert httpcore.AsyncHTTP11Connection.READ_NUM_BYTES == READ_SIZE
