"""Shared informers, as client-go's ``tools/cache``.

A :class:`SharedInformer` lists a resource, then watches it from the list's
resourceVersion, keeping an :class:`Indexer` (an in-memory store with indexes) current
and calling event handlers. A watch that ends is resumed from the last seen
resourceVersion (bookmarks keep it fresh); a 410 Gone ("too old resource version")
makes it relist, and the relist is diffed against the store so handlers see the adds,
updates and deletes they missed. :class:`SharedInformerFactory` hands out one informer
per resource so several controllers share one list+watch and one cache.

Handlers are plain callables run on the event loop; they must be quick (controllers only
enqueue keys). ``on_delete`` gets the last known state of the object.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from kybernetes.client.rest import ApiError, Obj, RESTClient, resource_path

log = logging.getLogger(__name__)

NAMESPACE_INDEX: Final = "namespace"

IndexFunc = Callable[[Obj], list[str]]
AddFunc = Callable[[Obj], None]
UpdateFunc = Callable[[Obj, Obj], None]
DeleteFunc = Callable[[Obj], None]
TransformFunc = Callable[[Obj], Obj]


def meta_namespace_key(obj: Obj) -> str:
    """``namespace/name`` for namespaced objects, ``name`` otherwise (client-go's key)."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    name = meta.get("name") or ""
    return f"{ns}/{name}" if ns else str(name)


def split_meta_namespace_key(key: str) -> tuple[str, str]:
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def metadata_only(obj: Obj) -> Obj:
    """A transform keeping apiVersion, kind and metadata (without managedFields): what a
    metadata informer (``PartialObjectMetadata``) caches."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    return {"apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", ""), "metadata": meta}


def namespace_index_func(obj: Obj) -> list[str]:
    return [str((obj.get("metadata") or {}).get("namespace") or "")]


class Indexer:
    """A thread-unsafe (event-loop-owned) key -> object store with secondary indexes."""

    def __init__(self, indexers: dict[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Obj] = {}
        self._indexers: dict[str, IndexFunc] = {NAMESPACE_INDEX: namespace_index_func}
        self._indices: dict[str, dict[str, set[str]]] = {NAMESPACE_INDEX: {}}
        for name, fn in (indexers or {}).items():
            self.add_indexer(name, fn)

    def add_indexer(self, name: str, fn: IndexFunc) -> None:
        self._indexers[name] = fn
        idx: dict[str, set[str]] = {}
        for key, obj in self._items.items():
            for v in fn(obj):
                idx.setdefault(v, set()).add(key)
        self._indices[name] = idx

    def _unindex(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            idx = self._indices[name]
            for v in fn(obj):
                keys = idx.get(v)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del idx[v]

    def _index(self, key: str, obj: Obj) -> None:
        for name, fn in self._indexers.items():
            idx = self._indices[name]
            for v in fn(obj):
                idx.setdefault(v, set()).add(key)

    def add(self, obj: Obj) -> Obj | None:
        """Store ``obj``; return the previous object under its key."""
        key = meta_namespace_key(obj)
        old = self._items.get(key)
        if old is not None:
            self._unindex(key, old)
        self._items[key] = obj
        self._index(key, obj)
        return old

    update = add

    def delete(self, obj: Obj) -> Obj | None:
        return self.delete_key(meta_namespace_key(obj))

    def delete_key(self, key: str) -> Obj | None:
        old = self._items.pop(key, None)
        if old is not None:
            self._unindex(key, old)
        return old

    def get_by_key(self, key: str) -> Obj | None:
        return self._items.get(key)

    def get(self, namespace: str, name: str) -> Obj | None:
        return self._items.get(f"{namespace}/{name}" if namespace else name)

    def list(self) -> builtins.list[Obj]:
        return list(self._items.values())

    def list_keys(self) -> builtins.list[str]:
        return list(self._items)

    def by_index(self, index_name: str, value: str) -> builtins.list[Obj]:
        keys = self._indices[index_name].get(value, set())
        return [self._items[k] for k in keys]

    def index_keys(self, index_name: str, value: str) -> builtins.list[str]:
        return sorted(self._indices[index_name].get(value, set()))

    def list_namespace(self, namespace: str) -> builtins.list[Obj]:
        return self.by_index(NAMESPACE_INDEX, namespace)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: str) -> bool:
        return key in self._items


@dataclass
class EventHandler:
    on_add: AddFunc | None = None
    on_update: UpdateFunc | None = None
    on_delete: DeleteFunc | None = None


def _rv(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


class SharedInformer:
    """List+watch one resource (optionally one namespace / selectors) into an :class:`Indexer`."""

    def __init__(
        self,
        client: RESTClient,
        group: str,
        version: str,
        resource: str,
        *,
        namespace: str | None = None,
        namespaced: bool | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resync_period: float | None = None,
        indexers: dict[str, IndexFunc] | None = None,
        transform: TransformFunc | None = None,
        watch_timeout: float = 300.0,
        page_size: int = 500,
    ) -> None:
        self.client = client
        self.group, self.version, self.resource = group, version, resource
        self.namespace = namespace
        self.path = resource_path(group, version, resource, namespace, namespaced=namespaced)
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.resync_period = resync_period
        self.transform = transform
        self.watch_timeout = watch_timeout
        self.page_size = page_size
        self.indexer = Indexer(indexers)
        self._handlers: list[EventHandler] = []
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None
        self.last_sync_resource_version = ""
        self.relists = 0  # how many times a full list was done (1 for the initial list)

    @property
    def name(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    # --- handlers ----------------------------------------------------------------------------------
    def add_event_handler(
        self,
        on_add: AddFunc | None = None,
        on_update: UpdateFunc | None = None,
        on_delete: DeleteFunc | None = None,
    ) -> EventHandler:
        """Register handlers; if the cache already holds objects, ``on_add`` is called for each."""
        h = EventHandler(on_add, on_update, on_delete)
        self._handlers.append(h)
        if on_add is not None:
            for obj in self.indexer.list():
                self._call(on_add, obj)
        return h

    def add_indexers(self, indexers: dict[str, IndexFunc]) -> None:
        for name, fn in indexers.items():
            self.indexer.add_indexer(name, fn)

    def _call(self, fn: Callable[..., None], *args: Obj) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("informer %s: event handler failed", self.name)

    def _emit_add(self, obj: Obj) -> None:
        for h in list(self._handlers):
            if h.on_add is not None:
                self._call(h.on_add, obj)

    def _emit_update(self, old: Obj, new: Obj) -> None:
        for h in list(self._handlers):
            if h.on_update is not None:
                self._call(h.on_update, old, new)

    def _emit_delete(self, obj: Obj) -> None:
        for h in list(self._handlers):
            if h.on_delete is not None:
                self._call(h.on_delete, obj)

    # --- cache reads -------------------------------------------------------------------------------
    def get(self, namespace: str, name: str) -> Obj | None:
        return self.indexer.get(namespace, name)

    def get_by_key(self, key: str) -> Obj | None:
        return self.indexer.get_by_key(key)

    def list(self, namespace: str | None = None) -> builtins.list[Obj]:
        if namespace is None:
            return self.indexer.list()
        return self.indexer.list_namespace(namespace)

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_sync(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._synced.wait(), timeout)
        except TimeoutError:
            return False
        return True

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"informer/{self.name}")
            if self.resync_period:
                self._resync_task = asyncio.get_running_loop().create_task(
                    self._resync_loop(self.resync_period), name=f"informer/{self.name}/resync"
                )

    @property
    def started(self) -> bool:
        return self._task is not None

    async def stop(self) -> None:
        tasks = [t for t in (self._task, self._resync_task) if t is not None]
        for t in tasks:
            t.cancel()
        for t in tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):
                pass
        self._task = self._resync_task = None

    def _params(self) -> dict[str, str]:
        p: dict[str, str] = {}
        if self.label_selector:
            p["labelSelector"] = self.label_selector
        if self.field_selector:
            p["fieldSelector"] = self.field_selector
        return p

    async def _list_and_replace(self) -> None:
        res = await self.client.list_all(self.path, self._params(), page_size=self.page_size)
        # list items carry no apiVersion/kind on the wire: fill them in as watch events have them
        list_kind = str(res.get("kind") or "")
        kind = list_kind[: -len("List")] if list_kind.endswith("List") else ""
        api_version = res.get("apiVersion")
        items: list[Obj] = []
        for o in res.get("items") or []:
            if kind and "kind" not in o:
                o["kind"] = kind
            if api_version and "apiVersion" not in o:
                o["apiVersion"] = api_version
            items.append(self._prepare(o))
        self._replace(items)
        self.last_sync_resource_version = str((res.get("metadata") or {}).get("resourceVersion") or "")
        self.relists += 1
        self._synced.set()

    def _prepare(self, obj: Obj) -> Obj:
        return self.transform(obj) if self.transform is not None else obj

    def _replace(self, items: Iterable[Obj]) -> None:
        """Make the store hold exactly ``items``, calling handlers for the differences."""
        seen: set[str] = set()
        for obj in items:
            key = meta_namespace_key(obj)
            seen.add(key)
            old = self.indexer.add(obj)
            if old is None:
                self._emit_add(obj)
            elif _rv(old) != _rv(obj):
                self._emit_update(old, obj)
        for key in self.indexer.list_keys():
            if key not in seen:
                gone = self.indexer.delete_key(key)
                if gone is not None:
                    self._emit_delete(gone)

    def _apply(self, etype: str, obj: Obj) -> None:
        if etype == "BOOKMARK":
            return
        obj = self._prepare(obj)
        if etype in ("ADDED", "MODIFIED"):
            old = self.indexer.add(obj)
            if old is None:
                self._emit_add(obj)
            else:
                self._emit_update(old, obj)
        elif etype == "DELETED":
            gone = self.indexer.delete(obj)
            self._emit_delete(gone if gone is not None else obj)

    async def _run(self) -> None:
        backoff = 0.2
        gone = 0  # consecutive 410 answers
        need_list = True
        while True:
            try:
                if need_list:
                    await self._list_and_replace()
                    need_list = False
                async for etype, obj in self.client.watch(
                    self.path,
                    self.last_sync_resource_version,
                    timeout=self.watch_timeout * (1.0 + random.random()),
                    params=self._params(),
                ):
                    self._apply(etype, obj)
                    rv = _rv(obj)
                    if rv:
                        self.last_sync_resource_version = rv
                    gone = 0
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except ApiError as e:
                if e.code == 410:
                    log.info("informer %s: %s; relisting", self.name, e.message)
                    need_list = True
                    gone += 1
                    if gone > 1:  # the fresh list was already too old: do not spin
                        await asyncio.sleep(min(0.05 * 2**gone, 5.0))
                    continue
                log.warning("informer %s: %s", self.name, e)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
            except Exception as e:
                log.warning("informer %s: list/watch failed: %s", self.name, e)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)

    async def _resync_loop(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            if not self.has_synced():
                continue
            for obj in self.indexer.list():
                self._emit_update(obj, obj)


class SharedInformerFactory:
    """One :class:`SharedInformer` per (group, version, resource, selectors), shared by controllers."""

    def __init__(
        self,
        client: RESTClient,
        *,
        resync_period: float | None = None,
        namespace: str | None = None,
        transform: TransformFunc | None = None,
    ) -> None:
        self.client = client
        self.resync_period = resync_period
        self.namespace = namespace
        self.transform = transform
        self._informers: dict[tuple[str, str, str, str | None, str | None], SharedInformer] = {}
        self._started = False

    def informer_for(
        self,
        group: str,
        version: str,
        resource: str,
        *,
        namespaced: bool | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ) -> SharedInformer:
        key = (group, version, resource, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = SharedInformer(
                self.client,
                group,
                version,
                resource,
                namespace=self.namespace,
                namespaced=namespaced,
                label_selector=label_selector,
                field_selector=field_selector,
                resync_period=self.resync_period,
                transform=self.transform,
            )
            self._informers[key] = inf
            if self._started:
                inf.start()
        return inf

    def informers(self) -> builtins.list[SharedInformer]:
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer created so far (and, from now on, each new one at once)."""
        self._started = True
        for inf in self._informers.values():
            inf.start()

    async def wait_for_cache_sync(self, timeout: float | None = None) -> bool:
        infs = list(self._informers.values())
        results = await asyncio.gather(*(i.wait_for_sync(timeout) for i in infs))
        return all(results)

    async def stop(self) -> None:
        self._started = False
        await asyncio.gather(*(i.stop() for i in self._informers.values()))


__all__ = [
    "NAMESPACE_INDEX",
    "EventHandler",
    "Indexer",
    "SharedInformer",
    "SharedInformerFactory",
    "meta_namespace_key",
    "metadata_only",
    "namespace_index_func",
    "split_meta_namespace_key",
]
