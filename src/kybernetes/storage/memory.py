"""MemoryStore: an in-memory Store with the full etcd semantics of the protocol.

Every key keeps its list of versions (``(revision, KeyValue | None)``, ``None`` = deleted)
so reads at a past revision work; an ordered event history serves watches from a past
revision; compaction drops superseded versions and old events. Used by unit tests and
wherever nothing needs to survive the process.
"""

from __future__ import annotations

import bisect
from collections.abc import AsyncIterator

from kybernetes.storage.common import WatchFanout, check_key, check_value, prefix_end
from kybernetes.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RangeResult,
    StoreClosedError,
    WatchEvent,
)

_Version = tuple[int, KeyValue | None]


class MemoryStore:
    def __init__(self) -> None:
        self._rev = 0
        self._compacted = 0
        self._latest: dict[str, KeyValue] = {}
        self._versions: dict[str, list[_Version]] = {}
        self._sorted_keys: list[str] = []  # every key with at least one version, sorted
        self._history: list[WatchEvent] = []  # events in revision order, from the compacted revision
        self._fanout = WatchFanout()
        self._started = False
        self._closed = False

    def __repr__(self) -> str:
        return f"MemoryStore(revision={self._rev}, keys={len(self._latest)})"

    # lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._closed:
            raise StoreClosedError("store is closed")
        self._started = True

    async def close(self) -> None:
        self._closed = True
        self._fanout.close()

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError("store is closed")
        if not self._started:
            raise StoreClosedError("store is not started")

    # reads -----------------------------------------------------------------------------

    async def current_revision(self) -> int:
        self._check_open()
        return self._rev

    async def compacted_revision(self) -> int:
        self._check_open()
        return self._compacted

    def _read_revision(self, revision: int) -> int:
        if revision <= 0:
            return self._rev
        if revision > self._rev:
            raise FutureRevisionError(revision, self._rev)
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        return revision

    def _at(self, key: str, revision: int) -> KeyValue | None:
        if revision == self._rev:
            return self._latest.get(key)
        versions = self._versions.get(key)
        if not versions:
            return None
        i = bisect.bisect_right(versions, revision, key=lambda v: v[0])
        return versions[i - 1][1] if i else None

    async def get(self, key: str, revision: int = 0) -> KeyValue | None:
        self._check_open()
        return self._at(key, self._read_revision(revision))

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0
    ) -> RangeResult:
        self._check_open()
        rev = self._read_revision(revision)
        low = max(prefix, start_key)
        high = prefix_end(prefix)
        keys = self._sorted_keys
        kvs: list[KeyValue] = []
        count = 0
        for i in range(bisect.bisect_left(keys, low), len(keys)):
            key = keys[i]
            if high is not None and key >= high:
                break
            kv = self._at(key, rev)
            if kv is None:
                continue
            count += 1
            if limit <= 0 or len(kvs) < limit:
                kvs.append(kv)
        return RangeResult(kvs=kvs, more=count > len(kvs), revision=rev, count=count)

    # writes ----------------------------------------------------------------------------

    def _record(self, key: str, kv: KeyValue | None, event: WatchEvent) -> None:
        versions = self._versions.get(key)
        if versions is None:
            self._versions[key] = [(self._rev, kv)]
            bisect.insort(self._sorted_keys, key)
        else:
            versions.append((self._rev, kv))
        if kv is None:
            self._latest.pop(key, None)
        else:
            self._latest[key] = kv
        self._history.append(event)
        self._fanout.publish((event,))

    async def create(self, key: str, value: bytes) -> KeyValue:
        self._check_open()
        check_key(key)
        value = check_value(value)
        current = self._latest.get(key)
        if current is not None:
            raise KeyExistsError(key, current)
        self._rev += 1
        kv = KeyValue(key, value, self._rev, self._rev)
        self._record(key, kv, WatchEvent("PUT", kv, None))
        return kv

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        self._check_open()
        check_key(key)
        value = check_value(value)
        current = self._latest.get(key)
        if current is None:
            raise KeyNotFoundError(key)
        if current.mod_revision != expected_mod_revision:
            raise ConflictError(key, current)
        self._rev += 1
        kv = KeyValue(key, value, current.create_revision, self._rev)
        self._record(key, kv, WatchEvent("PUT", kv, current))
        return kv

    async def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        self._check_open()
        check_key(key)
        current = self._latest.get(key)
        if current is None:
            raise KeyNotFoundError(key)
        if expected_mod_revision is not None and current.mod_revision != expected_mod_revision:
            raise ConflictError(key, current)
        self._rev += 1
        tombstone = KeyValue(key, b"", 0, self._rev)
        self._record(key, None, WatchEvent("DELETE", tombstone, current))
        return current

    # watch -----------------------------------------------------------------------------

    def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        self._check_open()
        start = start_revision if start_revision > 0 else self._rev + 1
        return self._watch(prefix, start)

    async def _watch(self, prefix: str, start: int) -> AsyncIterator[WatchEvent]:
        if self._closed:
            return
        if start <= self._compacted:
            raise CompactedError(start, self._compacted)
        watcher = self._fanout.register(prefix)
        try:
            # Everything up to the current revision comes from the history, everything after
            # from the watcher (registered in the same step, so no gap and no duplicate).
            history = self._history
            i = bisect.bisect_left(history, start, key=lambda e: e.kv.mod_revision)
            replay = [e for e in history[i:] if e.kv.key.startswith(prefix)]
            for event in replay:
                yield event
            async for event in watcher.follow(start):
                yield event
        finally:
            self._fanout.unregister(watcher)

    # compaction ------------------------------------------------------------------------

    async def compact(self, revision: int) -> None:
        self._check_open()
        if revision <= self._compacted:
            return
        if revision > self._rev:
            raise FutureRevisionError(revision, self._rev)
        self._compacted = revision
        emptied: list[str] = []
        for key, versions in self._versions.items():
            # keep the version current at `revision` and everything after it
            i = bisect.bisect_right(versions, revision, key=lambda v: v[0])
            keep_from = i - 1 if i else 0
            if i and versions[i - 1][1] is None:
                keep_from = i  # deleted as of `revision`: its tombstone is not needed
            if keep_from:
                del versions[:keep_from]
            if not versions:
                emptied.append(key)
        for key in emptied:
            del self._versions[key]
        if emptied:
            gone = set(emptied)
            self._sorted_keys = [k for k in self._sorted_keys if k not in gone]
        i = bisect.bisect_left(self._history, revision, key=lambda e: e.kv.mod_revision)
        del self._history[:i]
