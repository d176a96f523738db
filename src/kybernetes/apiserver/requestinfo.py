"""RequestInfo: what a request URL and method name, as upstream's RequestInfoFactory parses them.

Used by routing, authorization, metrics and audit alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

API_PREFIXES: Final = frozenset({"api", "apis"})
GROUPLESS_API_PREFIXES: Final = frozenset({"api"})
SPECIAL_VERBS: Final = frozenset({"proxy", "watch"})
SPECIAL_VERBS_NO_SUBRESOURCES: Final = frozenset({"proxy"})
NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})


@dataclass(frozen=True)
class RequestInfo:
    """What a request addresses (endpoints/request.RequestInfo)."""

    is_resource_request: bool
    path: str
    verb: str
    api_prefix: str = ""
    api_group: str = ""
    api_version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    parts: tuple[str, ...] = ()


def _truthy_watch(value: str) -> bool:
    return value.lower() not in ("false", "0", "")


def _valid_path_segment(name: str) -> bool:
    return name not in (".", "..") and "/" not in name and "%" not in name


def _field_selector_name(selector: str) -> str | None:
    """RequiresExactMatch("metadata.name") of a field selector string."""
    for term in selector.split(","):
        term = term.strip()
        for op in ("==", "="):
            if op in term and "!=" not in term:
                key, _, value = term.partition(op)
                if key.strip() == "metadata.name":
                    return value.strip()
                break
    return None


def request_verb(method: str, has_name: bool, watch: bool = False) -> str:
    """The API verb of a resource request from its HTTP method (upstream RequestInfoFactory):
    GET/HEAD -> get (named) / list / watch (``watch=true``), POST -> create, PUT -> update,
    PATCH -> patch, DELETE -> delete (named) / deletecollection."""
    m = method.upper()
    if m in ("GET", "HEAD"):
        if has_name:
            return "get"
        return "watch" if watch else "list"
    if m == "POST":
        return "create"
    if m == "PUT":
        return "update"
    if m == "PATCH":
        return "patch"
    if m == "DELETE":
        return "delete" if has_name else "deletecollection"
    return ""


def parse_request_info(method: str, path: str, query: Mapping[str, str] | None = None) -> RequestInfo:
    """Upstream RequestInfoFactory.NewRequestInfo for prefixes ``/api`` and ``/apis``.

    Examples::

        GET /api/v1/namespaces/default/pods            list pods in default
        GET /api/v1/namespaces/default/pods?watch=1    watch
        GET /api/v1/watch/namespaces/default/pods/foo  watch, name foo
        POST /api/v1/namespaces/default/pods/foo/eviction   create pods/eviction
        GET /apis/apps/v1/deployments                  list deployments (all namespaces)
        GET /api/v1/namespaces/default                 get namespaces default
        GET /healthz                                   non-resource, verb get
    """
    q = query or {}
    non_resource = RequestInfo(is_resource_request=False, path=path, verb=method.lower())
    parts = [p for p in path.strip("/").split("/")] if path.strip("/") else []
    if len(parts) < 3 or parts[0] not in API_PREFIXES:
        return non_resource
    api_prefix = parts[0]
    cur = parts[1:]
    api_group = ""
    if api_prefix not in GROUPLESS_API_PREFIXES:
        if len(cur) < 3:
            return non_resource
        api_group = cur[0]
        cur = cur[1:]
    api_version = cur[0]
    cur = cur[1:]

    if cur[0] in SPECIAL_VERBS:
        if len(cur) < 2:
            # upstream: "unable to determine kind and namespace from url"; treat as non-resource
            return non_resource
        verb = cur[0]
        cur = cur[1:]
    else:
        verb = {
            "POST": "create",
            "GET": "get",
            "HEAD": "get",
            "PUT": "update",
            "PATCH": "patch",
            "DELETE": "delete",
        }.get(method.upper(), "")

    namespace = ""
    if cur[0] == "namespaces":
        if len(cur) > 1:
            namespace = cur[1]
            if len(cur) > 2 and cur[2] not in NAMESPACE_SUBRESOURCES:
                cur = cur[2:]

    resource = name = subresource = ""
    if len(cur) >= 3 and verb not in SPECIAL_VERBS_NO_SUBRESOURCES:
        subresource = cur[2]
    if len(cur) >= 2:
        name = cur[1]
    if len(cur) >= 1:
        resource = cur[0]

    if not name and verb == "get":
        verb = "watch" if _truthy_watch(q.get("watch", "")) else "list"
        fs = q.get("fieldSelector")
        if fs:
            n = _field_selector_name(fs)
            if n and _valid_path_segment(n):
                name = n
    if not name and verb == "delete":
        verb = "deletecollection"

    return RequestInfo(
        is_resource_request=True,
        path=path,
        verb=verb,
        api_prefix=api_prefix,
        api_group=api_group,
        api_version=api_version,
        namespace=namespace,
        resource=resource,
        subresource=subresource,
        name=name,
        parts=tuple(cur),
    )


__all__ = ["RequestInfo", "parse_request_info", "request_verb"]
