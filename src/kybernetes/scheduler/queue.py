"""The scheduling queue (pkg/scheduler/backend/queue/scheduling_queue.go).

- activeQ: pods ready to be tried, ordered by the QueueSort plugin (PrioritySort);
- backoffQ: pods that failed recently, released when their exponential backoff (1s -> 10s) ends;
- unschedulablePods: pods that did not fit, moved back on a cluster event (a Node added or updated,
  a pod deleted) or after podMaxInUnschedulablePodsDuration."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from kybernetes.scheduler.framework import Obj, pod_key

DEFAULT_POD_INITIAL_BACKOFF = 1.0
DEFAULT_POD_MAX_BACKOFF = 10.0
DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0

# cluster events (framework.ClusterEvent labels)
NODE_ADD = "NodeAdd"
NODE_UPDATE = "NodeUpdate"
ASSIGNED_POD_ADD = "AssignedPodAdd"
ASSIGNED_POD_DELETE = "AssignedPodDelete"
UNSCHEDULABLE_TIMEOUT = "UnschedulableTimeout"


@dataclass
class QueuedPodInfo:
    pod: Obj
    key: str
    timestamp: float
    initial_attempt_timestamp: float
    attempts: int = 0
    unschedulable_plugins: set[str] = field(default_factory=set)
    backoff_expiration: float = 0.0


LessFunc = Callable[[Any, Any], bool]


class _Entry:
    __slots__ = ("less", "qp")

    def __init__(self, qp: QueuedPodInfo, less: LessFunc) -> None:
        self.qp = qp
        self.less = less

    def __lt__(self, other: _Entry) -> bool:
        return self.less(self.qp, other.qp)


class SchedulingQueue:
    def __init__(
        self,
        less: LessFunc,
        *,
        initial_backoff: float = DEFAULT_POD_INITIAL_BACKOFF,
        max_backoff: float = DEFAULT_POD_MAX_BACKOFF,
        max_in_unschedulable: float = DEFAULT_POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.less = less
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self.clock = clock
        self._active: list[_Entry] = []
        self._active_keys: dict[str, QueuedPodInfo] = {}
        self._backoff: list[tuple[float, int, str]] = []
        self._backoff_keys: dict[str, QueuedPodInfo] = {}
        self.unschedulable: dict[str, tuple[QueuedPodInfo, float]] = {}
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        self._closed = False
        self.scheduling_cycle = 0
        self.move_request_cycle = -1

    # --- sizes ---------------------------------------------------------------------------------
    def active_len(self) -> int:
        return len(self._active_keys)

    def backoff_len(self) -> int:
        return len(self._backoff_keys)

    def __len__(self) -> int:
        return len(self._active_keys) + len(self._backoff_keys) + len(self.unschedulable)

    def __contains__(self, key: str) -> bool:
        return key in self._active_keys or key in self._backoff_keys or key in self.unschedulable

    # --- helpers -------------------------------------------------------------------------------
    def _notify(self) -> None:
        self._wakeup.set()

    def _push_active(self, qp: QueuedPodInfo) -> None:
        self._active_keys[qp.key] = qp
        heapq.heappush(self._active, _Entry(qp, self.less))

    def _push_backoff(self, qp: QueuedPodInfo) -> None:
        qp.backoff_expiration = qp.timestamp + self.backoff_duration(qp)
        self._backoff_keys[qp.key] = qp
        heapq.heappush(self._backoff, (qp.backoff_expiration, next(self._seq), qp.key))

    def backoff_duration(self, qp: QueuedPodInfo) -> float:
        d = self.initial_backoff
        for _ in range(1, qp.attempts):
            d *= 2
            if d >= self.max_backoff:
                return self.max_backoff
        return min(d, self.max_backoff)

    def is_backing_off(self, qp: QueuedPodInfo) -> bool:
        return qp.attempts > 0 and qp.timestamp + self.backoff_duration(qp) > self.clock()

    def _discard(self, key: str) -> QueuedPodInfo | None:
        qp = self._active_keys.pop(key, None) or self._backoff_keys.pop(key, None)
        if qp is None:
            entry = self.unschedulable.pop(key, None)
            qp = entry[0] if entry else None
        return qp

    # --- API -----------------------------------------------------------------------------------
    def add(self, pod: Obj) -> None:
        """A new pending pod: straight into activeQ."""
        key = pod_key(pod)
        if key in self._in_flight:
            self._in_flight[key].pod = pod
            return
        old = self._discard(key)
        now = self.clock()
        qp = old or QueuedPodInfo(pod, key, now, now)
        qp.pod = pod
        self._push_active(qp)
        self._notify()

    def update(self, pod: Obj) -> None:
        key = pod_key(pod)
        if key in self._in_flight:
            self._in_flight[key].pod = pod
            return
        if key in self._active_keys:
            self._active_keys[key].pod = pod
            return
        if key in self._backoff_keys:
            self._backoff_keys[key].pod = pod
            return
        entry = self.unschedulable.get(key)
        if entry is not None:
            # an update may make it schedulable: try again (respecting backoff)
            qp = entry[0]
            qp.pod = pod
            del self.unschedulable[key]
            if self.is_backing_off(qp):
                self._push_backoff(qp)
            else:
                self._push_active(qp)
                self._notify()
            return
        self.add(pod)

    def delete(self, pod: Obj) -> None:
        key = pod_key(pod)
        self._discard(key)
        self._in_flight.pop(key, None)

    async def pop(self, timeout: float | None = None) -> QueuedPodInfo | None:
        """The next pod from activeQ (waits); None when closed or on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            self.flush_backoff_completed()
            while self._active:
                entry = heapq.heappop(self._active)
                qp = entry.qp
                if self._active_keys.get(qp.key) is not qp:
                    continue  # stale heap entry
                del self._active_keys[qp.key]
                qp.attempts += 1
                self.scheduling_cycle += 1
                self._in_flight[qp.key] = qp
                return qp
            if self._closed:
                return None
            wait = 1.0
            if self._backoff:
                wait = max(0.0, min(wait, self._backoff[0][0] - self.clock()))
            if deadline is not None:
                left = deadline - loop.time()
                if left <= 0:
                    return None
                wait = min(wait, left)
            self._wakeup.clear()
            if self._active or self._closed:
                continue
            try:
                await asyncio.wait_for(self._wakeup.wait(), wait + 0.001)
            except TimeoutError:
                pass

    def done(self, key: str) -> None:
        """The pod's scheduling attempt has ended (bound, or put back)."""
        self._in_flight.pop(key, None)

    def add_unschedulable_if_not_present(self, qp: QueuedPodInfo, pod_scheduling_cycle: int) -> None:
        """After a failed attempt: to backoffQ if a move request came during the attempt, else to
        unschedulablePods."""
        self._in_flight.pop(qp.key, None)
        if qp.key in self:
            return
        qp.timestamp = self.clock()
        if self.move_request_cycle >= pod_scheduling_cycle:
            self._push_backoff(qp)
        else:
            self.unschedulable[qp.key] = (qp, qp.timestamp)

    def add_backoff(self, qp: QueuedPodInfo) -> None:
        """After an error (e.g. a failed binding): retry after the backoff."""
        self._in_flight.pop(qp.key, None)
        if qp.key in self:
            return
        qp.timestamp = self.clock()
        self._push_backoff(qp)

    def flush_backoff_completed(self) -> None:
        now = self.clock()
        moved = False
        while self._backoff and self._backoff[0][0] <= now:
            _, _, key = heapq.heappop(self._backoff)
            qp = self._backoff_keys.get(key)
            if qp is None or qp.backoff_expiration > now:
                continue
            del self._backoff_keys[key]
            self._push_active(qp)
            moved = True
        if moved:
            self._notify()

    def flush_unschedulable_left_over(self) -> None:
        now = self.clock()
        stale = [qp for qp, t in self.unschedulable.values() if now - t > self.max_in_unschedulable]
        if stale:
            self._move(stale)

    def move_all_to_active_or_backoff(self, event: str, plugins: AbstractSet[str] | None = None) -> None:
        """A cluster event that may make unschedulable pods schedulable: move the pods that some
        plugin in ``plugins`` rejected (all pods when ``plugins`` is None, or when nothing recorded
        which plugin rejected a pod)."""
        self.move_request_cycle = self.scheduling_cycle
        if self.unschedulable:
            self._move(
                [
                    qp
                    for qp, _ in self.unschedulable.values()
                    if plugins is None or not qp.unschedulable_plugins or qp.unschedulable_plugins & plugins
                ]
            )

    def _move(self, pods: list[QueuedPodInfo]) -> None:
        activated = False
        for qp in pods:
            self.unschedulable.pop(qp.key, None)
            if self.is_backing_off(qp):
                self._push_backoff(qp)
            else:
                self._push_active(qp)
                activated = True
        if activated:
            self._notify()

    def pending_pods(self) -> list[Obj]:
        return (
            [qp.pod for qp in self._active_keys.values()]
            + [qp.pod for qp in self._backoff_keys.values()]
            + [qp.pod for qp, _ in self.unschedulable.values()]
        )

    def close(self) -> None:
        self._closed = True
        self._notify()
