"""Informer tests against a tiny fake API server (plain HTTP) that controls resourceVersions,
compaction (410 Gone) and the ends of watch streams."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
import pytest
from aiohttp import web

from kybernetes.client.informer import (
    Indexer,
    SharedInformer,
    SharedInformerFactory,
    meta_namespace_key,
    metadata_only,
    split_meta_namespace_key,
)
from kybernetes.client.kubeconfig import KubeConfig
from kybernetes.client.rest import RESTClient

Obj = dict[str, Any]


class FakeAPIServer:
    def __init__(self) -> None:
        self.items: dict[str, Obj] = {}
        self.rv = 10
        self.log: list[tuple[int, str, Obj]] = []
        self.compacted = 0  # watches from a resourceVersion below this get 410 Gone
        self.requests: list[dict[str, str]] = []
        self._changed = asyncio.Condition()
        self._close_watches = 0
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> FakeAPIServer:
        app = web.Application()
        app.router.add_get("/api/v1/configmaps", self._collection)
        app.router.add_get("/api/v1/namespaces/{ns}/configmaps", self._collection)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        await self.end_watches()
        if self.runner is not None:
            await self.runner.cleanup()

    # --- mutations ---------------------------------------------------------------------------------
    def _obj(self, name: str, data: str, ns: str = "default") -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": ns,
                "uid": f"uid-{name}",
                "resourceVersion": str(self.rv),
            },
            "data": {"v": data},
        }

    async def put(self, name: str, data: str, ns: str = "default", *, silent: bool = False) -> None:
        self.rv += 1
        obj = self._obj(name, data, ns)
        etype = "MODIFIED" if f"{ns}/{name}" in self.items else "ADDED"
        self.items[f"{ns}/{name}"] = obj
        if not silent:
            self.log.append((self.rv, etype, copy.deepcopy(obj)))
        await self._notify()

    async def remove(self, name: str, ns: str = "default", *, silent: bool = False) -> None:
        self.rv += 1
        obj = self.items.pop(f"{ns}/{name}")
        obj["metadata"]["resourceVersion"] = str(self.rv)
        if not silent:
            self.log.append((self.rv, "DELETED", obj))
        await self._notify()

    async def bookmark(self) -> None:
        self.rv += 1
        self.log.append(
            (
                self.rv,
                "BOOKMARK",
                {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.rv)}},
            )
        )
        await self._notify()

    async def compact(self) -> None:
        """Forget history: watches from older resourceVersions now get 410; active watches end."""
        self.compacted = self.rv
        self.log.clear()
        await self.end_watches()

    async def end_watches(self) -> None:
        self._close_watches += 1
        await self._notify()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # --- handlers ----------------------------------------------------------------------------------
    async def _collection(self, request: web.Request) -> web.StreamResponse:
        q = dict(request.query)
        self.requests.append(q)
        ns = request.match_info.get("ns")
        if q.get("watch") not in ("true", "1"):
            items = [o for k, o in sorted(self.items.items()) if ns is None or k.startswith(ns + "/")]
            body = {
                "kind": "ConfigMapList",
                "apiVersion": "v1",
                "metadata": {"resourceVersion": str(self.rv)},
                "items": [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items],
            }
            return web.Response(body=orjson.dumps(body), content_type="application/json")
        resp = web.StreamResponse()
        resp.content_type = "application/json"
        await resp.prepare(request)
        since = int(q.get("resourceVersion") or 0)
        if since < self.compacted:
            status = {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Failure",
                "code": 410,
                "reason": "Expired",
                "message": f"too old resource version: {since} ({self.compacted})",
            }
            await resp.write(orjson.dumps({"type": "ERROR", "object": status}) + b"\n")
            return resp
        generation = self._close_watches
        sent = since
        while True:
            for rv, etype, obj in list(self.log):
                if rv > sent:
                    if etype == "BOOKMARK" and q.get("allowWatchBookmarks") != "true":
                        sent = rv
                        continue
                    await resp.write(orjson.dumps({"type": etype, "object": obj}) + b"\n")
                    sent = rv
            if self._close_watches != generation:
                return resp
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), 5)
                except TimeoutError:
                    return resp


async def eventually(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def cm(name: str, ns: str = "default", labels: dict[str, str] | None = None) -> Obj:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {}}}


def test_keys() -> None:
    assert meta_namespace_key(cm("a", "ns1")) == "ns1/a"
    assert meta_namespace_key({"metadata": {"name": "node1"}}) == "node1"
    assert split_meta_namespace_key("ns1/a") == ("ns1", "a")
    assert split_meta_namespace_key("node1") == ("", "node1")


def test_indexer_namespace_and_custom_indexes() -> None:
    idx = Indexer({"app": lambda o: [o["metadata"]["labels"].get("app", "")]})
    idx.add(cm("a", "n1", {"app": "web"}))
    idx.add(cm("b", "n1", {"app": "db"}))
    idx.add(cm("c", "n2", {"app": "web"}))
    assert sorted(o["metadata"]["name"] for o in idx.list_namespace("n1")) == ["a", "b"]
    assert idx.index_keys("app", "web") == ["n1/a", "n2/c"]
    # an update moves the object between index values
    idx.update(cm("a", "n1", {"app": "db"}))
    assert idx.index_keys("app", "web") == ["n2/c"]
    assert idx.index_keys("app", "db") == ["n1/a", "n1/b"]
    idx.delete(cm("b", "n1"))
    assert idx.index_keys("app", "db") == ["n1/a"]
    assert idx.get("n1", "b") is None and len(idx) == 2
    # an indexer added later indexes existing objects
    idx.add_indexer("name", lambda o: [o["metadata"]["name"]])
    assert idx.index_keys("name", "c") == ["n2/c"]


def test_metadata_only_transform() -> None:
    o = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "managedFields": [{}]},
        "data": {"k": "v"},
    }
    assert metadata_only(o) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPIServer]:
    s = await FakeAPIServer().start()
    yield s
    await s.stop()


@pytest.fixture
async def client(fake: FakeAPIServer) -> AsyncIterator[RESTClient]:
    c = RESTClient(KubeConfig(server=fake.url), timeout=5)
    yield c
    await c.close()


class Recorder:
    def __init__(self, inf: SharedInformer) -> None:
        self.events: list[tuple[str, str, str]] = []
        inf.add_event_handler(
            on_add=lambda o: self.events.append(("add", o["metadata"]["name"], o["data"]["v"])),
            on_update=lambda old, new: self.events.append(
                ("update", new["metadata"]["name"], new["data"]["v"])
            ),
            on_delete=lambda o: self.events.append(("delete", o["metadata"]["name"], o["data"]["v"])),
        )


async def test_list_then_watch_and_handlers(fake: FakeAPIServer, client: RESTClient) -> None:
    await fake.put("a", "1")
    await fake.put("b", "1")
    inf = SharedInformer(client, "", "v1", "configmaps")
    rec = Recorder(inf)
    inf.start()
    try:
        assert await inf.wait_for_sync(5)
        assert inf.has_synced()
        assert sorted(rec.events) == [("add", "a", "1"), ("add", "b", "1")]
        # list items get the kind and apiVersion the wire leaves out
        assert inf.get("default", "a")["kind"] == "ConfigMap"  # type: ignore[index]
        await fake.put("a", "2")
        await fake.remove("b")
        await fake.put("c", "1")
        await eventually(lambda: len(rec.events) == 5)
        assert rec.events[2:] == [("update", "a", "2"), ("delete", "b", "1"), ("add", "c", "1")]
        assert sorted(o["metadata"]["name"] for o in inf.list()) == ["a", "c"]
        watches = [r for r in fake.requests if r.get("watch") == "true"]
        assert watches[0]["allowWatchBookmarks"] == "true"
        assert watches[0]["resourceVersion"] == "12"
    finally:
        await inf.stop()


async def test_resume_from_last_resource_version_and_bookmarks(
    fake: FakeAPIServer, client: RESTClient
) -> None:
    await fake.put("a", "1")
    inf = SharedInformer(client, "", "v1", "configmaps")
    inf.start()
    try:
        assert await inf.wait_for_sync(5)
        await fake.put("a", "2")
        await fake.bookmark()
        bookmark_rv = str(fake.rv)
        await eventually(lambda: inf.last_sync_resource_version == bookmark_rv)
        await fake.end_watches()
        await eventually(lambda: len([r for r in fake.requests if r.get("watch") == "true"]) >= 2)
        second = [r for r in fake.requests if r.get("watch") == "true"][1]
        assert second["resourceVersion"] == bookmark_rv
        assert inf.relists == 1  # resumed, not relisted
    finally:
        await inf.stop()


async def test_relist_on_410_gone_reconciles_missed_changes(fake: FakeAPIServer, client: RESTClient) -> None:
    await fake.put("a", "1")
    await fake.put("b", "1")
    inf = SharedInformer(client, "", "v1", "configmaps")
    rec = Recorder(inf)
    inf.start()
    try:
        assert await inf.wait_for_sync(5)
        # changes the informer cannot see in its watch, then history is compacted away
        await fake.remove("b", silent=True)
        await fake.put("a", "2", silent=True)
        await fake.put("d", "1", silent=True)
        await fake.compact()
        await eventually(lambda: inf.relists == 2)
        await eventually(lambda: len(rec.events) == 5)
        assert sorted(rec.events[2:]) == [("add", "d", "1"), ("delete", "b", "1"), ("update", "a", "2")]
        assert sorted(inf.indexer.list_keys()) == ["default/a", "default/d"]
        # and it keeps watching from the new list's resourceVersion
        await fake.put("e", "1")
        await eventually(lambda: inf.get("default", "e") is not None)
    finally:
        await inf.stop()


async def test_late_handler_gets_existing_objects_and_resync(fake: FakeAPIServer, client: RESTClient) -> None:
    await fake.put("a", "1")
    inf = SharedInformer(client, "", "v1", "configmaps", resync_period=0.05)
    inf.start()
    try:
        assert await inf.wait_for_sync(5)
        rec = Recorder(inf)
        assert rec.events == [("add", "a", "1")]
        await eventually(lambda: ("update", "a", "1") in rec.events)
    finally:
        await inf.stop()


async def test_factory_shares_one_informer_per_resource(fake: FakeAPIServer, client: RESTClient) -> None:
    f = SharedInformerFactory(client)
    i1 = f.informer_for("", "v1", "configmaps")
    i2 = f.informer_for("", "v1", "configmaps")
    i3 = f.informer_for("", "v1", "configmaps", field_selector="metadata.name=x")
    assert i1 is i2 and i1 is not i3
    f.start()
    try:
        assert await f.wait_for_cache_sync(5)
        # an informer asked for after start is started at once
        i4 = f.informer_for("", "v1", "configmaps", label_selector="a=b")
        assert await i4.wait_for_sync(5)
        assert [r.get("fieldSelector") for r in fake.requests if r.get("watch") != "true"].count(
            "metadata.name=x"
        ) == 1
    finally:
        await f.stop()
