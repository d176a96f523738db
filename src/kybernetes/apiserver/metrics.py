"""Prometheus metrics with upstream's names: requests, latencies, watchers, storage latency."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from kybernetes.api.resources import ResourceInfo
from kybernetes.storage.interface import KeyValue, RangeResult, Store, WatchEvent

_LATENCY_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60)
_STORAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self) -> None:
        self._children: dict[tuple[str, ...], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry(auto_describe=False)
        labels = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component", "code"]
        self.requests = Counter(
            "apiserver_request", "Counter of apiserver requests broken out for each verb, dry run value, group, "
            "version, resource, scope, component, and HTTP response code.", labels, registry=self.registry,
        )
        self.latency = Histogram(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, dry run value, group, version, resource, "
            "subresource, scope and component.",
            labels[:-1], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.watchers = Gauge(
            "apiserver_registered_watchers", "Number of currently registered watchers for a given resources",
            ["group", "version", "kind"], registry=self.registry,
        )
        self.longrunning = Gauge(
            "apiserver_longrunning_requests", "Gauge of all active long-running apiserver requests",
            ["verb", "group", "version", "resource", "scope", "component"], registry=self.registry,
        )
        self.storage_latency = Histogram(
            "etcd_request_duration_seconds", "Storage request latency in seconds for each operation and object type.",
            ["operation", "type"], buckets=_STORAGE_BUCKETS, registry=self.registry,
        )
        self.storage_objects = Gauge(
            "apiserver_storage_objects", "Number of stored objects at the time of last check split by kind.",
            ["resource"], registry=self.registry,
        )
        self.current_inflight = Gauge(
            "apiserver_current_inflight_requests", "Maximal number of currently used inflight request limit of "
            "this apiserver per request kind in last second.", ["request_kind"], registry=self.registry,
        )

    def observe_request(
        self, verb: str, dry_run: bool, group: str, version: str, resource: str, subresource: str, scope: str,
        code: int, seconds: float,
    ) -> None:
        lv = (verb, "All" if dry_run else "", group, version, resource, subresource, scope, "apiserver")
        key = (*lv, str(code))
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (self.requests.labels(*key), self.latency.labels(*lv))
        children[0].inc()
        if verb not in ("WATCH", "CONNECT"):
            children[1].observe(seconds)

    def watchers_inc(self, info: ResourceInfo) -> None:
        self.watchers.labels(info.group, info.version, info.kind).inc()

    def watchers_dec(self, info: ResourceInfo) -> None:
        self.watchers.labels(info.group, info.version, info.kind).dec()

    def render(self) -> bytes:
        out: bytes = generate_latest(self.registry)
        return out


def _type_of(key: str) -> str:
    parts = key.split("/")
    return parts[2] if len(parts) > 2 else key


class InstrumentedStore:
    """A Store that records the latency of every call (etcd_request_duration_seconds)."""

    def __init__(self, inner: Store, metrics: Metrics) -> None:
        self.inner = inner
        self.hist = metrics.storage_latency

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    async def current_revision(self) -> int:
        return await self.inner.current_revision()

    async def compacted_revision(self) -> int:
        return await self.inner.compacted_revision()

    async def get(self, key: str, revision: int = 0) -> KeyValue | None:
        t = time.perf_counter()
        try:
            return await self.inner.get(key, revision)
        finally:
            self.hist.labels("get", _type_of(key)).observe(time.perf_counter() - t)

    async def range(self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0) -> RangeResult:
        t = time.perf_counter()
        try:
            return await self.inner.range(prefix, start_key=start_key, limit=limit, revision=revision)
        finally:
            self.hist.labels("list", _type_of(prefix)).observe(time.perf_counter() - t)

    async def create(self, key: str, value: bytes) -> KeyValue:
        t = time.perf_counter()
        try:
            return await self.inner.create(key, value)
        finally:
            self.hist.labels("create", _type_of(key)).observe(time.perf_counter() - t)

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        t = time.perf_counter()
        try:
            return await self.inner.update(key, value, expected_mod_revision)
        finally:
            self.hist.labels("update", _type_of(key)).observe(time.perf_counter() - t)

    async def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        t = time.perf_counter()
        try:
            return await self.inner.delete(key, expected_mod_revision)
        finally:
            self.hist.labels("delete", _type_of(key)).observe(time.perf_counter() - t)

    def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        return self.inner.watch(prefix, start_revision)

    async def compact(self, revision: int) -> None:
        await self.inner.compact(revision)


