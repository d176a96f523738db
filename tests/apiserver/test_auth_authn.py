"""Authenticators: x509, static token file, bearer parsing, union."""

from __future__ import annotations

import base64
import datetime
import ssl
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kybernetes.apiserver.auth.authn import (
    AuthenticationError,
    AuthRequest,
    BearerTokenAuthenticator,
    StaticTokenAuthenticator,
    TokenFileError,
    UnionAuthenticator,
    X509Authenticator,
    auth_request_from_transport,
    bearer_token,
    is_anonymous_path,
)
from kybernetes.apiserver.auth.pki import Pki, ensure_pki, load_private_key, make_leaf
from kybernetes.apiserver.auth.user import (
    ALL_AUTHENTICATED,
    ANONYMOUS_USER,
    CREDENTIAL_ID_KEY,
    UserInfo,
)

TOKEN_CSV = """\
secret-admin,admin,uid-1,"system:masters,devs"
secret-bob,bob,uid-2
 secret-carol, carol, uid-3, ops
,empty,uid-4
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki"))


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


# --- x509 ------------------------------------------------------------------------------------


async def test_x509_cn_and_orgs(pki: Pki) -> None:
    cert, _ = pki.issue_client_cert("alice", ["team-a", "team-b"])
    user = await X509Authenticator(pki.ca_cert_pem).authenticate(AuthRequest(peer_cert_der=der(cert)))
    assert user is not None
    assert user.name == "alice"
    assert user.groups == ("team-a", "team-b")
    assert user.extra[CREDENTIAL_ID_KEY][0].startswith("X509SHA256=")


async def test_x509_no_cert_is_not_my_business(pki: Pki) -> None:
    assert await X509Authenticator(pki.ca_cert_pem).authenticate(AuthRequest()) is None


async def test_x509_validity_dates(pki: Pki) -> None:
    cert, _ = pki.issue_client_cert("alice", [], days=30)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    with pytest.raises(AuthenticationError, match="expired"):
        X509Authenticator(pki.ca_cert_pem, clock=lambda: later).user_for_der(der(cert))
    with pytest.raises(AuthenticationError, match="not yet valid"):
        X509Authenticator(pki.ca_cert_pem, clock=lambda: earlier).user_for_der(der(cert))


async def test_x509_rejects_server_only_cert_and_foreign_ca(pki: Pki, tmp_path: Path) -> None:
    server_cert, _ = pki.issue_server_cert("node", ["node.example.test"])
    with pytest.raises(AuthenticationError, match="key usage"):
        X509Authenticator(pki.ca_cert_pem).user_for_der(der(server_cert))
    other = ensure_pki(tmp_path)
    with pytest.raises(AuthenticationError, match="unknown authority"):
        X509Authenticator(pki.ca_cert_pem).user_for_der(der(other.admin_cert_pem))


async def test_x509_empty_cn_is_anonymous(pki: Pki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_leaf(pki.ca_cert, load_private_key(pki.ca_key_pem), key.public_key(), "", ["g"], client=True)
    assert (
        X509Authenticator(pki.ca_cert_pem).user_for_der(cert.public_bytes(serialization.Encoding.DER)) is None
    )


async def test_x509_dict_form() -> None:
    now = datetime.datetime.now(datetime.UTC)
    fmt = "%b %d %H:%M:%S %Y GMT"
    cert: dict[str, Any] = {
        "subject": ((("organizationName", "system:nodes"),), (("commonName", "system:node:n1"),)),
        "notBefore": (now - datetime.timedelta(days=1)).strftime(fmt),
        "notAfter": (now + datetime.timedelta(days=1)).strftime(fmt),
    }
    user = await X509Authenticator().authenticate(AuthRequest(peer_cert=cert))
    assert user == UserInfo("system:node:n1", groups=("system:nodes",))
    cert["notAfter"] = (now - datetime.timedelta(hours=1)).strftime(fmt)
    with pytest.raises(AuthenticationError):
        await X509Authenticator().authenticate(AuthRequest(peer_cert=cert))


class FakeSSLObject:
    def __init__(self, der_bytes: bytes | None) -> None:
        self._der = der_bytes

    def getpeercert(self, binary_form: bool = False) -> bytes | None:
        assert binary_form
        return self._der


class FakeTransport:
    def __init__(self, extra: dict[str, Any]) -> None:
        self._extra = extra

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._extra.get(name, default)


def test_auth_request_from_transport(pki: Pki) -> None:
    d = der(pki.admin_cert_pem)
    req = auth_request_from_transport(
        {"authorization": "Bearer x"}, FakeTransport({"ssl_object": FakeSSLObject(d)})
    )
    assert req.peer_cert_der == d
    assert req.header("Authorization") == "Bearer x"
    req = auth_request_from_transport({}, FakeTransport({"ssl_object": FakeSSLObject(None)}))
    assert req.peer_cert_der is None and req.peer_cert is None
    req = auth_request_from_transport({}, FakeTransport({"peercert": {"subject": ()}}))
    assert req.peer_cert == {"subject": ()}
    assert auth_request_from_transport({}, None) == AuthRequest()
    assert isinstance(ssl.CERT_OPTIONAL, int)


# --- bearer tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Bearer abc"}, "abc"),
        ({"authorization": "bearer abc"}, "abc"),
        ({"Authorization": "  Bearer abc  "}, "abc"),
        ({"Authorization": "Bearer abc extra"}, "abc"),
        ({"Authorization": "Bearer "}, None),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, None),
        ({}, None),
        (
            {
                "Sec-WebSocket-Protocol": "v5.channel.k8s.io, base64url.bearer.authorization.k8s.io."
                + base64.urlsafe_b64encode(b"wstoken").decode().rstrip("=")
            },
            "wstoken",
        ),
    ],
)
def test_bearer_token(headers: dict[str, str], expected: str | None) -> None:
    assert bearer_token(AuthRequest(headers=headers)) == expected


def test_token_file_parsing() -> None:
    auth = StaticTokenAuthenticator.from_csv(TOKEN_CSV)
    assert len(auth) == 3  # the empty token is skipped


async def test_token_file_auth(tmp_path: Path) -> None:
    path = tmp_path / "tokens.csv"
    path.write_text(TOKEN_CSV)
    auth = StaticTokenAuthenticator.from_file(path)
    admin = await auth.authenticate(AuthRequest(headers={"Authorization": "Bearer secret-admin"}))
    assert admin == UserInfo("admin", "uid-1", ("system:masters", "devs"))
    bob = await auth.authenticate_token("secret-bob")
    assert bob == UserInfo("bob", "uid-2", ())
    carol = await auth.authenticate_token("secret-carol")
    assert carol == UserInfo("carol", "uid-3", ("ops",))
    assert await auth.authenticate_token("nope") is None
    assert await auth.authenticate(AuthRequest()) is None
    with pytest.raises(AuthenticationError):
        await auth.authenticate(AuthRequest(headers={"Authorization": "Bearer nope"}))


def test_token_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="at least 3 columns"):
        StaticTokenAuthenticator.from_csv("tok,user\n")
    with pytest.raises(TokenFileError, match="failed to read"):
        StaticTokenAuthenticator.from_file(tmp_path / "missing.csv")


# --- union -----------------------------------------------------------------------------------


async def test_union_adds_authenticated_group_and_falls_through(pki: Pki) -> None:
    tokens = StaticTokenAuthenticator.from_csv(TOKEN_CSV)
    union = UnionAuthenticator(X509Authenticator(pki.ca_cert_pem), BearerTokenAuthenticator([tokens]))

    by_cert = await union.authenticate(AuthRequest(peer_cert_der=der(pki.admin_cert_pem)))
    assert by_cert is not None
    assert by_cert.name == "kyb-admin"
    assert by_cert.groups == ("system:masters", ALL_AUTHENTICATED)

    by_token = await union.authenticate(AuthRequest(headers={"Authorization": "Bearer secret-bob"}))
    assert by_token == UserInfo("bob", "uid-2", (ALL_AUTHENTICATED,))

    # An expired certificate does not stop a valid token from authenticating.
    expired_cert, _ = pki.issue_client_cert("old", [], days=1)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    union2 = UnionAuthenticator(
        X509Authenticator(pki.ca_cert_pem, clock=lambda: later), BearerTokenAuthenticator([tokens])
    )
    user = await union2.authenticate(
        AuthRequest(headers={"Authorization": "Bearer secret-bob"}, peer_cert_der=der(expired_cert))
    )
    assert user is not None and user.name == "bob"

    none, errors = await union.authenticate_verbose(AuthRequest(headers={"Authorization": "Bearer wrong"}))
    assert none is None and errors
    assert await union.authenticate(AuthRequest()) is None


async def test_union_leaves_anonymous_alone() -> None:
    class Anon:
        async def authenticate(self, req: AuthRequest) -> UserInfo | None:
            return ANONYMOUS_USER

    user = await UnionAuthenticator(Anon()).authenticate(AuthRequest())
    assert user == ANONYMOUS_USER


def test_anonymous_paths() -> None:
    for p in ("/healthz", "/livez", "/readyz", "/version"):
        assert is_anonymous_path(p)
    for p in ("/api", "/apis", "/metrics", "/api/v1/pods", "/healthz/../api"):
        assert not is_anonymous_path(p)
