"""An event recorder, as client-go's ``tools/record``.

``recorder.event(obj, "Normal", "Reason", "message")`` queues a core/v1 Event about
``obj`` and returns at once; a background task writes it. Repeats of the same event
(same involvedObject, type, reason, message and source) are aggregated as upstream's
EventCorrelator does: the first is created as ``<name>.<hex nanoseconds>``, later ones
PATCH that Event's ``count`` and ``lastTimestamp``. Events go to the object's namespace
(``default`` for cluster-scoped objects).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, Final

from kybernetes.client.rest import ApiError, Obj, RESTClient

log = logging.getLogger(__name__)

NORMAL: Final = "Normal"
WARNING: Final = "Warning"
_CACHE_SIZE: Final = 4096
_MAX_QUEUE: Final = 1000


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_reference(obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    ref: Obj = {
        "kind": obj.get("kind", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "name": meta.get("name", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    if meta.get("uid"):
        ref["uid"] = meta["uid"]
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    return ref


class EventRecorder:
    def __init__(self, client: RESTClient, component: str, host: str = "") -> None:
        self.client = client
        self.component = component
        self.host = host
        self._queue: asyncio.Queue[tuple[Obj, str, str, str, Obj | None]] = asyncio.Queue(_MAX_QUEUE)
        self._task: asyncio.Task[None] | None = None
        # aggregation key -> (namespace, event name, count)
        self._seen: OrderedDict[tuple[Any, ...], tuple[str, str, int]] = OrderedDict()

    def event(self, obj: Obj, type: str, reason: str, message: str, *, related: Obj | None = None) -> None:
        """Record an event about ``obj`` (asynchronously; dropped if the queue is full)."""
        if type not in (NORMAL, WARNING):
            log.error("unsupported event type: %r", type)
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"events/{self.component}")
        try:
            self._queue.put_nowait((object_reference(obj), type, reason, message, related))
        except asyncio.QueueFull:
            log.warning("event queue full, dropping event %s/%s: %s", type, reason, message)

    def eventf(self, obj: Obj, type: str, reason: str, fmt: str, *args: object) -> None:
        self.event(obj, type, reason, fmt % args if args else fmt)

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued event has been written."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)

    async def close(self, timeout: float = 5.0) -> None:
        await self.flush(timeout)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            ref, etype, reason, message, related = await self._queue.get()
            try:
                await self._write(ref, etype, reason, message, related)
            except Exception as e:
                log.warning("unable to write event %s %s %s: %s", ref.get("name"), reason, message, e)
            finally:
                self._queue.task_done()

    async def _write(self, ref: Obj, etype: str, reason: str, message: str, related: Obj | None) -> None:
        namespace = ref.get("namespace") or "default"
        key = (
            namespace,
            ref.get("kind"),
            ref.get("name"),
            ref.get("uid"),
            ref.get("apiVersion"),
            etype,
            reason,
            message,
            self.component,
            self.host,
        )
        now = _now()
        prior = self._seen.get(key)
        if prior is not None:
            ns, name, count = prior
            try:
                await self.client.patch(
                    f"/api/v1/namespaces/{ns}/events/{name}",
                    {"count": count + 1, "lastTimestamp": now, "message": message},
                    "strategic",
                )
                self._remember(key, ns, name, count + 1)
                return
            except ApiError as e:
                if e.code != 404:
                    raise
                self._seen.pop(key, None)
        name = f"{ref.get('name', '')}.{time.time_ns():x}"
        source: Obj = {"component": self.component}
        if self.host:
            source["host"] = self.host
        ev: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": etype,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        if related is not None:
            ev["related"] = object_reference(related)
        created = await self.client.create(f"/api/v1/namespaces/{namespace}/events", ev)
        self._remember(key, namespace, created["metadata"]["name"], 1)

    def _remember(self, key: tuple[Any, ...], ns: str, name: str, count: int) -> None:
        self._seen[key] = (ns, name, count)
        self._seen.move_to_end(key)
        while len(self._seen) > _CACHE_SIZE:
            self._seen.popitem(last=False)


__all__ = ["NORMAL", "WARNING", "EventRecorder", "object_reference"]
