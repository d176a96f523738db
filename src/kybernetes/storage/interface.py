"""The Store protocol: a revisioned key/value store with etcd v3 semantics.

* One revision counter for the whole store; every successful write (create, update,
  delete) bumps it by exactly one and stamps the written key with it.
* A key's ``create_revision`` is the revision that created it; ``mod_revision`` the
  revision of its last write.
* ``range`` reads a consistent snapshot at a revision (0 = current): keys that start
  with a prefix, in byte order of the key, from ``start_key`` (inclusive), at most
  ``limit`` of them (0 = no limit); ``more`` tells whether keys were left out.
* ``create`` only succeeds if the key is absent; ``update`` and ``delete`` only if the
  key's mod revision equals the expected one (``delete`` with ``None`` is
  unconditional).
* ``watch`` yields every change under a prefix with revision >= ``start_revision``
  (etcd semantics: to see the changes *after* revision R, pass R + 1), in revision order,
  then follows live changes. A start revision at or below the compacted revision raises
  :class:`CompactedError`. Start revision 0 means "from now on": only changes after the
  current revision *at the time ``watch()`` is called* (not at the first iteration).
  A start revision beyond the current one is allowed (the watch waits for it).
* ``compact(rev)`` forgets the history of writes before ``rev``; reads at a revision
  below it raise :class:`CompactedError`. The current value of every key is kept, and so
  is each key's value as of ``rev`` (reads at ``rev`` itself still work).
  Compacting at or below the already compacted revision is a no-op; compacting beyond the
  current revision raises :class:`FutureRevisionError`.
* Reads (``get``/``range``) at a revision beyond the current one raise
  :class:`FutureRevisionError`.
* After ``close()`` every method raises :class:`StoreClosedError`; running watches end.

Keys are ``str`` (Kubernetes uses ``/registry/<group>/<resource>/<ns>/<name>``);
values are opaque ``bytes``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable


class StorageError(Exception):
    """Base class of the storage layer's errors."""


class KeyExistsError(StorageError):
    def __init__(self, key: str, current: KeyValue | None = None) -> None:
        super().__init__(f"key exists: {key}")
        self.key = key
        self.current = current


class KeyNotFoundError(StorageError):
    def __init__(self, key: str) -> None:
        super().__init__(f"key not found: {key}")
        self.key = key


class ConflictError(StorageError):
    """The key's mod revision did not match the expected one. ``current`` is its value now."""

    def __init__(self, key: str, current: KeyValue | None) -> None:
        super().__init__(f"revision conflict on {key}")
        self.key = key
        self.current = current


class CompactedError(StorageError):
    def __init__(self, requested: int, compacted: int) -> None:
        super().__init__(f"required revision {requested} has been compacted (compacted revision {compacted})")
        self.requested = requested
        self.compacted = compacted


class FutureRevisionError(StorageError):
    def __init__(self, requested: int, current: int) -> None:
        super().__init__(f"required revision {requested} is a future revision (current {current})")
        self.requested = requested
        self.current = current


class StoreClosedError(StorageError):
    pass


@dataclass(frozen=True, slots=True)
class KeyValue:
    key: str
    value: bytes
    create_revision: int
    mod_revision: int


@dataclass(frozen=True, slots=True)
class RangeResult:
    kvs: list[KeyValue]
    more: bool
    revision: int  # the revision the snapshot was read at
    count: int  # how many keys match the prefix from start_key at that revision (kvs + left out)


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: Literal["PUT", "DELETE"]
    # for DELETE: the key with empty value, create_revision 0 (as etcd) and
    # mod_revision = the delete's revision
    kv: KeyValue
    prev_kv: KeyValue | None  # the value before this event (None for a create)

    @property
    def revision(self) -> int:
        return self.kv.mod_revision

    @property
    def is_create(self) -> bool:
        return self.type == "PUT" and self.prev_kv is None


@runtime_checkable
class Store(Protocol):
    async def start(self) -> None:
        """Open files/connections; must be called before any other method."""
        ...

    async def close(self) -> None:
        """Flush and close. Running watches end (their iterators stop)."""
        ...

    async def current_revision(self) -> int: ...

    async def compacted_revision(self) -> int: ...

    async def get(self, key: str, revision: int = 0) -> KeyValue | None: ...

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0
    ) -> RangeResult: ...

    async def create(self, key: str, value: bytes) -> KeyValue:
        """Raises KeyExistsError if the key exists."""
        ...

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        """Raises KeyNotFoundError if absent, ConflictError if the mod revision differs."""
        ...

    async def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        """Returns the deleted key's last value (with its mod revision as it was).

        Raises KeyNotFoundError if absent, ConflictError if the mod revision differs.
        """
        ...

    def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        """Async iterator of changes; raises CompactedError (on first iteration) if too old."""
        ...

    async def compact(self, revision: int) -> None: ...
