"""The watch cache: every resource's objects in memory, fed by one store watch.

Lists and watches are served from here, so many watchers cost the store nothing.

One :class:`CacheDispatcher` runs a single watch on ``/registry/`` and routes each event
to the :class:`WatchCache` of the resource whose prefix the key starts with. Because the
store's revisions are gap-free and every key lives under ``/registry/``, the dispatcher's
``revision`` is a global progress mark: once it reaches R, every cache holds every write
up to R (this is what etcd's progress notifications give upstream's cacher).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from kybernetes.storage.interface import KeyValue, Store, WatchEvent
from kybernetes.util.aio import TaskGroup

log = logging.getLogger(__name__)

REGISTRY_ROOT = "/registry/"
DEFAULT_HISTORY = 20_000
WATCHER_BUFFER_LIMIT = 50_000


class TooOldResourceVersionError(Exception):
    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"too old resource version: {requested} ({oldest})")
        self.requested = requested
        self.oldest = oldest


class CachedObject:
    """An object as served, shared by every reader.

    Cache entries hold only the encoded JSON (with metadata.resourceVersion spliced in) and
    what selectors need (labels, selectable fields): a decoded dict costs about five times
    its JSON in Python, and the cache holds every object of the cluster. ``obj`` decodes on
    each access (bind it once); objects built per request may carry their dict instead.
    """

    __slots__ = ("_fields", "_json", "_labels", "_lines", "_obj", "key", "rv")

    def __init__(
        self,
        key: str,
        obj: dict[str, Any] | None,
        rv: int,
        raw: bytes | None = None,
        labels: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        self.key = key
        self._obj = obj
        self.rv = rv
        self._json = raw
        self._labels = labels
        self._fields = fields
        self._lines: dict[str, bytes] | None = None

    def event_line(self, type_: str) -> bytes:
        """`{"type":...,"object":...}` and a newline, built once per event type and shared by watchers."""
        lines = self._lines
        if lines is None:
            lines = self._lines = {}
        line = lines.get(type_)
        if line is None:
            line = lines[type_] = b'{"type":"' + type_.encode() + b'","object":' + self.json() + b"}\n"
        return line

    def json(self) -> bytes:
        if self._json is None:
            self._json = orjson.dumps(self._obj)
        return self._json

    @property
    def obj(self) -> dict[str, Any]:
        """The object (read-only by convention); decoded from JSON when not held."""
        if self._obj is not None:
            return self._obj
        out: dict[str, Any] = orjson.loads(self.json())
        return out

    def copy(self) -> dict[str, Any]:
        """A private deep copy the caller may change."""
        out: dict[str, Any] = orjson.loads(self.json())
        return out

    @property
    def namespace(self) -> str:
        ns: str = self.obj.get("metadata", {}).get("namespace", "")
        return ns

    @property
    def labels(self) -> dict[str, str]:
        if self._labels is None:
            self._labels = self.obj.get("metadata", {}).get("labels") or {}
        return self._labels

    def fields(self, fields_fn: FieldsFn | None) -> dict[str, str]:
        if self._fields is None:
            self._fields = fields_fn(self.obj) if fields_fn is not None else {}
        return self._fields


FieldsFn = Callable[[dict[str, Any]], dict[str, str]]

_META = b'"metadata":{'


def stamp_json(value: bytes, rv: int) -> bytes:
    """Splice metadata.resourceVersion into a stored value (metadata is the first object key)."""
    i = value.find(_META)
    if i < 0:
        obj = orjson.loads(value)
        obj.setdefault("metadata", {})["resourceVersion"] = str(rv)
        return orjson.dumps(obj)
    j = i + len(_META)
    sep = b"" if value[j : j + 1] == b"}" else b","
    return value[:j] + b'"resourceVersion":"' + str(rv).encode() + b'"' + sep + value[j:]


def decode_kv(kv: KeyValue, rv: int | None = None) -> CachedObject:
    """Decode a stored value, stamping metadata.resourceVersion with the key's mod revision."""
    obj = orjson.loads(kv.value)
    rev = kv.mod_revision if rv is None else rv
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    meta["resourceVersion"] = str(rev)
    return CachedObject(kv.key, obj, rev)


def _entry(key: str, value: bytes, rv: int, fields_fn: FieldsFn | None) -> CachedObject:
    """A compact cache entry: stamped JSON plus labels and selectable fields."""
    obj = orjson.loads(value)
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    fields = fields_fn(obj) if fields_fn is not None else {}
    return CachedObject(key, None, rv, stamp_json(value, rv), labels, fields)


@dataclass(slots=True)
class CacheEvent:
    type: str  # ADDED, MODIFIED, DELETED
    obj: CachedObject  # the new state; for DELETED the last state, stamped with the delete revision
    prev: CachedObject | None
    rv: int


WatchFilter = Callable[[CachedObject], bool]


def _wake_up(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


# After the first event of a quiet period, a watcher waits a moment for more before writing: one
# wake-up and one (TLS) write per batch instead of per event. The moment grows with the number of
# open watches (the server's fan-out work), from nothing for a few up to COALESCE_MAX_SECONDS.
COALESCE_PER_WATCHER_SECONDS = 0.0001
COALESCE_MAX_SECONDS = 0.05
_open_watchers = 0


def coalesce_seconds() -> float:
    return min(COALESCE_MAX_SECONDS, _open_watchers * COALESCE_PER_WATCHER_SECONDS)


class CacheWatcher:
    """One client's watch: a cursor into its cache's event history, a filter, and a small buffer
    for the events replayed at its start.

    Events are not pushed to every watcher: a watcher reads the shared history from its cursor
    when it wakes, so an event costs only the wake-ups of the watchers waiting right then.
    """

    __slots__ = ("_waiter", "buffer", "cache", "closed", "cursor", "key_prefix", "matches", "overflowed")

    def __init__(self, key_prefix: str, matches: WatchFilter | None) -> None:
        self.key_prefix = key_prefix  # e.g. the namespace's prefix, or the resource prefix
        self.matches = matches
        self.buffer: list[tuple[str, CachedObject]] = []
        self.closed = False
        self.overflowed = False
        self.cache: WatchCache | None = None
        self.cursor = 0  # the sequence number of the last history event read
        self._waiter: asyncio.Future[None] | None = None

    def filter(self, ev: CacheEvent) -> tuple[str, CachedObject] | None:
        """The event as this watcher sees it (selector transitions become ADDED/DELETED), or None."""
        if not ev.obj.key.startswith(self.key_prefix):
            return None
        m = self.matches
        if m is None:
            return ev.type, ev.obj
        cur = m(ev.obj) if ev.type != "DELETED" else False
        was = m(ev.prev) if ev.prev is not None else False
        if ev.type == "DELETED":
            return ("DELETED", ev.obj) if was else None
        if cur and was:
            return "MODIFIED", ev.obj
        if cur:
            return "ADDED", ev.obj
        if was:
            # moved out of the selection: a DELETED event carrying the new state, as upstream
            return "DELETED", ev.obj
        return None

    def offer(self, ev: CacheEvent) -> None:
        """Queue a replayed event (from before the watcher's cursor)."""
        if self.closed:
            return
        seen = self.filter(ev)
        if seen is not None:
            self.buffer.append(seen)
            if len(self.buffer) > WATCHER_BUFFER_LIMIT:
                self.overflowed = True
                self.closed = True

    def wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def close(self) -> None:
        self.closed = True
        self.wake()

    def _drain(self) -> list[tuple[str, CachedObject]]:
        out, self.buffer = self.buffer, []
        cache = self.cache
        if cache is None or self.cursor >= cache.seq:
            return out
        hist = cache.history
        first_seq = cache.seq - len(hist) + 1
        if self.cursor + 1 < first_seq:
            # the history moved past this watcher: end it, the client relists (as upstream drops slow watchers)
            self.overflowed = True
            self.closed = True
            return out
        for i in range(self.cursor + 1 - first_seq, len(hist)):
            seen = self.filter(hist[i])
            if seen is not None:
                out.append(seen)
        self.cursor = cache.seq
        return out

    async def next_batch(self, timeout: float | None) -> list[tuple[str, CachedObject]]:
        """Wait for events (then a moment more, to batch them); returns [] on timeout or close."""
        batch = self._drain()
        if batch or self.closed:
            return batch
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiter = fut
        cache = self.cache
        if cache is not None:
            cache.waiting.add(self)
        timer = loop.call_later(timeout, _wake_up, fut) if timeout is not None else None
        try:
            await fut
        finally:
            self._waiter = None
            if cache is not None:
                cache.waiting.discard(self)
            if timer is not None:
                timer.cancel()
        delay = coalesce_seconds()
        if not self.closed and delay >= 0.001 and cache is not None and self.cursor < cache.seq:
            await asyncio.sleep(delay)
        return self._drain()


class WatchCache:
    """The objects under one storage prefix, with a bounded history of recent events."""

    def __init__(self, prefix: str, history: int = DEFAULT_HISTORY, fields_fn: FieldsFn | None = None) -> None:
        self.prefix = prefix
        self.fields_fn = fields_fn
        self.objects: dict[str, CachedObject] = {}
        self.history: deque[CacheEvent] = deque(maxlen=history)
        # events with rv > oldest_rv are all in history (or there were none)
        self.oldest_rv = 0
        self.watchers: set[CacheWatcher] = set()
        self.waiting: set[CacheWatcher] = set()  # watchers blocked in next_batch
        self.seq = 0  # how many events were ever appended to history (the last one's sequence number)
        self._pending: list[WatchEvent] | None = []  # events seen before the initial list landed

    def load(self, kvs: list[KeyValue], revision: int) -> None:
        for kv in kvs:
            self.objects[kv.key] = _entry(kv.key, kv.value, kv.mod_revision, self.fields_fn)
        self.oldest_rv = revision
        pending, self._pending = self._pending or [], None
        for ev in pending:
            if ev.revision > revision:
                self.apply(ev)

    @property
    def ready(self) -> bool:
        return self._pending is None

    def apply(self, ev: WatchEvent) -> None:
        if self._pending is not None:
            self._pending.append(ev)
            return
        key = ev.kv.key
        prev = self.objects.get(key)
        if ev.type == "PUT":
            obj = _entry(key, ev.kv.value, ev.revision, self.fields_fn)
            self.objects[key] = obj
            cev = CacheEvent("MODIFIED" if prev is not None else "ADDED", obj, _shell(prev), ev.revision)
        else:
            if prev is None and ev.prev_kv is not None:
                prev = _entry(key, ev.prev_kv.value, ev.prev_kv.mod_revision, self.fields_fn)
            self.objects.pop(key, None)
            if prev is None:
                return
            # the last state, stamped with the delete's revision
            assert ev.prev_kv is not None or prev._json is not None
            raw = ev.prev_kv.value if ev.prev_kv is not None else None
            last_json = stamp_json(raw, ev.revision) if raw is not None else _restamp(prev.json(), ev.revision)
            last = CachedObject(key, None, ev.revision, last_json, prev._labels, prev._fields)
            cev = CacheEvent("DELETED", last, _shell(prev), ev.revision)
        if len(self.history) == self.history.maxlen:
            self.oldest_rv = self.history[0].rv
        self.history.append(cev)
        self.seq += 1
        if self.waiting:
            key = cev.obj.key
            for w in [w for w in self.waiting if key.startswith(w.key_prefix)]:
                self.waiting.discard(w)
                w.wake()

    def list(self, key_prefix: str) -> list[CachedObject]:
        """Objects whose key starts with key_prefix, sorted by key (as a store range would be)."""
        if key_prefix == self.prefix:
            items = list(self.objects.values())
        else:
            items = [o for k, o in self.objects.items() if k.startswith(key_prefix)]
        items.sort(key=lambda o: o.key)
        return items

    def get(self, key: str) -> CachedObject | None:
        return self.objects.get(key)

    def events_since(self, rv: int) -> Iterator[CacheEvent]:
        if rv < self.oldest_rv:
            raise TooOldResourceVersionError(rv, self.oldest_rv + 1)
        # history is ordered; skip quickly from the right end when rv is recent
        hist = self.history
        if not hist or hist[-1].rv <= rv:
            return iter(())
        if hist[0].rv > rv:
            return iter(hist)
        lo, hi = 0, len(hist)
        while lo < hi:
            mid = (lo + hi) // 2
            if hist[mid].rv <= rv:
                lo = mid + 1
            else:
                hi = mid
        return (hist[i] for i in range(lo, len(hist)))

    def add_watcher(self, w: CacheWatcher) -> None:
        """Register a watcher; it reads every event after this moment (replays go through offer)."""
        global _open_watchers
        if w not in self.watchers:
            _open_watchers += 1
        w.cache = self
        w.cursor = self.seq
        self.watchers.add(w)

    def remove_watcher(self, w: CacheWatcher) -> None:
        global _open_watchers
        if w in self.watchers:
            _open_watchers -= 1
        self.watchers.discard(w)
        self.waiting.discard(w)


def _shell(c: CachedObject | None) -> CachedObject | None:
    """What history keeps of a previous state: key, labels and fields (selectors), not its JSON."""
    if c is None:
        return None
    return CachedObject(c.key, None, c.rv, b"", c._labels, c._fields)


def _restamp(value: bytes, rv: int) -> bytes:
    obj = orjson.loads(value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(rv)
    return orjson.dumps(obj)


@dataclass
class CacheDispatcher:
    """Runs the one store watch and keeps every WatchCache up to date."""

    store: Store
    history: int = DEFAULT_HISTORY
    fields_fns: dict[str, FieldsFn] = field(default_factory=dict)
    caches: dict[str, WatchCache] = field(default_factory=dict)
    revision: int = 0
    _tasks: TaskGroup = field(default_factory=lambda: TaskGroup("watchcache"))
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)
    _started: bool = False

    async def start(self, prefixes: list[str]) -> None:
        rev = await self.store.current_revision()
        for p in prefixes:
            self.caches.setdefault(p, WatchCache(p, self.history, self.fields_fns.get(p)))
        for p in prefixes:
            res = await self.store.range(p, revision=rev)
            self.caches[p].load(res.kvs, rev)
        self.revision = rev
        self._started = True
        self._tasks.spawn(self._run(rev + 1), "dispatch")

    async def add_prefix(self, prefix: str, fields_fn: FieldsFn | None = None) -> WatchCache:
        """Add a cache at run time (CRDs); safe against writes that land meanwhile."""
        if prefix in self.caches:
            return self.caches[prefix]
        cache = WatchCache(prefix, self.history, fields_fn)
        self.caches[prefix] = cache  # buffers events from now on
        rev = self.revision
        res = await self.store.range(prefix, revision=rev)
        cache.load(res.kvs, rev)
        return cache

    def remove_prefix(self, prefix: str) -> None:
        cache = self.caches.pop(prefix, None)
        if cache:
            for w in list(cache.watchers):
                w.close()

    async def _run(self, start: int) -> None:
        async for ev in self.store.watch(REGISTRY_ROOT, start):
            cache = self._route(ev.kv.key)
            if cache is not None:
                try:
                    cache.apply(ev)
                except Exception:  # a corrupt value must not stop every cache
                    log.exception("watch cache: cannot apply event for %s", ev.kv.key)
            self.revision = ev.revision
            if self._waiters:
                self._wake_waiters()

    def _route(self, key: str) -> WatchCache | None:
        # /registry/<a>/<b>/... : the prefix is /registry/<a>/ or /registry/<a>/<b>/
        i = key.find("/", len(REGISTRY_ROOT))
        if i < 0:
            return None
        c = self.caches.get(key[: i + 1])
        if c is not None:
            return c
        j = key.find("/", i + 1)
        if j < 0:
            return None
        return self.caches.get(key[: j + 1])

    def _wake_waiters(self) -> None:
        keep = []
        for rv, fut in self._waiters:
            if self.revision >= rv:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((rv, fut))
        self._waiters = keep

    async def wait_for(self, rv: int, timeout: float = 3.0) -> bool:
        """Wait until every write up to rv is in the caches. False on timeout."""
        if self.revision >= rv:
            return True
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((rv, fut))
        try:
            await asyncio.wait_for(fut, timeout)
            return True
        except TimeoutError:
            return False

    async def wait_fresh(self, timeout: float = 3.0) -> bool:
        """Wait until the caches hold every write acknowledged so far (a consistent read)."""
        return await self.wait_for(await self.store.current_revision(), timeout)

    async def close(self) -> None:
        for c in self.caches.values():
            for w in list(c.watchers):
                w.close()
        await self._tasks.close()
