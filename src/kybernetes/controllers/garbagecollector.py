"""The garbage collector: ownerReferences-based cascading deletion
(upstream ``pkg/controller/garbagecollector``).

The collector keeps a graph of object uids built from metadata-only informers on every
listable, watchable, deletable resource (events excepted). Each node knows its owners
(from ``metadata.ownerReferences``) and its dependents. Two queues of uids drive it:

* ``attempt_to_delete``: for a dependent, look its owners up (graph, then a live GET);
  if none exists any more it is deleted (with its own propagation policy: Orphan or
  Foreground when it carries that finalizer, Background otherwise); if some exist but
  others are gone or being deleted in the foreground, the references to those are
  removed. For an owner being deleted in the foreground (``foregroundDeletion``
  finalizer), its dependents are deleted, and once no dependent with
  ``blockOwnerDeletion: true`` remains the finalizer is removed. For a *virtual* node (an
  owner only known from a reference), it is looked up live; if it does not exist, its
  dependents are processed.
* ``attempt_to_orphan``: for an owner being deleted with the ``orphan`` finalizer, the
  references to it are removed from every dependent, then the finalizer is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

from kybernetes.api.resources import lookup_kind, split_api_version
from kybernetes.client.discovery import APIResource, server_preferred_resources
from kybernetes.client.informer import SharedInformer
from kybernetes.client.rest import ApiError, Obj, resource_path
from kybernetes.client.workqueue import RateLimitingQueue
from kybernetes.controllers.base import Controller, ControllerContext

log = logging.getLogger(__name__)

FOREGROUND: Final = "foregroundDeletion"
ORPHAN: Final = "orphan"
IGNORED_RESOURCES: Final = frozenset({("", "events"), ("events.k8s.io", "events")})
_ABSENT_CACHE_SIZE: Final = 500
REDISCOVERY_PERIOD: Final = 30.0


@dataclass
class Node:
    uid: str
    api_version: str
    kind: str
    namespace: str
    name: str
    virtual: bool = False
    owners: list[Obj] = field(default_factory=list)
    dependents: set[str] = field(default_factory=set)
    deleting: bool = False
    finalizers: tuple[str, ...] = ()

    @property
    def deleting_dependents(self) -> bool:
        return self.deleting and FOREGROUND in self.finalizers

    @property
    def orphaning(self) -> bool:
        return self.deleting and ORPHAN in self.finalizers

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {ns}{self.name} ({self.uid})"


def _owner_uids(refs: list[Obj]) -> set[str]:
    return {str(r.get("uid")) for r in refs if r.get("uid")}


class GarbageCollector(Controller):
    name = "garbagecollector"
    workers = 20

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.factory = ctx.metadata_informers
        self.nodes: dict[str, Node] = {}
        self.absent: OrderedDict[str, None] = OrderedDict()
        self.orphan_queue: RateLimitingQueue[str] = RateLimitingQueue(
            name="garbage_collector_attempt_to_orphan"
        )
        self.monitored: dict[tuple[str, str], SharedInformer] = {}
        self.mapping: dict[tuple[str, str], APIResource] = {}

    def informers(self) -> list[SharedInformer]:
        return list(self.monitored.values())

    # --- monitors ----------------------------------------------------------------------------------
    async def sync_monitors(self) -> list[SharedInformer]:
        """Discover resources; start a metadata informer for each new deletable one."""
        disc = await server_preferred_resources(self.client)
        for r in disc.resources:
            self.mapping[(r.group, r.kind)] = r
        new: list[SharedInformer] = []
        for r in disc.resources:
            if (r.group, r.resource) in IGNORED_RESOURCES or (r.group, r.resource) in self.monitored:
                continue
            if not r.supports("list", "watch", "delete"):
                continue
            inf = self.factory.informer_for(r.group, r.version, r.resource, namespaced=r.namespaced)
            self._watch(inf, r)
            self.monitored[(r.group, r.resource)] = inf
            new.append(inf)
        self.factory.start()
        return new

    def _watch(self, inf: SharedInformer, r: APIResource) -> None:
        def on_add(obj: Obj) -> None:
            self._upsert(r, obj)

        def on_update(_old: Obj, obj: Obj) -> None:
            self._upsert(r, obj)

        inf.add_event_handler(on_add=on_add, on_update=on_update, on_delete=self._deleted)

    def _resolve(self, api_version: str, kind: str) -> APIResource | None:
        group, version = split_api_version(api_version)
        r = self.mapping.get((group, kind))
        if r is not None:
            return r
        info = lookup_kind(group, version, kind)
        if info is None:
            return None
        return APIResource(info.group, info.version, info.resource, info.kind, info.namespaced, info.verbs)

    def _path(self, node: Node) -> str | None:
        r = self._resolve(node.api_version, node.kind)
        if r is None:
            return None
        return resource_path(
            r.group,
            r.version,
            r.resource,
            node.namespace if r.namespaced else None,
            node.name,
            namespaced=r.namespaced,
        )

    # --- graph maintenance (informer handlers: cheap, synchronous) -----------------------------------
    def _upsert(self, r: APIResource, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        uid = str(meta.get("uid") or "")
        if not uid:
            return
        node = self.nodes.get(uid)
        if node is None:
            node = Node(
                uid, r.group_version, r.kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")
            )
            self.nodes[uid] = node
        elif node.virtual:
            node.virtual = False
            node.api_version, node.kind = r.group_version, r.kind
            node.namespace, node.name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        self.absent.pop(uid, None)
        was_deleting_dependents, was_orphaning = node.deleting_dependents, node.orphaning
        old_owners = _owner_uids(node.owners)
        node.owners = list(meta.get("ownerReferences") or [])
        node.deleting = bool(meta.get("deletionTimestamp"))
        node.finalizers = tuple(meta.get("finalizers") or ())
        new_owners = _owner_uids(node.owners)
        for ref in node.owners:
            ouid = str(ref.get("uid") or "")
            if not ouid or ouid in old_owners:
                continue
            owner = self.nodes.get(ouid)
            if owner is None:
                owner = Node(
                    ouid,
                    str(ref.get("apiVersion") or ""),
                    str(ref.get("kind") or ""),
                    node.namespace,
                    str(ref.get("name") or ""),
                    virtual=True,
                )
                self.nodes[ouid] = owner
                # an owner we have not observed: verify it exists
                self.queue.add(ouid)
            owner.dependents.add(uid)
            if ouid in self.absent or owner.deleting_dependents:
                self.queue.add(uid)
        for ouid in old_owners - new_owners:
            owner = self.nodes.get(ouid)
            if owner is not None:
                owner.dependents.discard(uid)
                if owner.deleting_dependents:
                    self.queue.add(ouid)
                if owner.virtual and not owner.dependents:
                    del self.nodes[ouid]
        if node.deleting_dependents and not was_deleting_dependents:
            for dep in node.dependents:
                self.queue.add(dep)
            self.queue.add(uid)
        elif node.deleting_dependents:
            self.queue.add(uid)
        if node.orphaning and not was_orphaning:
            self.orphan_queue.add(uid)

    def _deleted(self, obj: Obj) -> None:
        uid = str((obj.get("metadata") or {}).get("uid") or "")
        node = self.nodes.pop(uid, None)
        if node is None:
            return
        self._mark_absent(uid)
        for dep in node.dependents:
            self.queue.add(dep)
        for ouid in _owner_uids(node.owners):
            owner = self.nodes.get(ouid)
            if owner is None:
                continue
            owner.dependents.discard(uid)
            if owner.deleting_dependents:
                self.queue.add(ouid)
            if owner.virtual and not owner.dependents:
                del self.nodes[ouid]

    def _mark_absent(self, uid: str) -> None:
        self.absent[uid] = None
        self.absent.move_to_end(uid)
        while len(self.absent) > _ABSENT_CACHE_SIZE:
            self.absent.popitem(last=False)

    # --- attempt to delete -------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None:
            return
        if node.virtual:
            await self._verify_virtual(node)
            return
        if node.deleting_dependents:
            await self._process_deleting_dependents(node)
            return
        if not node.owners:
            return
        path = self._path(node)
        if path is None:
            raise RuntimeError(f"unable to find the resource of {node.api_version}, Kind={node.kind}")
        try:
            latest = await self.client.get(path)
        except ApiError as e:
            if e.code == 404:
                return
            raise
        lmeta = latest.get("metadata") or {}
        if lmeta.get("uid") != node.uid:
            return
        if lmeta.get("deletionTimestamp") and FOREGROUND not in (lmeta.get("finalizers") or []):
            return
        refs: list[Obj] = list(lmeta.get("ownerReferences") or [])
        if not refs:
            return
        solid: list[Obj] = []
        dangling: list[Obj] = []
        waiting: list[Obj] = []
        for ref in refs:
            state = await self._owner_state(ref, node.namespace)
            {"solid": solid, "dangling": dangling, "waiting": waiting}[state].append(ref)
        if solid:
            gone = _owner_uids(dangling) | _owner_uids(waiting)
            if gone:
                keep = [r for r in refs if str(r.get("uid")) not in gone]
                await self._patch_owner_refs(path, latest, keep)
            return
        if waiting and node.dependents:
            policy = "Foreground"
        elif ORPHAN in (lmeta.get("finalizers") or []):
            policy = "Orphan"
        elif FOREGROUND in (lmeta.get("finalizers") or []):
            policy = "Foreground"
        else:
            policy = "Background"
        log.info(
            "garbage collector: deleting %s (owners gone: %s), propagationPolicy=%s",
            node,
            sorted(_owner_uids(dangling) | _owner_uids(waiting)),
            policy,
        )
        try:
            await self.client.delete(path, propagation_policy=policy, preconditions={"uid": node.uid})
        except ApiError as e:
            if e.code in (404, 409):
                return
            raise

    async def _owner_state(self, ref: Obj, namespace: str) -> str:
        """``solid`` (exists), ``dangling`` (gone) or ``waiting`` (being deleted in the foreground)."""
        ouid = str(ref.get("uid") or "")
        owner = self.nodes.get(ouid)
        if owner is not None and not owner.virtual:
            return "waiting" if owner.deleting_dependents else "solid"
        if ouid in self.absent:
            return "dangling"
        probe = Node(
            ouid,
            str(ref.get("apiVersion") or ""),
            str(ref.get("kind") or ""),
            namespace,
            str(ref.get("name") or ""),
        )
        found = await self._live_owner(probe)
        if found is None:
            self._mark_absent(ouid)
            return "dangling"
        fmeta = found.get("metadata") or {}
        if fmeta.get("deletionTimestamp") and FOREGROUND in (fmeta.get("finalizers") or []):
            return "waiting"
        return "solid"

    async def _live_owner(self, node: Node) -> Obj | None:
        """The object named by a (possibly virtual) node if it exists with the same uid."""
        path = self._path(node)
        if path is None:
            raise RuntimeError(f"unable to find the resource of {node.api_version}, Kind={node.kind}")
        try:
            obj = await self.client.get(path)
        except ApiError as e:
            if e.code == 404:
                return None
            raise
        if (obj.get("metadata") or {}).get("uid") != node.uid:
            return None
        return obj

    async def _verify_virtual(self, node: Node) -> None:
        if await self._live_owner(node) is not None:
            return  # it exists; its informer (if any) will make it a real node
        if self.nodes.get(node.uid) is node:
            del self.nodes[node.uid]
        self._mark_absent(node.uid)
        for dep in node.dependents:
            self.queue.add(dep)

    async def _process_deleting_dependents(self, node: Node) -> None:
        blocking: list[Node] = []
        for dep_uid in node.dependents:
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            for ref in dep.owners:
                if ref.get("uid") == node.uid and ref.get("blockOwnerDeletion") is True:
                    blocking.append(dep)
                    break
        if not blocking:
            await self._remove_finalizer(node, FOREGROUND)
            return
        for dep in blocking:
            if not dep.deleting_dependents:
                self.queue.add(dep.uid)

    async def _patch_owner_refs(self, path: str, latest: Obj, refs: list[Obj]) -> None:
        rv = (latest.get("metadata") or {}).get("resourceVersion")
        body: Obj = {"metadata": {"ownerReferences": refs or None, "resourceVersion": rv}}
        try:
            await self.client.patch(path, body, "merge")
        except ApiError as e:
            if e.code == 404:
                return
            raise

    async def _remove_finalizer(self, node: Node, finalizer: str) -> None:
        path = self._path(node)
        if path is None:
            raise RuntimeError(f"unable to find the resource of {node.api_version}, Kind={node.kind}")
        try:
            latest = await self.client.get(path)
        except ApiError as e:
            if e.code == 404:
                return
            raise
        meta = latest.get("metadata") or {}
        if meta.get("uid") != node.uid:
            return
        finalizers = list(meta.get("finalizers") or [])
        if finalizer not in finalizers:
            return
        rest = [f for f in finalizers if f != finalizer]
        body: Obj = {"metadata": {"finalizers": rest or None, "resourceVersion": meta.get("resourceVersion")}}
        try:
            await self.client.patch(path, body, "merge")
        except ApiError as e:
            if e.code == 404:
                return
            raise

    # --- attempt to orphan -------------------------------------------------------------------------
    async def orphan(self, key: str) -> None:
        node = self.nodes.get(key)
        if node is None or not node.orphaning:
            return
        for dep_uid in list(node.dependents):
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            path = self._path(dep)
            if path is None:
                continue
            try:
                latest = await self.client.get(path)
            except ApiError as e:
                if e.code == 404:
                    continue
                raise
            lmeta = latest.get("metadata") or {}
            if lmeta.get("uid") != dep.uid:
                continue
            refs = list(lmeta.get("ownerReferences") or [])
            keep = [r for r in refs if r.get("uid") != node.uid]
            if len(keep) != len(refs):
                await self._patch_owner_refs(path, latest, keep)
        await self._remove_finalizer(node, ORPHAN)

    # --- running -----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        log.info("Starting garbage collector controller")
        tasks: list[asyncio.Task[None]] = []
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                try:
                    await self.sync_monitors()
                    break
                except Exception as e:
                    log.warning("garbage collector: discovery failed: %s", e)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), 1.0)
            if stop.is_set():
                return
            synced = loop.create_task(self.factory.wait_for_cache_sync())
            stopper = loop.create_task(stop.wait())
            await asyncio.wait([synced, stopper], return_when=asyncio.FIRST_COMPLETED)
            synced.cancel()
            stopper.cancel()
            if stop.is_set():
                return
            log.info("garbage collector: all resource monitors have synced")
            for i in range(self.workers):
                tasks.append(loop.create_task(self._worker(), name=f"{self.name}/delete-{i}"))
            for i in range(max(1, self.workers // 4)):
                tasks.append(loop.create_task(self._orphan_worker(), name=f"{self.name}/orphan-{i}"))
            tasks.append(loop.create_task(self._rediscover(stop), name=f"{self.name}/rediscovery"))
            await stop.wait()
        finally:
            self.queue.shutdown()
            self.orphan_queue.shutdown()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            log.info("Shutting down garbage collector controller")

    async def _rediscover(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REDISCOVERY_PERIOD)
            if stop.is_set():
                return
            try:
                await self.sync_monitors()
            except Exception as e:
                log.warning("garbage collector: rediscovery failed: %s", e)

    async def _orphan_worker(self) -> None:
        q = self.orphan_queue
        while True:
            key = await q.get()
            if key is None:
                return
            try:
                await self.orphan(key)
            except Exception as e:
                log.info("garbage collector: orphaning dependents of %s failed: %s", key, e)
                q.add_rate_limited(key)
            else:
                q.forget(key)
            finally:
                q.done(key)


def new_controller(ctx: ControllerContext) -> Controller:
    return GarbageCollector(ctx)
