"""RequestInfo: what a request URL names, as upstream's RequestInfoFactory parses it."""

from __future__ import annotations

from dataclasses import dataclass, field

_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})
_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass(slots=True)
class RequestInfo:
    path: str
    method: str
    is_resource_request: bool = False
    api_prefix: str = ""  # "api" or "apis"
    group: str = ""
    version: str = ""
    namespace: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    verb: str = ""
    parts: list[str] = field(default_factory=list)  # the rest after the subresource (proxy paths)


def parse_request_info(path: str, method: str, query_watch: bool) -> RequestInfo:
    info = RequestInfo(path=path, method=method)
    parts = [p for p in path.strip("/").split("/")]
    if not parts or parts[0] not in ("api", "apis") or parts == [""]:
        info.verb = method.lower()
        return info
    info.api_prefix = parts[0]
    rest = parts[1:]
    if info.api_prefix == "api":
        if not rest:
            return info
        info.version = rest[0]
        rest = rest[1:]
    else:
        if len(rest) < 2:
            if rest:
                info.group = rest[0]
            return info
        info.group, info.version = rest[0], rest[1]
        rest = rest[2:]
    if not rest or rest == [""]:
        return info
    info.is_resource_request = True
    info.verb = _VERBS.get(method, method.lower())
    if rest[0] == "watch":
        info.verb = "watch"
        rest = rest[1:]
    if rest and rest[0] == "namespaces":
        if len(rest) > 1:
            info.namespace = rest[1]
            if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
                rest = rest[2:]
    if not rest:
        info.is_resource_request = False
        return info
    info.resource = rest[0]
    if len(rest) > 1:
        info.name = rest[1]
    if len(rest) > 2:
        info.subresource = rest[2]
    if len(rest) > 3:
        info.parts = rest[3:]
    if info.resource == "namespaces" and info.name:
        info.namespace = info.name
    if info.resource == "namespaces" and not info.name and info.namespace:
        info.name = info.namespace
    if not info.name:
        if info.verb == "get":
            info.verb = "watch" if query_watch else "list"
        elif info.verb == "delete":
            info.verb = "deletecollection"
    elif info.verb == "get" and query_watch:
        info.verb = "watch"
    return info
