"""Discovery: /api, /apis, /apis/<g>, /apis/<g>/<v>, legacy and aggregated (apidiscovery.k8s.io/v2)."""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from kybernetes.api.resources import ResourceInfo

Obj = dict[str, Any]

# group/version of subresource kinds that live in another group
_SUB_GVK: dict[str, tuple[str, str]] = {
    "Scale": ("autoscaling", "v1"),
    "Eviction": ("policy", "v1"),
    "TokenRequest": ("authentication.k8s.io", "v1"),
}
_SUB_VERBS: dict[str, list[str]] = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "approval": ["get", "patch", "update"],
    "ephemeralcontainers": ["get", "patch", "update"],
    "resize": ["get", "patch", "update"],
    "binding": ["create"],
    "eviction": ["create"],
    "token": ["create"],
    "finalize": ["update"],
    "log": ["get"],
    "exec": ["create", "get"],
    "attach": ["create", "get"],
    "portforward": ["create", "get"],
    "proxy": ["create", "delete", "get", "patch", "update"],
}
_SUB_KIND_DEFAULT: dict[str, str] = {
    "exec": "PodExecOptions",
    "attach": "PodAttachOptions",
    "portforward": "PodPortForwardOptions",
    "log": "Pod",
}

# upstream's order of groups in /apis (by priority), the rest alphabetically after
_GROUP_ORDER = [
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io",
    "storage.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "flowcontrol.apiserver.k8s.io",
]


def storage_version_hash(info: ResourceInfo) -> str:
    digest = hashlib.sha256(f"{info.stored_group}/{info.stored_version}/{info.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()


def _version_key(v: str) -> tuple[int, int, int]:
    """Kubernetes version priority: GA > beta > alpha, higher numbers first."""
    import re

    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", v)
    if not m:
        return (3, 0, 0)
    major = int(m.group(1))
    stage = {"alpha": 2, "beta": 1, None: 0}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stage, -major, -minor)


class Discovery:
    def __init__(self, resources: Iterable[ResourceInfo], server_address: str = "") -> None:
        self.server_address = server_address
        self.set_resources(resources)

    def set_resources(self, resources: Iterable[ResourceInfo]) -> None:
        groups: OrderedDict[str, OrderedDict[str, list[ResourceInfo]]] = OrderedDict()
        for r in resources:
            groups.setdefault(r.group, OrderedDict()).setdefault(r.version, []).append(r)
        self.groups = groups
        self._cache: dict[str, Obj] = {}

    def group_names(self) -> list[str]:
        names = [g for g in self.groups if g]
        known = [g for g in _GROUP_ORDER if g in names]
        rest = sorted(g for g in names if g not in _GROUP_ORDER)
        return known + rest

    def versions(self, group: str) -> list[str]:
        return sorted(self.groups.get(group, {}), key=_version_key)

    # --- legacy ---------------------------------------------------------------------------------
    def api_versions(self) -> Obj:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}],
        }

    def api_group(self, group: str) -> Obj | None:
        if group not in self.groups or not group:
            return None
        versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in self.versions(group)]
        return {
            "kind": "APIGroup",
            "apiVersion": "v1",
            "name": group,
            "versions": versions,
            "preferredVersion": versions[0],
        }

    def api_group_list(self) -> Obj:
        groups = []
        for g in self.group_names():
            ag = self.api_group(g)
            assert ag is not None
            ag = dict(ag)
            ag.pop("kind")
            ag.pop("apiVersion")
            groups.append(ag)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> Obj | None:
        rs = self.groups[group].get(version) if group in self.groups else None
        if rs is None:
            return None
        out: list[Obj] = []
        for r in sorted(rs, key=lambda x: x.resource):
            entry: Obj = {
                "name": r.resource,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
            }
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            if r.categories:
                entry["categories"] = list(r.categories)
            if "list" in r.verbs:
                entry["storageVersionHash"] = storage_version_hash(r)
            out.append(entry)
            for sub, kind in r.subresources:
                s: Obj = {"name": f"{r.resource}/{sub}", "singularName": "", "namespaced": r.namespaced}
                skind = kind or _SUB_KIND_DEFAULT.get(sub, r.kind)
                if skind in _SUB_GVK:
                    s["group"], s["version"] = _SUB_GVK[skind]
                s["kind"] = skind
                s["verbs"] = _SUB_VERBS.get(sub, ["get"])
                out.append(s)
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}

    # --- aggregated (apidiscovery.k8s.io/v2) ------------------------------------------------------
    def _aggregated_resource(self, r: ResourceInfo) -> Obj:
        entry: Obj = {
            "resource": r.resource,
            "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
            "scope": "Namespaced" if r.namespaced else "Cluster",
            "singularResource": r.singular,
            "verbs": list(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        subs = []
        for sub, kind in r.subresources:
            skind = kind or _SUB_KIND_DEFAULT.get(sub, r.kind)
            g, v = _SUB_GVK.get(skind, (r.group, r.version))
            subs.append(
                {"subresource": sub, "responseKind": {"group": g, "version": v, "kind": skind},
                 "verbs": _SUB_VERBS.get(sub, ["get"])}
            )
        if subs:
            entry["subresources"] = subs
        return entry

    def _aggregated_group(self, group: str) -> Obj:
        versions = []
        for v in self.versions(group):
            rs = sorted(self.groups[group][v], key=lambda x: x.resource)
            versions.append(
                {"version": v, "resources": [self._aggregated_resource(r) for r in rs], "freshness": "Current"}
            )
        return {"metadata": {"name": group, "creationTimestamp": None}, "versions": versions}

    def aggregated(self, legacy: bool, version: str = "v2") -> Obj:
        groups = [""] if legacy else self.group_names()
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": f"apidiscovery.k8s.io/{version}",
            "metadata": {},
            "items": [self._aggregated_group(g) for g in groups if g in self.groups],
        }


def wants_aggregated(accept: str | None) -> str | None:
    """The apidiscovery version the client asks for first, if any."""
    for part in (accept or "").split(","):
        p = part.replace(" ", "")
        if "as=APIGroupDiscoveryList" in p and "g=apidiscovery.k8s.io" in p:
            if "v=v2beta1" in p:
                return "v2beta1"
            if "v=v2" in p:
                return "v2"
        elif p.split(";")[0] in ("application/json", "*/*") and "as=" not in p:
            return None
    return None
