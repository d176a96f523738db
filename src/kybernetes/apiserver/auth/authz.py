"""Authorization, as k8s.io/apiserver/pkg/authorization and endpoints/request.

* :class:`RequestInfo` / :func:`parse_request_info` live in :mod:`kybernetes.apiserver.requestinfo`
  (what a URL and method mean); :class:`Attributes` is built from them.
* :class:`Attributes` — what an authorizer decides on (user + request info).
* :class:`Authorizer` — ``async authorize(attrs) -> (Decision, reason)``; implementations
  :class:`AlwaysAllowAuthorizer`, :class:`AlwaysDenyAuthorizer`,
  :class:`PrivilegedGroupAuthorizer` (``system:masters``) and :class:`AuthorizerChain`
  (the union: the first ALLOW or DENY wins). RBAC plugs into the chain.
* :func:`forbidden_error` — the 403 Status exactly as upstream words it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from kybernetes.api.errors import StatusError
from kybernetes.apiserver.auth.user import SYSTEM_PRIVILEGED_GROUP, UserInfo
from kybernetes.apiserver.requestinfo import RequestInfo

READ_ONLY_VERBS: Final = frozenset({"get", "list", "watch"})


class Decision(enum.Enum):
    DENY = 0
    ALLOW = 1
    NO_OPINION = 2


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
