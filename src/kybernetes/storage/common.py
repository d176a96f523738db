"""Pieces shared by the storage backends: the in-process watch fan-out and key-range helpers.

The fan-out lives on the event loop. A backend publishes each committed batch of events
(in revision order) with :meth:`WatchFanout.publish`; every registered watcher whose prefix
matches receives them in its own buffer and is woken. Watchers are indexed by prefix: for
prefixes that are empty or end with ``/`` (what Kubernetes uses) an event is routed with
one dict lookup per ``/`` of its key, however many watchers there are.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from kybernetes.storage.interface import WatchEvent


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``.

    ``None`` when there is no such bound (empty prefix, or only U+10FFFF characters).
    The order is code point order, which is also the byte order of UTF-8 (SQLite's BINARY).
    """
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < 0x10FFFF:
            code += 1
            if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be encoded; skip them
                code = 0xE000
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def check_value(value: bytes) -> bytes:
    """Values are bytes; accept bytearray/memoryview by copying, reject anything else."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"value must be bytes, not {type(value).__name__}")


def check_key(key: str) -> str:
    if type(key) is not str or not key:
        raise TypeError(f"key must be a non-empty str, got {key!r}")
    return key


class Watcher:
    """One live watch's buffer. Filled by :class:`WatchFanout`, drained by the watch iterator."""

    __slots__ = ("_waiter", "buffer", "closed", "prefix")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.buffer: deque[WatchEvent] = deque()
        self.closed = False
        self._waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def push(self, event: WatchEvent) -> None:
        self.buffer.append(event)
        self._wake()

    def close(self) -> None:
        self.closed = True
        self._wake()

    async def follow(self, start: int) -> AsyncIterator[WatchEvent]:
        """The live events from revision ``start`` on, until the watcher is closed."""
        buffer = self.buffer
        while True:
            while buffer:
                event = buffer.popleft()
                if event.kv.mod_revision >= start:
                    yield event
            if self.closed:
                return
            await self.wait()

    async def wait(self) -> None:
        """Wait until the buffer is not empty or the watcher is closed."""
        if self.buffer or self.closed:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None


class WatchFanout:
    """Routes committed events to the registered watchers (event loop only, not thread-safe)."""

    def __init__(self) -> None:
        # prefix "" or ending with "/" -> watchers (fast routing)
        self._by_prefix: dict[str, set[Watcher]] = {}
        # any other prefix: checked with startswith for every event
        self._others: set[Watcher] = set()
        self.closed = False

    def __len__(self) -> int:
        return sum(len(ws) for ws in self._by_prefix.values()) + len(self._others)

    def register(self, prefix: str) -> Watcher:
        watcher = Watcher(prefix)
        if self.closed:
            watcher.close()
            return watcher
        if prefix == "" or prefix.endswith("/"):
            self._by_prefix.setdefault(prefix, set()).add(watcher)
        else:
            self._others.add(watcher)
        return watcher

    def unregister(self, watcher: Watcher) -> None:
        prefix = watcher.prefix
        if prefix == "" or prefix.endswith("/"):
            watchers = self._by_prefix.get(prefix)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._by_prefix[prefix]
        else:
            self._others.discard(watcher)

    def publish(self, events: Iterable[WatchEvent]) -> None:
        by_prefix = self._by_prefix
        others = self._others
        if not by_prefix and not others:
            return
        everything = by_prefix.get("")
        for event in events:
            key = event.kv.key
            if everything:
                for w in everything:
                    w.push(event)
            if by_prefix:
                i = key.find("/")
                while i != -1:
                    watchers = by_prefix.get(key[: i + 1])
                    if watchers:
                        for w in watchers:
                            w.push(event)
                    i = key.find("/", i + 1)
            for w in others:
                if key.startswith(w.prefix):
                    w.push(event)

    def close(self) -> None:
        """End every watch (their iterators stop after the events already buffered)."""
        self.closed = True
        for watchers in self._by_prefix.values():
            for w in watchers:
                w.close()
        for w in self._others:
            w.close()
        self._by_prefix.clear()
        self._others.clear()
