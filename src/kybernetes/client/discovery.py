"""API discovery: which resources the server serves (client-go's ``discovery`` client).

:func:`server_preferred_resources` reads ``/api/v1`` and, for every group in ``/apis``,
its preferred version, returning the top-level resources (subresources left out) and
the group versions that could not be read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from kybernetes.client.rest import ApiError, Obj, RESTClient, group_version_prefix


@dataclass(frozen=True, slots=True)
class APIResource:
    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def supports(self, *verbs: str) -> bool:
        return all(v in self.verbs for v in verbs)


@dataclass
class DiscoveryResult:
    resources: list[APIResource]
    # group version -> error message, for group versions whose resource list failed
    failed: dict[str, str]

    def by_group_kind(self) -> dict[tuple[str, str], APIResource]:
        return {(r.group, r.kind): r for r in self.resources}


def _parse_resource_list(group: str, version: str, doc: Obj) -> list[APIResource]:
    out: list[APIResource] = []
    for r in doc.get("resources") or []:
        name = str(r.get("name") or "")
        if not name or "/" in name:
            continue
        out.append(
            APIResource(
                group=group,
                version=version,
                resource=name,
                kind=str(r.get("kind") or ""),
                namespaced=bool(r.get("namespaced")),
                verbs=tuple(r.get("verbs") or ()),
            )
        )
    return out


async def server_preferred_resources(client: RESTClient) -> DiscoveryResult:
    failed: dict[str, str] = {}
    gvs: list[tuple[str, str]] = []
    core = await client.get("/api")
    for v in core.get("versions") or ["v1"]:
        gvs.append(("", str(v)))
    groups = await client.get("/apis")
    for g in groups.get("groups") or []:
        name = str(g.get("name") or "")
        pref = (g.get("preferredVersion") or {}).get("version")
        if not pref and g.get("versions"):
            pref = g["versions"][0].get("version")
        if name and pref:
            gvs.append((name, str(pref)))

    async def one(group: str, version: str) -> list[APIResource]:
        try:
            doc = await client.get(group_version_prefix(group, version))
        except ApiError as e:
            failed[f"{group}/{version}" if group else version] = e.message or str(e)
            return []
        return _parse_resource_list(group, version, doc)

    lists = await asyncio.gather(*(one(g, v) for g, v in gvs))
    resources = [r for lst in lists for r in lst]
    return DiscoveryResult(resources, failed)


__all__ = ["APIResource", "DiscoveryResult", "server_preferred_resources"]
