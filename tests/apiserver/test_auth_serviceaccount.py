"""Service-account tokens: issue, verify, expiry, audience, lookups, TokenRequest checks."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kybernetes.api.errors import StatusError
from kybernetes.apiserver.auth.authn import (
    AuthenticationError,
    AuthRequest,
    BearerTokenAuthenticator,
    StaticTokenAuthenticator,
    UnionAuthenticator,
)
from kybernetes.apiserver.auth.pki import Pki, ensure_pki
from kybernetes.apiserver.auth.serviceaccount import (
    DEFAULT_ISSUER,
    EXPIRATION_EXTENSION_SECONDS,
    TokenAuthenticator,
    TokenIssuer,
    check_token_request,
    key_id,
)
from kybernetes.apiserver.auth.user import (
    ALL_AUTHENTICATED,
    CREDENTIAL_ID_KEY,
    NODE_NAME_KEY,
    POD_NAME_KEY,
    POD_UID_KEY,
)

NOW = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki"))


class Objects:
    """A stand-in for storage: which objects exist, and which lookups were made."""

    def __init__(self) -> None:
        self.service_accounts = {("default", "builder"): "sa-uid"}
        self.bound: dict[tuple[str, str, str], str] = {
            ("default", "Pod", "web-0"): "pod-uid",
            ("", "Node", "n1"): "node-uid",
        }
        self.calls: list[tuple[str, ...]] = []

    async def lookup(self, namespace: str, name: str, uid: str) -> bool:
        self.calls.append((namespace, name, uid))
        return self.service_accounts.get((namespace, name)) == uid

    async def bound_lookup(self, namespace: str, kind: str, name: str, uid: str) -> bool:
        self.calls.append((namespace, kind, name, uid))
        return self.bound.get((namespace, kind, name)) == uid


def clock(t: datetime.datetime) -> Any:
    return lambda: t


def authenticator(pki: Pki, objs: Objects, at: datetime.datetime = NOW, **kw: Any) -> TokenAuthenticator:
    return TokenAuthenticator(
        pki.sa_public_key_pem, lookup=objs.lookup, bound_lookup=objs.bound_lookup, clock=clock(at), **kw
    )


async def test_issue_shape(pki: Pki) -> None:
    issuer = TokenIssuer(pki.sa_private_key_pem)
    token, expiration = issuer.issue(
        "default",
        "builder",
        "sa-uid",
        [],
        3600,
        {"kind": "Pod", "apiVersion": "v1", "name": "web-0", "uid": "pod-uid"},
        NOW,
        node={"name": "n1", "uid": "node-uid"},
    )
    assert expiration == "2025-01-02T04:04:05Z"
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["kid"] == issuer.key_id
    claims = jwt.decode(token, options={"verify_signature": False})
    iat = int(NOW.timestamp())
    assert claims["aud"] == [DEFAULT_ISSUER]
    assert claims["iss"] == DEFAULT_ISSUER
    assert claims["sub"] == "system:serviceaccount:default:builder"
    assert claims["iat"] == claims["nbf"] == iat
    assert claims["exp"] == iat + 3600
    assert claims["jti"]
    assert claims["kubernetes.io"] == {
        "namespace": "default",
        "serviceaccount": {"name": "builder", "uid": "sa-uid"},
        "pod": {"name": "web-0", "uid": "pod-uid"},
        "node": {"name": "n1", "uid": "node-uid"},
    }


async def test_issue_and_authenticate(pki: Pki) -> None:
    objs = Objects()
    issuer = TokenIssuer(pki.sa_private_key_pem)
    token, _ = issuer.issue(
        "default",
        "builder",
        "sa-uid",
        [DEFAULT_ISSUER],
        3600,
        {"kind": "Pod", "name": "web-0", "uid": "pod-uid"},
        NOW,
        node={"name": "n1", "uid": "node-uid"},
    )
    user = await authenticator(pki, objs, NOW + datetime.timedelta(minutes=5)).authenticate(
        AuthRequest(headers={"Authorization": f"Bearer {token}"})
    )
    assert user is not None
    assert user.name == "system:serviceaccount:default:builder"
    assert user.uid == "sa-uid"
    assert user.groups == ("system:serviceaccounts", "system:serviceaccounts:default")
    assert user.extra[POD_NAME_KEY] == ("web-0",)
    assert user.extra[POD_UID_KEY] == ("pod-uid",)
    assert user.extra[NODE_NAME_KEY] == ("n1",)
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert user.extra[CREDENTIAL_ID_KEY] == (f"JTI={jti}",)
    assert ("default", "builder", "sa-uid") in objs.calls
    assert ("default", "Pod", "web-0", "pod-uid") in objs.calls
    assert ("", "Node", "n1", "node-uid") in objs.calls


async def test_expired_and_not_yet_valid(pki: Pki) -> None:
    objs = Objects()
    token, _ = TokenIssuer(pki.sa_private_key_pem).issue("default", "builder", "sa-uid", [], 600, None, NOW)
    # within the one-minute leeway: still fine
    assert (
        await authenticator(pki, objs, NOW + datetime.timedelta(seconds=630)).authenticate_token(token)
        is not None
    )
    with pytest.raises(AuthenticationError, match="expired"):
        await authenticator(pki, objs, NOW + datetime.timedelta(seconds=700)).authenticate_token(token)
    with pytest.raises(AuthenticationError, match="not valid yet"):
        await authenticator(pki, objs, NOW - datetime.timedelta(minutes=5)).authenticate_token(token)


async def test_audience(pki: Pki) -> None:
    objs = Objects()
    issuer = TokenIssuer(pki.sa_private_key_pem)
    vault, _ = issuer.issue("default", "builder", "sa-uid", ["vault"], 3600, None, NOW)
    with pytest.raises(AuthenticationError, match="audiences"):
        await authenticator(pki, objs).authenticate_token(vault)
    user = await authenticator(pki, objs, audiences=["vault", "other"]).authenticate_token(vault)
    assert user is not None


async def test_lookup_failures(pki: Pki) -> None:
    objs = Objects()
    issuer = TokenIssuer(pki.sa_private_key_pem)
    token, _ = issuer.issue(
        "default", "builder", "sa-uid", [], 3600, {"kind": "Pod", "name": "web-0", "uid": "pod-uid"}, NOW
    )
    auth = authenticator(pki, objs)
    assert await auth.authenticate_token(token) is not None
    objs.bound[("default", "Pod", "web-0")] = "recreated-pod-uid"
    with pytest.raises(AuthenticationError, match="invalidated"):
        await auth.authenticate_token(token)
    objs.bound[("default", "Pod", "web-0")] = "pod-uid"
    del objs.service_accounts[("default", "builder")]
    with pytest.raises(AuthenticationError, match="does not exist"):
        await auth.authenticate_token(token)


async def test_foreign_tokens(pki: Pki, tmp_path: Path) -> None:
    objs = Objects()
    auth = authenticator(pki, objs)
    # Not a JWT, or another issuer: not recognised, other authenticators may try.
    assert await auth.authenticate_token("secret-admin") is None
    other_issuer, _ = TokenIssuer(pki.sa_private_key_pem, issuer="https://elsewhere").issue(
        "default", "builder", "sa-uid", [], 3600, None, NOW
    )
    assert await auth.authenticate_token(other_issuer) is None
    # Our issuer but signed with another key: rejected.
    other = ensure_pki(tmp_path)
    forged, _ = TokenIssuer(other.sa_private_key_pem).issue(
        "default", "builder", "sa-uid", [], 3600, None, NOW
    )
    with pytest.raises(AuthenticationError):
        await auth.authenticate_token(forged)
    # Tampered payload: rejected.
    good, _ = TokenIssuer(pki.sa_private_key_pem).issue("default", "builder", "sa-uid", [], 3600, None, NOW)
    h, _payload, s = good.split(".")
    claims = jwt.decode(good, options={"verify_signature": False})
    claims["sub"] = "system:serviceaccount:kube-system:admin"
    fake_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(AuthenticationError):
        await auth.authenticate_token(f"{h}.{fake_payload}.{s}")


async def test_rsa_key(tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token, _ = TokenIssuer(pem).issue("ns", "sa", "u", [], 3600, None, NOW)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert jwt.get_unverified_header(token)["kid"] == key_id(key.public_key())
    user = await TokenAuthenticator(pub, clock=clock(NOW)).authenticate_token(token)
    assert user is not None and user.name == "system:serviceaccount:ns:sa"


async def test_kubelet_tokens_are_extended(pki: Pki) -> None:
    issuer = TokenIssuer(pki.sa_private_key_pem)
    token, expiration = issuer.issue(
        "default", "builder", "sa-uid", [], 3607, {"kind": "Pod", "name": "web-0", "uid": "pod-uid"}, NOW
    )
    claims = jwt.decode(token, options={"verify_signature": False})
    iat = int(NOW.timestamp())
    assert claims["exp"] == iat + EXPIRATION_EXTENSION_SECONDS
    assert claims["kubernetes.io"]["warnafter"] == iat + 3607
    assert expiration == "2025-01-02T04:04:12Z"
    # Not for other audiences or unbound tokens.
    token, _ = issuer.issue(
        "default",
        "builder",
        "sa-uid",
        ["vault"],
        3607,
        {"kind": "Pod", "name": "web-0", "uid": "pod-uid"},
        NOW,
    )
    assert jwt.decode(token, options={"verify_signature": False})["exp"] == iat + 3607


async def test_union_with_static_tokens(pki: Pki) -> None:
    objs = Objects()
    token, _ = TokenIssuer(pki.sa_private_key_pem).issue("default", "builder", "sa-uid", [], 3600, None, NOW)
    union = UnionAuthenticator(
        BearerTokenAuthenticator(
            [StaticTokenAuthenticator.from_csv("static,alice,1\n"), authenticator(pki, objs)]
        )
    )
    user = await union.authenticate(AuthRequest(headers={"Authorization": f"Bearer {token}"}))
    assert user is not None
    assert user.groups[-1] == ALL_AUTHENTICATED
    static = await union.authenticate(AuthRequest(headers={"Authorization": "Bearer static"}))
    assert static is not None and static.name == "alice"
    assert await union.authenticate(AuthRequest(headers={"Authorization": "Bearer junk"})) is None


def test_token_request_defaults_and_validation() -> None:
    tr: dict[str, Any] = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {}}
    check_token_request(tr)
    assert tr["spec"] == {"expirationSeconds": 3600, "audiences": [DEFAULT_ISSUER]}

    with pytest.raises(StatusError) as e:
        check_token_request({"spec": {"expirationSeconds": 60}})
    assert e.value.code == 422
    assert e.value.message == (
        'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: '
        "may not specify a duration less than 10 minutes"
    )
    assert e.value.status()["details"]["causes"][0]["field"] == "spec.expirationSeconds"

    with pytest.raises(StatusError) as e:
        check_token_request(
            {
                "spec": {
                    "expirationSeconds": 600,
                    "boundObjectRef": {"kind": "ConfigMap", "apiVersion": "v1", "name": "x"},
                }
            }
        )
    assert e.value.code == 400
    assert e.value.message == "cannot bind token to object of type /v1, Kind=ConfigMap"
    ok = check_token_request(
        {
            "spec": {
                "expirationSeconds": 600,
                "audiences": ["a"],
                "boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "p"},
            }
        }
    )
    assert ok["spec"]["audiences"] == ["a"]
