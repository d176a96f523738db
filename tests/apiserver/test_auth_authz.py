"""Authorization: request info parsing, verbs, the authorizer chain, 403 messages."""

from __future__ import annotations

import pytest

from kybernetes.apiserver.auth.authz import (
    AlwaysAllowAuthorizer,
    AlwaysDenyAuthorizer,
    Attributes,
    AuthorizerChain,
    Decision,
    PrivilegedGroupAuthorizer,
    forbidden_error,
)
from kybernetes.apiserver.auth.user import UserInfo
from kybernetes.apiserver.requestinfo import parse_request_info, request_verb

BOB = UserInfo("bob", groups=("system:authenticated",))
ADMIN = UserInfo("kyb-admin", groups=("system:masters", "system:authenticated"))


@pytest.mark.parametrize(
    ("method", "url", "query", "expected"),
    [
        ("GET", "/api/v1/namespaces/default/pods", {}, ("list", "", "default", "pods", "", "")),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"watch": "true"},
            ("watch", "", "default", "pods", "", ""),
        ),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"watch": "false"},
            ("list", "", "default", "pods", "", ""),
        ),
        ("GET", "/api/v1/namespaces/default/pods/foo", {}, ("get", "", "default", "pods", "foo", "")),
        ("GET", "/api/v1/namespaces/default/pods/foo/log", {}, ("get", "", "default", "pods", "foo", "log")),
        (
            "POST",
            "/api/v1/namespaces/default/pods/foo/eviction",
            {},
            ("create", "", "default", "pods", "foo", "eviction"),
        ),
        ("POST", "/api/v1/namespaces/default/pods", {}, ("create", "", "default", "pods", "", "")),
        (
            "PUT",
            "/api/v1/namespaces/default/pods/foo/status",
            {},
            ("update", "", "default", "pods", "foo", "status"),
        ),
        (
            "PATCH",
            "/apis/apps/v1/namespaces/ns1/deployments/d/scale",
            {},
            ("patch", "apps", "ns1", "deployments", "d", "scale"),
        ),
        ("DELETE", "/api/v1/namespaces/default/pods/foo", {}, ("delete", "", "default", "pods", "foo", "")),
        (
            "DELETE",
            "/api/v1/namespaces/default/pods",
            {},
            ("deletecollection", "", "default", "pods", "", ""),
        ),
        ("GET", "/apis/apps/v1/deployments", {}, ("list", "apps", "", "deployments", "", "")),
        ("GET", "/api/v1/namespaces", {}, ("list", "", "", "namespaces", "", "")),
        ("GET", "/api/v1/namespaces/default", {}, ("get", "", "default", "namespaces", "default", "")),
        (
            "PUT",
            "/api/v1/namespaces/default/finalize",
            {},
            ("update", "", "default", "namespaces", "default", "finalize"),
        ),
        ("GET", "/api/v1/watch/namespaces/default/pods", {}, ("watch", "", "default", "pods", "", "")),
        ("GET", "/api/v1/watch/namespaces/default/pods/foo", {}, ("watch", "", "default", "pods", "foo", "")),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"fieldSelector": "metadata.name=foo"},
            ("list", "", "default", "pods", "foo", ""),
        ),
        (
            "GET",
            "/api/v1/namespaces/default/pods",
            {"fieldSelector": "metadata.name!=foo"},
            ("list", "", "default", "pods", "", ""),
        ),
        (
            "GET",
            "/api/v1/namespaces/default/pods/foo/proxy/a/b",
            {},
            ("get", "", "default", "pods", "foo", "proxy"),
        ),
        (
            "GET",
            "/api/v1/proxy/namespaces/default/pods/foo/a",
            {},
            ("proxy", "", "default", "pods", "foo", ""),
        ),
        ("GET", "/api/v1/nodes/n1", {}, ("get", "", "", "nodes", "n1", "")),
    ],
)
def test_parse_request_info(method: str, url: str, query: dict[str, str], expected: tuple[str, ...]) -> None:
    info = parse_request_info(method, url, query)
    assert info.is_resource_request
    assert (info.verb, info.api_group, info.namespace, info.resource, info.name, info.subresource) == expected


@pytest.mark.parametrize(
    ("method", "url", "verb"),
    [
        ("GET", "/healthz", "get"),
        ("GET", "/api", "get"),
        ("GET", "/api/v1", "get"),
        ("GET", "/apis/apps", "get"),
        ("GET", "/apis/apps/v1", "get"),
        ("GET", "/openapi/v2", "get"),
        ("POST", "/metrics", "post"),
    ],
)
def test_non_resource_requests(method: str, url: str, verb: str) -> None:
    info = parse_request_info(method, url)
    assert not info.is_resource_request
    assert info.verb == verb
    assert info.path == url


def test_request_verb() -> None:
    assert request_verb("GET", has_name=True) == "get"
    assert request_verb("GET", has_name=False) == "list"
    assert request_verb("GET", has_name=False, watch=True) == "watch"
    assert request_verb("HEAD", has_name=True) == "get"
    assert request_verb("POST", has_name=False) == "create"
    assert request_verb("PUT", has_name=True) == "update"
    assert request_verb("PATCH", has_name=True) == "patch"
    assert request_verb("DELETE", has_name=True) == "delete"
    assert request_verb("DELETE", has_name=False) == "deletecollection"
    assert request_verb("OPTIONS", has_name=False) == ""


async def test_chain() -> None:
    attrs = Attributes.from_request_info(BOB, parse_request_info("GET", "/api/v1/namespaces/default/pods"))
    assert attrs.verb == "list" and attrs.is_read_only()

    class Denier:
        async def authorize(self, a: Attributes) -> tuple[Decision, str]:
            return Decision.DENY, "nope"

    class Abstainer:
        async def authorize(self, a: Attributes) -> tuple[Decision, str]:
            return Decision.NO_OPINION, "RBAC: no rule"

    assert await AuthorizerChain(AlwaysAllowAuthorizer()).authorize(attrs) == (Decision.ALLOW, "")
    assert await AuthorizerChain(Abstainer(), Denier(), AlwaysAllowAuthorizer()).authorize(attrs) == (
        Decision.DENY,
        "nope",
    )
    decision, reason = await AuthorizerChain(Abstainer(), AlwaysDenyAuthorizer()).authorize(attrs)
    assert decision is Decision.NO_OPINION
    assert reason == "RBAC: no rule\nEverything is forbidden."
    chain = AuthorizerChain(PrivilegedGroupAuthorizer(), Abstainer())
    assert await chain.allowed(attrs) == (False, "RBAC: no rule")
    admin_attrs = Attributes.from_request_info(ADMIN, parse_request_info("DELETE", "/api/v1/nodes/n1"))
    assert await chain.allowed(admin_attrs) == (True, "")
    chain.append(AlwaysAllowAuthorizer())
    assert (await chain.allowed(attrs))[0]


def test_forbidden_messages() -> None:
    def attrs(method: str, url: str) -> Attributes:
        return Attributes.from_request_info(BOB, parse_request_info(method, url))

    e = forbidden_error(attrs("GET", "/api/v1/namespaces/default/pods/x"))
    assert e.code == 403 and e.reason == "Forbidden"
    assert (
        e.message
        == 'pods "x" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "default"'
    )
    assert e.details == {"name": "x", "kind": "pods"}

    e = forbidden_error(attrs("GET", "/apis/apps/v1/deployments"), "RBAC: denied")
    assert e.message == (
        'deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" '
        "at the cluster scope: RBAC: denied"
    )
    assert e.details == {"group": "apps", "kind": "deployments"}

    e = forbidden_error(attrs("POST", "/api/v1/namespaces/default/pods/p/eviction"))
    assert e.message == (
        'pods "p" is forbidden: User "bob" cannot create resource "pods/eviction" in API group "" '
        'in the namespace "default"'
    )

    e = forbidden_error(attrs("GET", "/metrics"))
    assert e.message == 'forbidden: User "bob" cannot get path "/metrics"'
    assert e.details == {}
