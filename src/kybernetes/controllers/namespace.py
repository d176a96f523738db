"""The namespace controller: empties a namespace being deleted, then finalizes it
(upstream ``pkg/controller/namespace`` and its ``deletion/namespaced_resources_deleter.go``).

A namespace with a ``deletionTimestamp`` and the ``kubernetes`` finalizer in
``spec.finalizers`` has every namespaced object deleted (``deletecollection`` where
served, else one by one), across all resources discovery lists. While objects remain the
namespace is requeued; once none remain, ``PUT .../finalize`` drops the ``kubernetes``
finalizer and the API server removes the namespace. Progress is reported in the upstream
status conditions (``NamespaceDeletionDiscoveryFailure``, ``NamespaceDeletionContentFailure``,
``NamespaceContentRemaining``, ``NamespaceFinalizersRemaining``, ...).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from kybernetes.client.discovery import APIResource, DiscoveryResult, server_preferred_resources
from kybernetes.client.informer import SharedInformer
from kybernetes.client.rest import ApiError, Obj, resource_path
from kybernetes.controllers.base import Controller, ControllerContext

log = logging.getLogger(__name__)

FINALIZER_KUBERNETES: Final = "kubernetes"
CONDITION_TYPES: Final = (
    "NamespaceDeletionDiscoveryFailure",
    "NamespaceDeletionGroupVersionParsingFailure",
    "NamespaceDeletionContentFailure",
    "NamespaceContentRemaining",
    "NamespaceFinalizersRemaining",
)
_DISCOVERY_TTL: Final = 5.0


class ResourcesRemaining(Exception):
    def __init__(self, estimate: float) -> None:
        super().__init__(
            f"some content remains in the namespace, estimate {estimate} seconds before it is removed"
        )
        self.estimate = estimate


@dataclass
class _Totals:
    remaining: dict[str, int] = field(default_factory=dict)  # group resource -> count
    finalizers: dict[str, int] = field(default_factory=dict)  # finalizer -> count
    errors: list[str] = field(default_factory=list)
    estimate: float = 0.0


def _gr(r: APIResource) -> str:
    return f"{r.resource}.{r.group}" if r.group else r.resource


class NamespaceController(Controller):
    name = "namespace"
    workers = 10

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informers.informer_for("", "v1", "namespaces")
        self.namespaces.add_event_handler(on_add=self._changed, on_update=lambda _o, n: self._changed(n))
        self._discovery: DiscoveryResult | None = None
        self._discovered_at = 0.0
        self._discovery_lock = asyncio.Lock()

    def informers(self) -> list[SharedInformer]:
        return [self.namespaces]

    def _changed(self, ns: Obj) -> None:
        if (ns.get("metadata") or {}).get("deletionTimestamp"):
            self.enqueue(ns["metadata"]["name"])

    async def _discover(self) -> DiscoveryResult:
        async with self._discovery_lock:
            if self._discovery is None or time.monotonic() - self._discovered_at > _DISCOVERY_TTL:
                self._discovery = await server_preferred_resources(self.client)
                self._discovered_at = time.monotonic()
            return self._discovery

    async def sync(self, key: str) -> None:
        try:
            await self._delete(key)
        except ResourcesRemaining as e:
            self.queue.add_after(key, e.estimate)

    async def _delete(self, name: str) -> None:
        try:
            ns = await self.client.get(f"/api/v1/namespaces/{name}")
        except ApiError as e:
            if e.code == 404:
                return
            raise
        if not (ns.get("metadata") or {}).get("deletionTimestamp"):
            return
        if FINALIZER_KUBERNETES not in ((ns.get("spec") or {}).get("finalizers") or []):
            return
        discovery = await self._discover()
        totals = await self._delete_all_content(name, discovery)
        ns = await self._update_conditions(ns, discovery, totals)
        if totals.errors:
            raise RuntimeError(
                f"failed to delete all resource types in namespace {name}: {'; '.join(totals.errors)}"
            )
        if totals.remaining:
            raise ResourcesRemaining(max(totals.estimate, 0.2))
        await self._finalize(ns)

    async def _delete_all_content(self, namespace: str, discovery: DiscoveryResult) -> _Totals:
        totals = _Totals()
        resources = [r for r in discovery.resources if r.namespaced and r.supports("delete", "list")]
        results = await asyncio.gather(
            *(self._delete_resource(namespace, r, totals) for r in resources), return_exceptions=True
        )
        for r, res in zip(resources, results, strict=True):
            if isinstance(res, BaseException):
                totals.errors.append(f"{_gr(r)}: {res}")
        return totals

    async def _delete_resource(self, namespace: str, r: APIResource, totals: _Totals) -> None:
        path = resource_path(r.group, r.version, r.resource, namespace, namespaced=True)
        try:
            if r.supports("deletecollection"):
                await self.client.delete(path, propagation_policy="Background")
            else:
                listed = await self.client.list(path)
                for item in listed.get("items") or []:
                    meta = item.get("metadata") or {}
                    if meta.get("deletionTimestamp"):
                        continue
                    try:
                        await self.client.delete(f"{path}/{meta['name']}", propagation_policy="Background")
                    except ApiError as e:
                        if e.code != 404:
                            raise
            remaining = (await self.client.list(path)).get("items") or []
        except ApiError as e:
            if e.code in (404, 405):
                return
            raise
        if not remaining:
            return
        totals.remaining[_gr(r)] = len(remaining)
        estimate = 0.2
        for item in remaining:
            meta = item.get("metadata") or {}
            for f in meta.get("finalizers") or []:
                totals.finalizers[f] = totals.finalizers.get(f, 0) + 1
                estimate = max(estimate, 1.0)
            if r.group == "" and r.resource == "pods":
                grace = meta.get("deletionGracePeriodSeconds")
                if grace:
                    estimate = max(estimate, min(float(grace), 5.0))
        totals.estimate = max(totals.estimate, estimate)

    async def _update_conditions(self, ns: Obj, discovery: DiscoveryResult, totals: _Totals) -> Obj:
        want: dict[str, tuple[str, str, str]] = {}
        if discovery.failed:
            failing = ", ".join(f"{gv}: {msg}" for gv, msg in sorted(discovery.failed.items()))
            want["NamespaceDeletionDiscoveryFailure"] = (
                "True",
                "DiscoveryFailed",
                f"Discovery failed for some groups, {len(discovery.failed)} failing: {failing}",
            )
        else:
            want["NamespaceDeletionDiscoveryFailure"] = (
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            )
        want["NamespaceDeletionGroupVersionParsingFailure"] = (
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed",
        )
        if totals.errors:
            want["NamespaceDeletionContentFailure"] = (
                "True",
                "ContentDeletionFailed",
                f"Failed to delete all resource types, {len(totals.errors)} remaining: {', '.join(sorted(totals.errors))}",
            )
        else:
            want["NamespaceDeletionContentFailure"] = (
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            )
        if totals.remaining:
            parts = ", ".join(
                f"{gr} has {n} resource instances" for gr, n in sorted(totals.remaining.items())
            )
            want["NamespaceContentRemaining"] = (
                "True",
                "SomeResourcesRemain",
                f"Some resources are remaining: {parts}",
            )
        else:
            want["NamespaceContentRemaining"] = (
                "False",
                "ContentRemoved",
                "All content successfully removed",
            )
        if totals.finalizers:
            parts = ", ".join(f"{f} in {n} resource instances" for f, n in sorted(totals.finalizers.items()))
            want["NamespaceFinalizersRemaining"] = (
                "True",
                "SomeFinalizersRemain",
                f"Some content in the namespace has finalizers remaining: {parts}",
            )
        else:
            want["NamespaceFinalizersRemaining"] = (
                "False",
                "ContentHasNoFinalizers",
                "All content-preserving finalizers finished",
            )
        status = ns.get("status") or {}
        old = {c.get("type"): c for c in status.get("conditions") or []}
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions: list[Obj] = []
        changed = status.get("phase") != "Terminating"
        for ctype in CONDITION_TYPES:
            st, reason, message = want[ctype]
            prev = old.get(ctype)
            if prev is not None and (prev.get("status"), prev.get("reason"), prev.get("message")) == (
                st,
                reason,
                message,
            ):
                conditions.append(prev)
                continue
            changed = True
            ltt = prev.get("lastTransitionTime") if prev is not None and prev.get("status") == st else now
            conditions.append(
                {
                    "type": ctype,
                    "status": st,
                    "lastTransitionTime": ltt or now,
                    "reason": reason,
                    "message": message,
                }
            )
        conditions.extend(c for t, c in old.items() if t not in CONDITION_TYPES)
        if not changed:
            return ns
        new = copy.deepcopy(ns)
        new["status"] = {**status, "phase": "Terminating", "conditions": conditions}
        try:
            return await self.client.update(f"/api/v1/namespaces/{ns['metadata']['name']}/status", new)
        except ApiError as e:
            if e.code == 404:
                return ns
            raise

    async def _finalize(self, ns: Obj) -> None:
        new = copy.deepcopy(ns)
        finalizers = [f for f in (new.get("spec") or {}).get("finalizers") or [] if f != FINALIZER_KUBERNETES]
        new.setdefault("spec", {})["finalizers"] = finalizers
        new.setdefault("apiVersion", "v1")
        new.setdefault("kind", "Namespace")
        try:
            await self.client.update(f"/api/v1/namespaces/{ns['metadata']['name']}/finalize", new)
        except ApiError as e:
            if e.code == 404:
                return
            raise


def new_controller(ctx: ControllerContext) -> Controller:
    return NamespaceController(ctx)
