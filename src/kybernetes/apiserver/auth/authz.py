"""Authorization, as k8s.io/apiserver/pkg/authorization and endpoints/request.

* :class:`RequestInfo` / :func:`parse_request_info` — upstream's RequestInfoFactory: what a
  URL and method mean (resource or non-resource request, group, version, namespace,
  resource, name, subresource, verb).
* :class:`Attributes` — what an authorizer decides on (user + request info).
* :class:`Authorizer` — ``async authorize(attrs) -> (Decision, reason)``; implementations
  :class:`AlwaysAllowAuthorizer`, :class:`AlwaysDenyAuthorizer`,
  :class:`PrivilegedGroupAuthorizer` (``system:masters``) and :class:`AuthorizerChain`
  (the union: the first ALLOW or DENY wins). RBAC plugs into the chain.
* :func:`forbidden_error` — the 403 Status exactly as upstream words it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from kybernetes.api.errors import StatusError
from kybernetes.apiserver.auth.user import SYSTEM_PRIVILEGED_GROUP, UserInfo

API_PREFIXES: Final = frozenset({"api", "apis"})
GROUPLESS_API_PREFIXES: Final = frozenset({"api"})
SPECIAL_VERBS: Final = frozenset({"proxy", "watch"})
SPECIAL_VERBS_NO_SUBRESOURCES: Final = frozenset({"proxy"})
NAMESPACE_SUBRESOURCES: Final = frozenset({"status", "finalize"})

READ_ONLY_VERBS: Final = frozenset({"get", "list", "watch"})


class Decision(enum.Enum):
    DENY = 0
    ALLOW = 1
    NO_OPINION = 2


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


@dataclass(frozen=True)
class Attributes:
    """What an authorizer decides on (authorizer.AttributesRecord)."""

    user: UserInfo
    verb: str
    namespace: str = ""
    api_group: str = ""
    api_version: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    path: str = ""
    resource_request: bool = True

    @classmethod
    def from_request_info(cls, user: UserInfo, info: RequestInfo) -> Attributes:
        return cls(
            user=user,
            verb=info.verb,
            namespace=info.namespace,
            api_group=info.api_group,
            api_version=info.api_version,
            resource=info.resource,
            subresource=info.subresource,
            name=info.name,
            path=info.path,
            resource_request=info.is_resource_request,
        )

    def is_read_only(self) -> bool:
        return self.verb in READ_ONLY_VERBS


class Authorizer(Protocol):
    async def authorize(self, attrs: Attributes) -> tuple[Decision, str]: ...


class AlwaysAllowAuthorizer:
    async def authorize(self, attrs: Attributes) -> tuple[Decision, str]:
        return Decision.ALLOW, ""


class AlwaysDenyAuthorizer:
    async def authorize(self, attrs: Attributes) -> tuple[Decision, str]:
        return Decision.NO_OPINION, "Everything is forbidden."


class PrivilegedGroupAuthorizer:
    """Allows members of the given groups everything (upstream puts ``system:masters`` first)."""

    def __init__(self, groups: Sequence[str] = (SYSTEM_PRIVILEGED_GROUP,)) -> None:
        self._groups = frozenset(groups)

    async def authorize(self, attrs: Attributes) -> tuple[Decision, str]:
        if self._groups.intersection(attrs.user.groups):
            return Decision.ALLOW, ""
        return Decision.NO_OPINION, ""


class AuthorizerChain:
    """The union of authorizers: asked in order; the first ALLOW or DENY decides. If all have no
    opinion the request is denied with their reasons joined (as upstream's union authorizer)."""

    def __init__(self, *authorizers: Authorizer) -> None:
        self._authorizers = list(authorizers)

    def append(self, authorizer: Authorizer) -> None:
        self._authorizers.append(authorizer)

    async def authorize(self, attrs: Attributes) -> tuple[Decision, str]:
        reasons: list[str] = []
        for a in self._authorizers:
            decision, reason = await a.authorize(attrs)
            if decision is Decision.ALLOW or decision is Decision.DENY:
                return decision, reason
            if reason:
                reasons.append(reason)
        return Decision.NO_OPINION, "\n".join(reasons)

    async def allowed(self, attrs: Attributes) -> tuple[bool, str]:
        decision, reason = await self.authorize(attrs)
        return decision is Decision.ALLOW, reason


def forbidden_message(attrs: Attributes) -> str:
    """responsewriters.forbiddenMessage."""
    username = attrs.user.name
    if not attrs.resource_request:
        return f'User "{username}" cannot {attrs.verb} path "{attrs.path}"'
    resource = attrs.resource
    if attrs.subresource:
        resource = f"{resource}/{attrs.subresource}"
    if attrs.namespace:
        return (
            f'User "{username}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" '
            f'in the namespace "{attrs.namespace}"'
        )
    return (
        f'User "{username}" cannot {attrs.verb} resource "{resource}" in API group "{attrs.api_group}" '
        "at the cluster scope"
    )


def forbidden_error(attrs: Attributes, reason: str = "") -> StatusError:
    """The 403 the apiserver returns for a denied request (responsewriters.Forbidden +
    apierrors.NewForbidden), e.g. ``pods "x" is forbidden: User "bob" cannot get resource "pods"
    in API group "" in the namespace "default"``."""
    msg = forbidden_message(attrs)
    if reason:
        msg = f"{msg}: {reason}"
    group = attrs.api_group if attrs.resource_request else ""
    resource = attrs.resource if attrs.resource_request else ""
    name = attrs.name if attrs.resource_request else ""
    if not group and not resource:
        message = f"forbidden: {msg}"
    else:
        qualified = f"{resource}.{group}" if group else resource
        message = f'{qualified} "{name}" is forbidden: {msg}' if name else f"{qualified} is forbidden: {msg}"
    details: dict[str, str] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    if resource:
        details["kind"] = resource
    return StatusError(403, "Forbidden", message, details)
