"""Service-account tokens: issuing bound tokens (TokenRequest) and authenticating them.

Tokens are JWTs shaped as upstream's bound service-account tokens
(k8s.io/kubernetes/pkg/serviceaccount/claims.go)::

    {"aud": [...], "exp": ..., "iat": ..., "nbf": ..., "iss": "https://kubernetes.default.svc.cluster.local",
     "jti": "<uuid>", "sub": "system:serviceaccount:<ns>:<name>",
     "kubernetes.io": {"namespace": ..., "serviceaccount": {"name", "uid"},
                       "pod": {"name", "uid"}?, "secret": {...}?, "node": {...}?, "warnafter": ...?}}

signed with ES256 (ECDSA P-256 key) or RS256 (RSA key), with the key id derived from the
public key as upstream does (base64url of the SHA-256 of the DER SubjectPublicKeyInfo).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from kybernetes.api import errors
from kybernetes.api.validation import field
from kybernetes.apiserver.auth.authn import AuthenticationError, AuthRequest, bearer_token
from kybernetes.apiserver.auth.user import (
    CREDENTIAL_ID_KEY,
    NODE_NAME_KEY,
    NODE_UID_KEY,
    POD_NAME_KEY,
    POD_UID_KEY,
    UserInfo,
    service_account_groups,
    service_account_username,
)

DEFAULT_ISSUER: Final = "https://kubernetes.default.svc.cluster.local"
DEFAULT_AUDIENCES: Final[tuple[str, ...]] = (DEFAULT_ISSUER,)

DEFAULT_EXPIRATION_SECONDS: Final = 3600
MIN_EXPIRATION_SECONDS: Final = 600
MAX_EXPIRATION_SECONDS: Final = 1 << 32
# The kubelet asks for exactly this; upstream then issues a one-year token that warns after it.
WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS: Final = 60 * 60 + 7
EXPIRATION_EXTENSION_SECONDS: Final = 24 * 365 * 60 * 60
# go-jose's jwt.DefaultLeeway
LEEWAY_SECONDS: Final = 60

BOUND_KINDS: Final = ("Pod", "Secret", "Node")

# (namespace, name, uid) -> the service account exists with that uid (and is not being deleted)
ServiceAccountLookup = Callable[[str, str, str], Awaitable[bool]]
# (namespace, kind, name, uid) -> the bound object exists with that uid; namespace "" for Nodes
BoundObjectLookup = Callable[[str, str, str, str], Awaitable[bool]]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def format_time(t: datetime.datetime) -> str:
    """metav1.Time wire form: RFC 3339, seconds, UTC, ``Z``."""
    return t.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_id(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    """Upstream keyIDFromPublicKey: base64url(sha256(DER SubjectPublicKeyInfo)), no padding."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def _algorithm(
    key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey | rsa.RSAPrivateKey | rsa.RSAPublicKey,
) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RS256"
    size = key.curve.key_size
    if size == 256:
        return "ES256"
    if size == 384:
        return "ES384"
    if size == 521:
        return "ES512"
    raise ValueError(f"unsupported elliptic curve {key.curve.name}, must be P-256, P-384 or P-521")


def _load_private(pem: bytes) -> ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError(f"unsupported service-account signing key type {type(key).__name__}")
    return key


def _load_public(pem: bytes) -> ec.EllipticCurvePublicKey | rsa.RSAPublicKey:
    if b"PRIVATE KEY" in pem:
        return _load_private(pem).public_key()
    if b"CERTIFICATE" in pem:
        from cryptography import x509

        pub: Any = x509.load_pem_x509_certificate(pem).public_key()
    else:
        pub = serialization.load_pem_public_key(pem)
    if not isinstance(pub, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise ValueError(f"unsupported service-account public key type {type(pub).__name__}")
    return pub


class IssuedToken(NamedTuple):
    token: str
    # status.expirationTimestamp of the TokenRequest (RFC 3339)
    expiration_timestamp: str


class TokenIssuer:
    """Signs bound service-account tokens (the TokenRequest subresource's token generator)."""

    def __init__(
        self,
        private_key_pem: bytes,
        issuer: str = DEFAULT_ISSUER,
        api_audiences: Sequence[str] = DEFAULT_AUDIENCES,
        extend_expiration: bool = True,
    ) -> None:
        self._key = _load_private(private_key_pem)
        self.issuer = issuer
        self.api_audiences = tuple(api_audiences)
        self.extend_expiration = extend_expiration
        self.algorithm = _algorithm(self._key)
        self.key_id = key_id(self._key.public_key())

    def issue(
        self,
        namespace: str,
        sa_name: str,
        sa_uid: str,
        audiences: Sequence[str],
        expiration_seconds: int,
        bound_object: Mapping[str, Any] | None = None,
        now: datetime.datetime | None = None,
        node: Mapping[str, Any] | None = None,
    ) -> IssuedToken:
        """Issue a token. ``bound_object`` is a TokenRequest ``spec.boundObjectRef`` (``kind``,
        ``name``, ``uid``; kind Pod, Secret or Node); ``node`` ({name, uid}) is the node of a bound
        pod. Returns the token and the expiration timestamp to report in the TokenRequest status.

        As upstream, a pod-bound token asking for exactly 3607 s with the apiserver's audiences is
        issued for one year with ``warnafter`` at 3607 s (``extend_expiration``); the reported
        expiration stays at 3607 s so that the kubelet refreshes it on time.
        """
        t = (now or _now()).astimezone(datetime.UTC).replace(microsecond=0)
        auds = list(audiences) if audiences else list(self.api_audiences)
        token_seconds = expiration_seconds
        warn_after: int | None = None
        kind = str(bound_object.get("kind", "")) if bound_object else ""
        if (
            self.extend_expiration
            and kind == "Pod"
            and expiration_seconds == WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS
            and set(auds) <= set(self.api_audiences)
        ):
            warn_after = expiration_seconds
            token_seconds = EXPIRATION_EXTENSION_SECONDS
        iat = int(t.timestamp())
        k8s: dict[str, Any] = {
            "namespace": namespace,
            "serviceaccount": {"name": sa_name, "uid": sa_uid},
        }
        if bound_object:
            ref = {"name": str(bound_object.get("name", "")), "uid": str(bound_object.get("uid", ""))}
            if kind == "Pod":
                k8s["pod"] = ref
                if node:
                    k8s["node"] = {"name": str(node.get("name", "")), "uid": str(node.get("uid", ""))}
            elif kind == "Secret":
                k8s["secret"] = ref
            elif kind == "Node":
                k8s["node"] = ref
            else:
                raise ValueError(f"cannot bind token to object of kind {kind!r}")
        if warn_after is not None:
            k8s["warnafter"] = iat + warn_after
        claims: dict[str, Any] = {
            "aud": auds,
            "exp": iat + token_seconds,
            "iat": iat,
            "iss": self.issuer,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": k8s,
            "nbf": iat,
            "sub": service_account_username(namespace, sa_name),
        }
        token = jwt.encode(claims, self._key, algorithm=self.algorithm, headers={"kid": self.key_id})
        reported = t + datetime.timedelta(seconds=expiration_seconds)
        return IssuedToken(token, format_time(reported))


@dataclass(frozen=True)
class ServiceAccountInfo:
    namespace: str
    name: str
    uid: str
    pod_name: str = ""
    pod_uid: str = ""
    node_name: str = ""
    node_uid: str = ""
    credential_id: str = ""

    def user_info(self) -> UserInfo:
        extra: dict[str, tuple[str, ...]] = {}
        if self.pod_name:
            extra[POD_NAME_KEY] = (self.pod_name,)
            extra[POD_UID_KEY] = (self.pod_uid,)
        if self.node_name:
            extra[NODE_NAME_KEY] = (self.node_name,)
            if self.node_uid:
                extra[NODE_UID_KEY] = (self.node_uid,)
        if self.credential_id:
            extra[CREDENTIAL_ID_KEY] = (self.credential_id,)
        return UserInfo(
            name=service_account_username(self.namespace, self.name),
            uid=self.uid,
            groups=service_account_groups(self.namespace),
            extra=extra,
        )


def _unverified_issuer(token: str) -> str | None:
    if token.lstrip().startswith("{") or token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    iss = claims.get("iss")
    return iss if isinstance(iss, str) else None


class TokenAuthenticator:
    """Authenticates service-account JWTs signed by one of the given keys for ``issuer``.

    Tokens of another issuer (or not JWTs at all) are not recognised (``None``); recognised but
    invalid tokens (bad signature, expired, wrong audience, deleted service account or bound
    object) raise :class:`AuthenticationError`.
    """

    def __init__(
        self,
        public_key_pem: bytes | Sequence[bytes],
        issuer: str = DEFAULT_ISSUER,
        audiences: Sequence[str] = DEFAULT_AUDIENCES,
        lookup: ServiceAccountLookup | None = None,
        bound_lookup: BoundObjectLookup | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        pems = [public_key_pem] if isinstance(public_key_pem, bytes) else list(public_key_pem)
        self._keys = [_load_public(p) for p in pems]
        self._keys_by_id = {key_id(k): k for k in self._keys}
        self.issuer = issuer
        self.audiences = tuple(audiences)
        self._lookup = lookup
        self._bound_lookup = bound_lookup
        self._clock = clock or _now

    async def authenticate(self, req: AuthRequest) -> UserInfo | None:
        token = bearer_token(req)
        if token is None:
            return None
        return await self.authenticate_token(token)

    async def authenticate_token(self, token: str) -> UserInfo | None:
        info = await self.validate(token)
        return None if info is None else info.user_info()

    async def validate(self, token: str) -> ServiceAccountInfo | None:
        if _unverified_issuer(token) != self.issuer:
            return None
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        kid = header.get("kid")
        keys = [self._keys_by_id[kid]] if isinstance(kid, str) and kid in self._keys_by_id else self._keys
        if kid and isinstance(kid, str) and kid not in self._keys_by_id:
            raise AuthenticationError("invalid signature, no keys found")
        claims: dict[str, Any] | None = None
        errs: list[str] = []
        now = self._clock().timestamp()
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key,
                    algorithms=[_algorithm(key)],
                    options={
                        "verify_aud": False,
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                    },
                )
                break
            except jwt.PyJWTError as e:
                errs.append(str(e))
        if claims is None:
            raise AuthenticationError("; ".join(errs) or "invalid signature")
        if claims.get("iss") != self.issuer:
            raise AuthenticationError(f"token issuer {claims.get('iss')!r} is invalid")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if isinstance(exp, int | float) and now > exp + LEEWAY_SECONDS:
            raise AuthenticationError("service account token has expired")
        if isinstance(nbf, int | float) and now < nbf - LEEWAY_SECONDS:
            raise AuthenticationError("service account token is not valid yet")
        aud = claims.get("aud")
        token_auds = [aud] if isinstance(aud, str) else [a for a in (aud or []) if isinstance(a, str)]
        if not token_auds:
            token_auds = list(self.audiences)
        if self.audiences and not set(token_auds) & set(self.audiences):
            raise AuthenticationError(
                f"token audiences {token_auds!r} is invalid for the target audiences {list(self.audiences)!r}"
            )
        k8s = claims.get("kubernetes.io")
        if not isinstance(k8s, dict):
            raise AuthenticationError("service account token claims could not be validated")
        namespace = str(k8s.get("namespace") or "")
        sa = k8s.get("serviceaccount") or {}
        sa_name, sa_uid = str(sa.get("name") or ""), str(sa.get("uid") or "")
        if not namespace or not sa_name:
            raise AuthenticationError("service account token claims could not be validated")
        if claims.get("sub") != service_account_username(namespace, sa_name):
            raise AuthenticationError("service account token subject does not match its claims")
        if self._lookup is not None and not await self._lookup(namespace, sa_name, sa_uid):
            raise AuthenticationError(
                f"service account {namespace}/{sa_name} does not exist or has been deleted"
            )
        refs: list[tuple[str, str, dict[str, Any]]] = []
        for claim, kind, ns in (
            ("pod", "Pod", namespace),
            ("secret", "Secret", namespace),
            ("node", "Node", ""),
        ):
            r = k8s.get(claim)
            if isinstance(r, dict):
                refs.append((kind, ns, r))
        if self._bound_lookup is not None:
            for kind, ns, r in refs:
                if not await self._bound_lookup(ns, kind, str(r.get("name") or ""), str(r.get("uid") or "")):
                    raise AuthenticationError("service account token has been invalidated")
        pod_claim, node_claim = k8s.get("pod"), k8s.get("node")
        pod: dict[str, Any] = pod_claim if isinstance(pod_claim, dict) else {}
        node: dict[str, Any] = node_claim if isinstance(node_claim, dict) else {}
        jti = claims.get("jti")
        return ServiceAccountInfo(
            namespace=namespace,
            name=sa_name,
            uid=sa_uid,
            pod_name=str(pod.get("name") or ""),
            pod_uid=str(pod.get("uid") or ""),
            node_name=str(node.get("name") or ""),
            node_uid=str(node.get("uid") or ""),
            credential_id=f"JTI={jti}" if isinstance(jti, str) and jti else "",
        )


# ---------------------------------------------------------------------------------------------
# TokenRequest (authentication.k8s.io/v1) spec defaulting and validation


def default_token_request(
    tr: dict[str, Any], api_audiences: Sequence[str] = DEFAULT_AUDIENCES
) -> dict[str, Any]:
    """Default a TokenRequest in place: ``spec.expirationSeconds`` 3600, ``spec.audiences`` the
    apiserver's audiences. Returns it."""
    spec = tr.get("spec")
    if not isinstance(spec, dict):
        spec = {}
        tr["spec"] = spec
    if spec.get("expirationSeconds") in (None, 0):
        spec["expirationSeconds"] = DEFAULT_EXPIRATION_SECONDS
    if not spec.get("audiences"):
        spec["audiences"] = list(api_audiences)
    return tr


def validate_token_request(tr: Mapping[str, Any]) -> list[field.FieldError]:
    """ValidateTokenRequest: the duration must be between 10 minutes and 2^32 seconds."""
    errs: list[field.FieldError] = []
    spec = tr.get("spec") or {}
    exp = spec.get("expirationSeconds")
    if not isinstance(exp, int) or isinstance(exp, bool):
        errs.append(field.invalid("spec.expirationSeconds", exp, "must be an integer"))
        return errs
    if exp < MIN_EXPIRATION_SECONDS:
        errs.append(
            field.invalid("spec.expirationSeconds", exp, "may not specify a duration less than 10 minutes")
        )
    if exp > MAX_EXPIRATION_SECONDS:
        errs.append(
            field.invalid(
                "spec.expirationSeconds", exp, "may not specify a duration larger than 2^32 seconds"
            )
        )
    ref = spec.get("boundObjectRef")
    if isinstance(ref, dict):
        kind = ref.get("kind")
        api_version = ref.get("apiVersion") or "v1"
        if kind not in BOUND_KINDS or api_version != "v1":
            raise errors.bad_request(f"cannot bind token to object of type {_gvk_string(api_version, kind)}")
    return errs


def _gvk_string(api_version: Any, kind: Any) -> str:
    group, _, version = str(api_version).rpartition("/")
    return f"{group}/{version}, Kind={kind}"


def check_token_request(
    tr: dict[str, Any], api_audiences: Sequence[str] = DEFAULT_AUDIENCES
) -> dict[str, Any]:
    """Default and validate a TokenRequest body; raises the 422 upstream returns, e.g.
    ``TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60:
    may not specify a duration less than 10 minutes``."""
    default_token_request(tr, api_audiences)
    errs = validate_token_request(tr)
    if errs:
        raise errors.invalid("authentication.k8s.io", "TokenRequest", "", errs)
    return tr
