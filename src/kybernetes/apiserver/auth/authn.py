"""Authenticators, as k8s.io/apiserver/pkg/authentication.

Every authenticator has ``async authenticate(req: AuthRequest) -> UserInfo | None``:

* ``None`` means "no credentials of my kind in this request" (another authenticator may try),
* :class:`AuthenticationError` means "credentials of my kind, but invalid" (expired token,
  bad signature, ...),
* a :class:`UserInfo` is the authenticated user.

:class:`UnionAuthenticator` tries them in order and adds ``system:authenticated``; when it
returns ``None`` the apiserver answers 401, except for the paths in :data:`ANONYMOUS_PATHS`.

The apiserver builds one :class:`AuthRequest` per request from aiohttp with
:func:`auth_request_from_transport` (headers and the TLS peer certificate).
"""

from __future__ import annotations

import base64
import binascii
import csv
import datetime
import hashlib
import io
import logging
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kybernetes.apiserver.auth.pki import signed_by
from kybernetes.apiserver.auth.user import (
    ALL_AUTHENTICATED,
    ALL_UNAUTHENTICATED,
    ANONYMOUS,
    CREDENTIAL_ID_KEY,
    UserInfo,
)

log = logging.getLogger(__name__)

# Non-resource paths anyone may read without credentials (upstream grants them to
# system:unauthenticated through the system:public-info-viewer ClusterRole).
ANONYMOUS_PATHS: Final = frozenset({"/healthz", "/livez", "/readyz", "/version", "/version/"})

WEBSOCKET_BEARER_PREFIX: Final = "base64url.bearer.authorization.k8s.io."


class AuthenticationError(Exception):
    """Credentials were presented but are not valid. The apiserver answers 401."""


@dataclass(frozen=True)
class AuthRequest:
    """What authenticators see of a request: its headers and the TLS peer certificate.

    ``headers`` may be any mapping; look-ups through :meth:`header` are case-insensitive.
    ``peer_cert_der`` is ``ssl_object.getpeercert(binary_form=True)``; ``peer_cert`` is the
    dict form ``getpeercert()`` (used only when the DER form is not available).
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    peer_cert_der: bytes | None = None
    peer_cert: Mapping[str, Any] | None = None

    def header(self, name: str) -> str | None:
        v = self.headers.get(name)
        if v is not None:
            return v
        lname = name.lower()
        for k, val in self.headers.items():
            if k.lower() == lname:
                return val
        return None


class _ExtraInfo(Protocol):
    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


def auth_request_from_transport(headers: Mapping[str, str], transport: _ExtraInfo | None) -> AuthRequest:
    """Build an :class:`AuthRequest` from request headers and an asyncio transport
    (aiohttp: ``auth_request_from_transport(request.headers, request.transport)``)."""
    der: bytes | None = None
    cert_dict: Mapping[str, Any] | None = None
    if transport is not None:
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            try:
                der = ssl_object.getpeercert(binary_form=True)
            except ValueError:  # handshake not done
                der = None
        if der is None:
            cert_dict = transport.get_extra_info("peercert") or None
    return AuthRequest(headers=headers, peer_cert_der=der or None, peer_cert=cert_dict)


def is_anonymous_path(path: str) -> bool:
    """Whether ``path`` may be served to unauthenticated clients."""
    return path in ANONYMOUS_PATHS


class Authenticator(Protocol):
    async def authenticate(self, req: AuthRequest) -> UserInfo | None: ...


class TokenAuthenticatorProtocol(Protocol):
    async def authenticate_token(self, token: str) -> UserInfo | None: ...


# ---------------------------------------------------------------------------------------------
# x509 client certificates


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _parse_cert_time(value: str) -> datetime.datetime:
    """Parse ssl's 'Jun  1 12:00:00 2025 GMT' form."""
    return datetime.datetime.fromtimestamp(ssl.cert_time_to_seconds(value), datetime.UTC)


class X509Authenticator:
    """Client certificates: CN is the user name, each O a group (x509.CommonNameUserConversion).

    The TLS layer has already verified the chain against the CA (``CERT_OPTIONAL``); this
    also checks the validity dates, the client-auth usage and, when ``ca_pem`` is given, that
    the certificate was signed by that CA.
    """

    def __init__(self, ca_pem: bytes | None = None, clock: Any = None) -> None:
        self._ca = x509.load_pem_x509_certificate(ca_pem) if ca_pem else None
        self._clock = clock or _utcnow

    async def authenticate(self, req: AuthRequest) -> UserInfo | None:
        if req.peer_cert_der:
            return self.user_for_der(req.peer_cert_der)
        if req.peer_cert:
            return self.user_for_dict(req.peer_cert)
        return None

    def user_for_der(self, der: bytes) -> UserInfo | None:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as e:
            raise AuthenticationError(f"x509: malformed certificate: {e}") from e
        now: datetime.datetime = self._clock()
        if now < cert.not_valid_before_utc:
            raise AuthenticationError("x509: certificate is not yet valid")
        if now > cert.not_valid_after_utc:
            raise AuthenticationError("x509: certificate has expired")
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            eku = None
        if eku is not None and not (
            ExtendedKeyUsageOID.CLIENT_AUTH in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku
        ):
            raise AuthenticationError("x509: certificate specifies an incompatible key usage")
        if self._ca is not None and not signed_by(cert, self._ca):
            raise AuthenticationError("x509: certificate signed by unknown authority")
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = str(cns[0].value) if cns else ""
        if not cn:
            return None
        orgs = tuple(str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME))
        cred = "X509SHA256=" + hashlib.sha256(der).hexdigest()
        return UserInfo(name=cn, groups=orgs, extra={CREDENTIAL_ID_KEY: (cred,)})

    def user_for_dict(self, cert: Mapping[str, Any]) -> UserInfo | None:
        now: datetime.datetime = self._clock()
        nb, na = cert.get("notBefore"), cert.get("notAfter")
        if isinstance(nb, str) and now < _parse_cert_time(nb):
            raise AuthenticationError("x509: certificate is not yet valid")
        if isinstance(na, str) and now > _parse_cert_time(na):
            raise AuthenticationError("x509: certificate has expired")
        cn = ""
        orgs: list[str] = []
        for rdn in cert.get("subject", ()):
            for key, value in rdn:
                if key == "commonName" and not cn:
                    cn = value
                elif key == "organizationName":
                    orgs.append(value)
        if not cn:
            return None
        return UserInfo(name=cn, groups=tuple(orgs))


# ---------------------------------------------------------------------------------------------
# Bearer tokens


def bearer_token(req: AuthRequest) -> str | None:
    """The bearer token of a request: ``Authorization: Bearer <token>``, or for websockets the
    ``base64url.bearer.authorization.k8s.io.<base64url token>`` subprotocol."""
    auth = (req.header("Authorization") or "").strip()
    if auth:
        parts = auth.split(" ", 2)
        if len(parts) >= 2 and parts[0].lower() == "bearer" and parts[1]:
            return parts[1]
        return None
    protocols = req.header("Sec-WebSocket-Protocol")
    if protocols:
        for p in protocols.split(","):
            p = p.strip()
            if p.startswith(WEBSOCKET_BEARER_PREFIX):
                encoded = p[len(WEBSOCKET_BEARER_PREFIX) :]
                try:
                    tok = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
                except (binascii.Error, UnicodeDecodeError):
                    return None
                return tok or None
    return None


class BearerTokenAuthenticator:
    """Extracts the bearer token and asks each token authenticator in turn (the first that
    recognises it wins; an invalid-token error is raised only if none does)."""

    def __init__(self, token_authenticators: Sequence[TokenAuthenticatorProtocol]) -> None:
        self._auths = list(token_authenticators)

    async def authenticate(self, req: AuthRequest) -> UserInfo | None:
        token = bearer_token(req)
        if token is None:
            return None
        return await self.authenticate_token(token)

    async def authenticate_token(self, token: str) -> UserInfo | None:
        errors: list[str] = []
        for a in self._auths:
            try:
                user = await a.authenticate_token(token)
            except AuthenticationError as e:
                errors.append(str(e))
                continue
            if user is not None:
                return user
        if errors:
            raise AuthenticationError("; ".join(errors))
        raise AuthenticationError("invalid bearer token")


class TokenFileError(ValueError):
    pass


class StaticTokenAuthenticator:
    """Static tokens (``--token-auth-file``): CSV lines ``token,user,uid[,"group1,group2"]``."""

    def __init__(self, tokens: Mapping[str, UserInfo]) -> None:
        self._tokens = dict(tokens)

    @classmethod
    def from_csv(cls, text: str, source: str = "<string>") -> StaticTokenAuthenticator:
        tokens: dict[str, UserInfo] = {}
        reader = csv.reader(io.StringIO(text), skipinitialspace=True)
        record_num = 0
        for record in reader:
            if not record:
                continue
            if len(record) < 3:
                raise TokenFileError(
                    f"token file '{source}' must have at least 3 columns (token, user name, user uid), "
                    f"found {len(record)}"
                )
            record_num += 1
            if record[0] == "":
                log.warning(
                    "empty token has been found in token file '%s', record number '%d'", source, record_num
                )
                continue
            if record[0] in tokens:
                log.warning(
                    "duplicate token has been found in token file '%s', record number '%d'",
                    source,
                    record_num,
                )
            groups = tuple(record[3].split(",")) if len(record) >= 4 else ()
            tokens[record[0]] = UserInfo(name=record[1], uid=record[2], groups=groups)
        return cls(tokens)

    @classmethod
    def from_file(cls, path: Path | str) -> StaticTokenAuthenticator:
        p = Path(path)
        try:
            text = p.read_text()
        except OSError as e:
            raise TokenFileError(f"failed to read token file '{p}': {e}") from e
        return cls.from_csv(text, str(p))

    def __len__(self) -> int:
        return len(self._tokens)

    async def authenticate_token(self, token: str) -> UserInfo | None:
        return self._tokens.get(token)

    async def authenticate(self, req: AuthRequest) -> UserInfo | None:
        token = bearer_token(req)
        if token is None:
            return None
        user = self._tokens.get(token)
        if user is None:
            raise AuthenticationError("invalid bearer token")
        return user


# ---------------------------------------------------------------------------------------------
# Union


def with_authenticated_group(user: UserInfo) -> UserInfo:
    """Add ``system:authenticated`` as upstream's AuthenticatedGroupAdder does."""
    if user.name == ANONYMOUS:
        return user
    if ALL_AUTHENTICATED in user.groups or ALL_UNAUTHENTICATED in user.groups:
        return user
    return user.with_group(ALL_AUTHENTICATED)


class UnionAuthenticator:
    """Tries each authenticator in order; the first user wins and gets ``system:authenticated``.

    Returns ``None`` when no authenticator produced a user (the apiserver answers 401);
    :attr:`last_errors` of a call are available through :meth:`authenticate_verbose`.
    """

    def __init__(self, *authenticators: Authenticator) -> None:
        self._auths = list(authenticators)

    async def authenticate_verbose(self, req: AuthRequest) -> tuple[UserInfo | None, list[str]]:
        errors: list[str] = []
        for a in self._auths:
            try:
                user = await a.authenticate(req)
            except AuthenticationError as e:
                errors.append(str(e))
                continue
            if user is not None:
                return with_authenticated_group(user), errors
        return None, errors

    async def authenticate(self, req: AuthRequest) -> UserInfo | None:
        user, errors = await self.authenticate_verbose(req)
        if user is None and errors:
            log.debug("unable to authenticate the request: %s", "; ".join(errors))
        return user
