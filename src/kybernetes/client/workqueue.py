"""Work queues as client-go's ``util/workqueue``.

* :class:`WorkQueue`: FIFO of keys with the two client-go guarantees: a key waiting in the
  queue is stored once however many times it is added (``dirty`` set), and a key being
  processed is never handed to a second worker: re-added while processing, it is queued
  again only when the worker calls :meth:`WorkQueue.done`.
* :class:`DelayingQueue`: adds :meth:`DelayingQueue.add_after`.
* :class:`RateLimitingQueue`: adds :meth:`RateLimitingQueue.add_rate_limited`,
  :meth:`RateLimitingQueue.forget` and :meth:`RateLimitingQueue.num_requeues` using a
  rate limiter; :func:`default_controller_rate_limiter` is the upstream default
  (per-item exponential 5 ms to 1000 s, and an overall 10 qps / 100 burst bucket).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

T = TypeVar("T", bound=Hashable)


class RateLimiter(Protocol[T]):  # type: ignore[misc]
    def when(self, item: T) -> float:
        """How long to wait before the item may be processed again."""
        ...

    def forget(self, item: T) -> None: ...

    def num_requeues(self, item: T) -> int: ...


class ItemExponentialFailureRateLimiter(Generic[T]):
    """``base * 2**failures`` capped at ``max_delay``, per item."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[T, int] = {}

    def when(self, item: T) -> float:
        n = self._failures.get(item, 0)
        self._failures[item] = n + 1
        if n > 62:
            return self.max_delay
        return float(min(self.base_delay * float(2**n), self.max_delay))

    def num_requeues(self, item: T) -> int:
        return self._failures.get(item, 0)

    def forget(self, item: T) -> None:
        self._failures.pop(item, None)


class BucketRateLimiter(Generic[T]):
    """A token bucket shared by all items (``qps`` refill, ``burst`` capacity): the delay is
    the time until the token reserved for this call is available."""

    def __init__(
        self, qps: float = 10.0, burst: int = 100, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def when(self, item: T) -> float:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.qps

    def num_requeues(self, item: T) -> int:
        return 0

    def forget(self, item: T) -> None:
        return None


class MaxOfRateLimiter(Generic[T]):
    """The longest delay of several limiters."""

    def __init__(self, *limiters: RateLimiter[T]) -> None:
        self.limiters = limiters

    def when(self, item: T) -> float:
        return max((lim.when(item) for lim in self.limiters), default=0.0)

    def num_requeues(self, item: T) -> int:
        return max((lim.num_requeues(item) for lim in self.limiters), default=0)

    def forget(self, item: T) -> None:
        for lim in self.limiters:
            lim.forget(item)


def default_controller_rate_limiter() -> MaxOfRateLimiter[T]:
    return MaxOfRateLimiter(ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(10.0, 100))


class WorkQueue(Generic[T]):
    """A deduplicating FIFO; see the module doc for the guarantees."""

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._queue: deque[T] = deque()
        self._dirty: set[T] = set()
        self._processing: set[T] = set()
        self._shutting_down = False
        # set whenever the queue may be non-empty (add is sync: it is called from informer handlers)
        self._event = asyncio.Event()

    def add(self, item: T) -> None:
        if self._shutting_down or item in self._dirty:
            return
        self._dirty.add(item)
        if item in self._processing:
            return
        self._queue.append(item)
        self._event.set()

    def __len__(self) -> int:
        return len(self._queue)

    def shutting_down(self) -> bool:
        return self._shutting_down

    def processing(self) -> frozenset[T]:
        return frozenset(self._processing)

    async def get(self) -> T | None:
        """The next item, marked as processing; ``None`` once the queue is shut down and empty."""
        while not self._queue:
            if self._shutting_down:
                return None
            self._event.clear()
            await self._event.wait()
        item = self._queue.popleft()
        self._processing.add(item)
        self._dirty.discard(item)
        if self._queue:
            self._event.set()
        return item

    def done(self, item: T) -> None:
        """Processing of ``item`` finished: if it was added meanwhile, queue it again."""
        self._processing.discard(item)
        if item in self._dirty:
            self._queue.append(item)
            self._event.set()

    def shutdown(self) -> None:
        """Refuse new items; waiting getters return ``None`` once the queue drains."""
        self._shutting_down = True
        self._event.set()


class DelayingQueue(WorkQueue[T]):
    """A work queue that can add an item after a delay (the earliest requested time wins)."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._waiting: dict[T, tuple[float, asyncio.TimerHandle]] = {}

    def add_after(self, item: T, delay: float) -> None:
        if self._shutting_down:
            return
        if delay <= 0:
            self.add(item)
            return
        loop = asyncio.get_running_loop()
        ready = loop.time() + delay
        cur = self._waiting.get(item)
        if cur is not None:
            if cur[0] <= ready:
                return
            cur[1].cancel()
        handle = loop.call_at(ready, self._fire, item)
        self._waiting[item] = (ready, handle)

    def _fire(self, item: T) -> None:
        self._waiting.pop(item, None)
        self.add(item)

    def waiting(self) -> int:
        return len(self._waiting)

    def shutdown(self) -> None:
        for _, handle in self._waiting.values():
            handle.cancel()
        self._waiting.clear()
        super().shutdown()


class RateLimitingQueue(DelayingQueue[T]):
    """A delaying queue with per-item back-off (client-go's ``TypedRateLimitingInterface``)."""

    def __init__(self, rate_limiter: RateLimiter[T] | None = None, name: str = "") -> None:
        super().__init__(name)
        self.rate_limiter: RateLimiter[T] = rate_limiter or default_controller_rate_limiter()

    def add_rate_limited(self, item: T) -> None:
        self.add_after(item, self.rate_limiter.when(item))

    def forget(self, item: T) -> None:
        """Stop tracking failures of ``item`` (call after a successful sync)."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.rate_limiter.num_requeues(item)


__all__ = [
    "BucketRateLimiter",
    "DelayingQueue",
    "ItemExponentialFailureRateLimiter",
    "MaxOfRateLimiter",
    "RateLimiter",
    "RateLimitingQueue",
    "WorkQueue",
    "default_controller_rate_limiter",
]
