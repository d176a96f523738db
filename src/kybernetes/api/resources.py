"""The resource table: every built-in resource the API server serves.

One :class:`ResourceInfo` per (group, version, resource). Several versions of one
resource (autoscaling/v1 and v2 horizontalpodautoscalers; core/v1 and events.k8s.io/v1
events) share one storage location, named by ``storage_group``/``storage_resource``,
and are converted by :mod:`kybernetes.api.conversion`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    group: str  # "" for core
    version: str
    resource: str  # plural, e.g. "deployments"
    kind: str  # e.g. "Deployment"
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    # subresource name -> kind served there (e.g. "status" -> same kind, "scale" -> "Scale",
    # "binding" -> "Binding", "eviction" -> "Eviction", "log"/"exec"/... -> "")
    subresources: tuple[tuple[str, str], ...] = ()
    # where the objects live in storage (shared by all versions of a resource)
    storage_group: str | None = None
    storage_resource: str | None = None
    # the version objects are stored in (conversion happens on the way in and out)
    storage_version: str | None = None
    # metadata.generation is maintained (spec changes bump it)
    has_generation: bool = False
    # the object has a status stanza split off to the /status subresource
    has_status: bool = False
    # served in discovery as preferred version of its group
    preferred: bool = True
    # objects are persisted (False for virtual resources such as bindings, TokenReview,
    # SubjectAccessReview, ComponentStatus: create-only or computed on read)
    stored: bool = True
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    @property
    def group_resource(self) -> str:
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @property
    def stored_group(self) -> str:
        return self.group if self.storage_group is None else self.storage_group

    @property
    def stored_resource(self) -> str:
        return self.storage_resource or self.resource

    @property
    def stored_version(self) -> str:
        return self.storage_version or self.version

    def storage_prefix(self) -> str:
        """Key prefix of all objects of this resource (all namespaces), ending in '/'."""
        g = self.stored_group
        # upstream keeps the core group and a few legacy groups without the group name
        return f"/registry/{g + '/' if g else ''}{self.stored_resource}/"

    def storage_key(self, namespace: str, name: str) -> str:
        if self.namespaced:
            return f"{self.storage_prefix()}{namespace}/{name}"
        return f"{self.storage_prefix()}{name}"

    def subresource_kind(self, sub: str) -> str | None:
        for name, kind in self.subresources:
            if name == sub:
                return kind
        return None


# The table itself lives in kybernetes.api.resource_table (data); these helpers index it.


@cache
def all_resources() -> tuple[ResourceInfo, ...]:
    from kybernetes.api.resource_table import RESOURCES

    return tuple(RESOURCES)


@cache
def _by_gvr() -> dict[tuple[str, str, str], ResourceInfo]:
    return {(r.group, r.version, r.resource): r for r in all_resources()}


@cache
def _by_gvk() -> dict[tuple[str, str, str], ResourceInfo]:
    return {(r.group, r.version, r.kind): r for r in all_resources()}


def lookup(group: str, version: str, resource: str) -> ResourceInfo | None:
    return _by_gvr().get((group, version, resource))


def lookup_kind(group: str, version: str, kind: str) -> ResourceInfo | None:
    return _by_gvk().get((group, version, kind))


def lookup_api_version_kind(api_version: str, kind: str) -> ResourceInfo | None:
    group, _, version = api_version.rpartition("/")
    return lookup_kind(group, version, kind)


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version
