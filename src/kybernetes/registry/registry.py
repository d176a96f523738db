"""The registry: one ResourceStore per served resource, sharing the store and the watch caches.

Also the cross-cutting rules upstream keeps in admission plugins and registry hooks:
NamespaceLifecycle, ServiceAccount (pods get their service account and token volume),
Service IP and NodePort allocation, pod graceful deletion, and the objects that exist
from the start (namespaces default, kube-system, kube-public, kube-node-lease and the
`kubernetes` Service).
"""

from __future__ import annotations

import logging
import random
import string
from typing import Any

from kybernetes.api import errors
from kybernetes.api.fieldselectors import field_set
from kybernetes.api.resources import ResourceInfo, all_resources
from kybernetes.api.validation import field as fe
from kybernetes.registry.allocators import AllocationError, ClusterIPAllocator, NodePortAllocator
from kybernetes.registry.managedfields import ManagedFields
from kybernetes.registry.options import DeleteOptions, WriteOptions
from kybernetes.registry.store import ResourceStore
from kybernetes.registry.strategy import strategy_for
from kybernetes.registry.watchcache import CacheDispatcher, FieldsFn, WatchCache
from kybernetes.storage.interface import Store

log = logging.getLogger(__name__)

Obj = dict[str, Any]

IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBERNETES_SERVICE_IP = "10.96.0.1"
SA_TOKEN_EXPIRATION = 3607
_SA_VOLUME_PREFIX = "kube-api-access-"


def fields_fn_for(info: ResourceInfo) -> FieldsFn:
    """The selectable fields of this resource's stored objects (what field selectors match)."""
    group, kind = info.stored_group, info.kind

    def fields(obj: Obj) -> dict[str, str]:
        return field_set(group, kind, obj)

    return fields


class Registry:
    def __init__(
        self, storage: Store, resources: tuple[ResourceInfo, ...] | None = None, watch_cache_size: int = 0
    ) -> None:
        self.storage = storage
        self.dispatcher = CacheDispatcher(storage, watch_cache_size) if watch_cache_size else CacheDispatcher(storage)
        self.managed_fields = ManagedFields()
        self.cluster_ips = ClusterIPAllocator(storage)
        self.node_ports = NodePortAllocator(storage)
        self.stores: dict[tuple[str, str, str], ResourceStore] = {}
        self._resources = resources if resources is not None else all_resources()
        self.check_service_accounts = True

    async def start(self) -> None:
        prefixes = sorted({r.storage_prefix() for r in self._resources if "list" in r.verbs})
        for r in self._resources:
            self.dispatcher.fields_fns.setdefault(r.storage_prefix(), fields_fn_for(r))
        await self.dispatcher.start(prefixes)
        for info in self._resources:
            self._add(info, self.dispatcher.caches.get(info.storage_prefix()))

    def _add(self, info: ResourceInfo, cache: WatchCache | None) -> ResourceStore:
        if cache is None:
            cache = WatchCache(info.storage_prefix(), self.dispatcher.history, fields_fn_for(info))
            cache.load([], 0)
        rs = ResourceStore(info, self, cache, strategy_for(info))
        self.stores[(info.group, info.version, info.resource)] = rs
        return rs

    async def add_resource(self, info: ResourceInfo) -> ResourceStore:
        cache = await self.dispatcher.add_prefix(info.storage_prefix(), fields_fn_for(info))
        return self._add(info, cache)

    def remove_resource(self, info: ResourceInfo) -> None:
        self.stores.pop((info.group, info.version, info.resource), None)
        if not any(s.info.storage_prefix() == info.storage_prefix() for s in self.stores.values()):
            self.dispatcher.remove_prefix(info.storage_prefix())

    async def close(self) -> None:
        await self.dispatcher.close()

    def store_for(self, group: str, version: str, resource: str) -> ResourceStore | None:
        return self.stores.get((group, version, resource))

    def core(self, resource: str) -> ResourceStore:
        return self.stores[("", "v1", resource)]

    # --- hooks called by ResourceStore ---------------------------------------------------------
    async def admit_create(self, rs: ResourceStore, obj: Obj, opts: WriteOptions) -> None:
        info = rs.info
        if info.namespaced:
            await self._namespace_lifecycle(obj["metadata"].get("namespace", ""))
        if info.group == "" and info.kind == "Pod":
            await self._admit_pod_service_account(obj)

    async def _namespace_lifecycle(self, namespace: str) -> None:
        ns_store = self.core("namespaces")
        cached = ns_store.cache.get(ns_store.key("", namespace))
        if cached is None:
            # maybe just created: look again once the cache is fresh
            await self.dispatcher.wait_fresh(3.0)
            cached = ns_store.cache.get(ns_store.key("", namespace))
        if cached is None:
            raise errors.not_found("", "namespaces", namespace)
        # status.phase is a selectable field of namespaces, kept decoded in the cache; a deleting
        # namespace is always marked Terminating (on_mark_deleting)
        if cached.fields(ns_store.cache.fields_fn).get("status.phase") == "Terminating":
            err = errors.forbidden(
                "", "", "", f"unable to create new content in namespace {namespace} because it is being terminated"
            )
            err.message = f"unable to create new content in namespace {namespace} because it is being terminated"
            err.details = {
                "name": namespace,
                "kind": "namespaces",
                "causes": [
                    {
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {namespace} is being terminated",
                        "field": "metadata.namespace",
                    }
                ],
            }
            raise err

    async def _admit_pod_service_account(self, pod: Obj) -> None:
        """The ServiceAccount admission plugin: default account, token volume, existence check."""
        spec = pod.setdefault("spec", {})
        if spec.get("serviceAccountName") is None:
            spec["serviceAccountName"] = spec.get("serviceAccount") or "default"
        sa_name = spec["serviceAccountName"]
        spec["serviceAccount"] = sa_name
        ns = pod["metadata"].get("namespace", "")
        if self.check_service_accounts and not spec.get("nodeName"):
            sa_store = self.core("serviceaccounts")
            if sa_store.cache.get(sa_store.key(ns, sa_name)) is None:
                await self.dispatcher.wait_fresh(3.0)
                if sa_store.cache.get(sa_store.key(ns, sa_name)) is None:
                    raise errors.StatusError(
                        403,
                        "Forbidden",
                        f'pods "{pod["metadata"].get("name") or pod["metadata"].get("generateName", "")}" is forbidden: '
                        f'error looking up service account {ns}/{sa_name}: serviceaccount "{sa_name}" not found',
                        {"name": pod["metadata"].get("name", ""), "kind": "pods"},
                    )
        if spec.get("automountServiceAccountToken") is False:
            return
        volumes = spec.setdefault("volumes", [])
        if any(v.get("name", "").startswith(_SA_VOLUME_PREFIX) for v in volumes):
            return
        containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
        if any(
            m.get("mountPath") == "/var/run/secrets/kubernetes.io/serviceaccount"
            for c in containers
            for m in c.get("volumeMounts") or []
        ):
            return
        vol_name = _SA_VOLUME_PREFIX + "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5))
        volumes.append(
            {
                "name": vol_name,
                "projected": {
                    "defaultMode": 420,
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": SA_TOKEN_EXPIRATION, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {
                            "downwardAPI": {
                                "items": [
                                    {
                                        "path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                    }
                                ]
                            }
                        },
                    ],
                },
            }
        )
        for c in containers:
            c.setdefault("volumeMounts", []).append(
                {"name": vol_name, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
            )

    async def before_create(self, rs: ResourceStore, obj: Obj, opts: WriteOptions) -> None:
        if rs.info.group == "" and rs.info.kind == "Service":
            await self._allocate_service(obj, None, opts.dry_run)

    async def before_update(self, rs: ResourceStore, new: Obj, old: Obj) -> None:
        if rs.info.group == "" and rs.info.kind == "Service":
            await self.reconcile_service_update(new, old)

    async def undo_create(self, rs: ResourceStore, obj: Obj) -> None:
        if rs.info.group == "" and rs.info.kind == "Service":
            await self._release_service(obj)

    async def after_delete(self, rs: ResourceStore, obj: Obj) -> None:
        if rs.info.group == "" and rs.info.kind == "Service":
            await self._release_service(obj)

    def on_mark_deleting(self, rs: ResourceStore, obj: Obj) -> None:
        if rs.info.group == "" and rs.info.kind == "Namespace":
            obj.setdefault("status", {})["phase"] = "Terminating"

    async def grace_period(self, rs: ResourceStore, obj: Obj, opts: DeleteOptions) -> int:
        info = rs.info
        if info.group == "" and info.kind == "Namespace" and obj["metadata"]["name"] in IMMORTAL_NAMESPACES:
            raise errors.StatusError(
                403, "Forbidden",
                f'namespaces "{obj["metadata"]["name"]}" is forbidden: this namespace may not be deleted',
                {"name": obj["metadata"]["name"], "kind": "namespaces"},
            )
        if info.group == "" and info.kind == "Pod":
            spec = obj.get("spec") or {}
            if not spec.get("nodeName"):
                return 0
            if (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                return 0
            if opts.grace_period_seconds is not None:
                return max(0, opts.grace_period_seconds)
            g = spec.get("terminationGracePeriodSeconds")
            return 30 if g is None else max(0, int(g))
        return 0

    def default_propagation(self, info: ResourceInfo) -> str:
        if info.group == "" and info.kind == "ReplicationController":
            return "Orphan"
        return "Background"

    # --- services -----------------------------------------------------------------------------
    async def _allocate_service(self, svc: Obj, old: Obj | None, dry_run: bool) -> None:
        spec = svc.setdefault("spec", {})
        name = svc["metadata"].get("name", "")
        owner = f'{svc["metadata"].get("namespace", "")}/{name}'
        stype = spec.get("type", "ClusterIP")
        allocated: list[tuple[str, Any]] = []
        try:
            if stype == "ExternalName":
                spec.pop("clusterIP", None)
                spec.pop("clusterIPs", None)
            else:
                ip = spec.get("clusterIP") or (spec.get("clusterIPs") or [""])[0]
                if ip == "None":
                    spec["clusterIP"] = "None"
                    spec["clusterIPs"] = ["None"]
                elif ip:
                    if not self.cluster_ips.contains(ip):
                        raise errors.invalid("", "Service", name, [fe.invalid(
                            "spec.clusterIPs", [ip],
                            f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
                            f"The range of valid IPs is {self.cluster_ips.network}")])
                    if not dry_run:
                        try:
                            await self.cluster_ips.allocate(ip, owner)
                        except AllocationError as e:
                            raise errors.invalid("", "Service", name, [fe.invalid("spec.clusterIPs", [ip], str(e))]) from None
                        allocated.append(("ip", ip))
                    spec["clusterIP"] = ip
                    spec["clusterIPs"] = [ip]
                else:
                    ip = "10.96.0.0" if dry_run else await self.cluster_ips.allocate_next(owner)
                    if not dry_run:
                        allocated.append(("ip", ip))
                    spec["clusterIP"] = ip
                    spec["clusterIPs"] = [ip]
                spec.setdefault("ipFamilies", ["IPv4"])
                spec.setdefault("ipFamilyPolicy", "SingleStack")
            if (stype in ("NodePort", "LoadBalancer") and spec.get("allocateLoadBalancerNodePorts", True) is not False) or stype == "NodePort":
                for i, p in enumerate(spec.get("ports") or []):
                    np = p.get("nodePort")
                    if np:
                        if not self.node_ports.contains(int(np)):
                            raise errors.invalid("", "Service", name, [fe.invalid(
                                f"spec.ports[{i}].nodePort", np,
                                f"provided port is not in the valid range. The range of valid ports is "
                                f"{self.node_ports.low}-{self.node_ports.high}")])
                        if not dry_run:
                            try:
                                await self.node_ports.allocate(int(np), owner)
                            except AllocationError as e:
                                raise errors.invalid("", "Service", name, [fe.invalid(f"spec.ports[{i}].nodePort", np, str(e))]) from None
                            allocated.append(("port", int(np)))
                    elif not dry_run:
                        port = await self.node_ports.allocate_next(owner)
                        allocated.append(("port", port))
                        p["nodePort"] = port
        except BaseException:
            for kind, value in allocated:
                if kind == "ip":
                    await self.cluster_ips.release(str(value))
                else:
                    await self.node_ports.release(int(value))
            raise

    async def _release_service(self, svc: Obj) -> None:
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            await self.cluster_ips.release(ip)
        for p in spec.get("ports") or []:
            if p.get("nodePort"):
                await self.node_ports.release(int(p["nodePort"]))

    async def reconcile_service_update(self, new: Obj, old: Obj) -> None:
        """Keep allocated values across updates (patchAllocatedValues) and allocate new node ports."""
        nspec = new.setdefault("spec", {})
        ospec = old.get("spec") or {}
        if nspec.get("type", "ClusterIP") != "ExternalName" and not nspec.get("clusterIP") and ospec.get("clusterIP"):
            nspec["clusterIP"] = ospec["clusterIP"]
            nspec["clusterIPs"] = list(ospec.get("clusterIPs") or [ospec["clusterIP"]])
        if not nspec.get("clusterIPs") and nspec.get("clusterIP"):
            nspec["clusterIPs"] = [nspec["clusterIP"]]
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in ospec.get("ports") or []}
        if nspec.get("type") in ("NodePort", "LoadBalancer"):
            for p in nspec.get("ports") or []:
                if not p.get("nodePort"):
                    np = old_ports.get((p.get("port"), p.get("protocol", "TCP")))
                    if np:
                        p["nodePort"] = np
                    else:
                        p["nodePort"] = await self.node_ports.allocate_next(
                            f'{new["metadata"].get("namespace", "")}/{new["metadata"].get("name", "")}'
                        )
        for fam in ("ipFamilies", "ipFamilyPolicy"):
            if fam not in nspec and fam in ospec:
                nspec[fam] = ospec[fam]

    # --- objects that exist from the start ----------------------------------------------------
    async def bootstrap(self, apiserver_host: str, apiserver_port: int) -> None:
        ns_store = self.core("namespaces")
        for ns in SYSTEM_NAMESPACES:
            if not await ns_store.exists("", ns):
                try:
                    await ns_store.create("", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
                                          WriteOptions(field_manager="kube-apiserver"))
                except errors.StatusError as e:
                    if e.code != 409:
                        raise
        await self.dispatcher.wait_fresh()
        svc_store = self.core("services")
        if not await svc_store.exists("default", "kubernetes"):
            svc = {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {
                    "clusterIP": KUBERNETES_SERVICE_IP,
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": apiserver_port}],
                    "sessionAffinity": "None",
                    "type": "ClusterIP",
                },
            }
            try:
                await svc_store.create("default", svc, WriteOptions(field_manager="kube-apiserver"))
            except errors.StatusError as e:
                if e.code != 409:
                    raise
        await self._reconcile_endpoints(apiserver_host, apiserver_port)

    async def _reconcile_endpoints(self, host: str, port: int) -> None:
        """The kubernetes Service's Endpoints and EndpointSlice point at this API server."""
        ep_store = self.core("endpoints")
        ep = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"}},
            "subsets": [{"addresses": [{"ip": host}], "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}],
        }
        await self._ensure(ep_store, "default", ep)
        es_store = self.store_for("discovery.k8s.io", "v1", "endpointslices")
        if es_store is not None:
            es = {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {"name": "kubernetes", "namespace": "default",
                             "labels": {"kubernetes.io/service-name": "kubernetes"}},
                "addressType": "IPv4",
                "endpoints": [{"addresses": [host], "conditions": {"ready": True}}],
                "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
            }
            await self._ensure(es_store, "default", es)

    async def _ensure(self, rs: ResourceStore, namespace: str, obj: Obj) -> None:
        name = obj["metadata"]["name"]
        try:
            current = await rs.get(namespace, name)
        except errors.StatusError:
            try:
                await rs.create(namespace, obj, WriteOptions(field_manager="kube-apiserver"))
            except errors.StatusError as e:
                if e.code != 409:
                    raise
            return
        desired = dict(current)
        for k, v in obj.items():
            if k != "metadata":
                desired[k] = v
        if desired != current:
            await rs.update(namespace, name, desired, WriteOptions(field_manager="kube-apiserver"))
