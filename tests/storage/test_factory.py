from __future__ import annotations

from pathlib import Path

import pytest

from kybernetes.storage.factory import create_store
from kybernetes.storage.interface import Store
from kybernetes.storage.memory import MemoryStore
from kybernetes.storage.sqlite import SqliteStore


def test_memory_url() -> None:
    store = create_store("memory://")
    assert isinstance(store, MemoryStore)
    assert isinstance(store, Store)


def test_sqlite_absolute_url(tmp_path: Path) -> None:
    store = create_store(f"sqlite://{tmp_path}/state.db")
    assert isinstance(store, SqliteStore)
    assert isinstance(store, Store)
    assert store.path == f"{tmp_path}/state.db"
    assert store.path.startswith("/")


def test_sqlite_url_with_an_absolute_path_after_three_slashes(tmp_path: Path) -> None:
    store = create_store(f"sqlite:///{tmp_path}/state.db")  # four slashes in all
    assert isinstance(store, SqliteStore)
    assert store.path == f"{tmp_path}/state.db"


def test_sqlite_relative_url() -> None:
    store = create_store("sqlite://data/state.db")
    assert isinstance(store, SqliteStore)
    assert store.path == "data/state.db"


def test_sqlite_url_options(tmp_path: Path) -> None:
    store = create_store(f"sqlite://{tmp_path}/s.db?synchronous=full&readers=3")
    assert isinstance(store, SqliteStore)
    assert store.path == f"{tmp_path}/s.db"
    with pytest.raises(ValueError, match="unknown option"):
        create_store(f"sqlite://{tmp_path}/s.db?journal=off")
    with pytest.raises(ValueError, match="synchronous"):
        create_store(f"sqlite://{tmp_path}/s.db?synchronous=sometimes")


def test_etcd_is_not_available_yet() -> None:
    with pytest.raises(ValueError, match="etcd backend not available yet"):
        create_store("etcd://127.0.0.1:2379")


@pytest.mark.parametrize("url", ["", "state.db", "sqlite://", "postgres://db", "memory"])
def test_invalid_urls(url: str) -> None:
    with pytest.raises(ValueError):
        create_store(url)


async def test_created_sqlite_store_works(tmp_path: Path) -> None:
    store = create_store(f"sqlite://{tmp_path}/nested/dir/state.db")
    await store.start()
    try:
        kv = await store.create("/k", b"v")
        assert await store.get("/k") == kv
    finally:
        await store.close()
    assert (tmp_path / "nested" / "dir" / "state.db").exists()
