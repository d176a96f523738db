"""The cluster's PKI: a CA, the apiserver's serving certificate, the admin client
certificate and the service-account signing key, as kubeadm lays them out.

:func:`ensure_pki` creates them on first start and loads them on later starts; it
reissues a leaf certificate that is missing a requested SAN, is close to expiry or was
not signed by the current CA. Keys are ECDSA P-256: fast to generate (``kyb up`` must
start in about a second) and accepted by Go's crypto/tls, kubectl and client-go.

Files under ``dir`` (keys mode 0600, certificates 0644)::

    ca.crt  ca.key            cluster CA (also signs client certificates and CSRs)
    apiserver.crt/.key        serving certificate of the apiserver
    admin.crt/.key            client certificate CN=kyb-admin, O=system:masters
    sa.key  sa.pub            service-account token signing key pair
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kybernetes.util.files import atomic_write

CA_VALIDITY_DAYS: Final = 3650
LEAF_VALIDITY_DAYS: Final = 365
# Leaf certificates that expire sooner than this are reissued at start (as k3s does).
RENEW_BEFORE: Final = datetime.timedelta(days=90)
# Backdate notBefore a little so that peers with a slightly slow clock accept new certificates.
BACKDATE: Final = datetime.timedelta(minutes=5)

ADMIN_USER: Final = "kyb-admin"
ADMIN_GROUP: Final = "system:masters"
APISERVER_CN: Final = "kube-apiserver"
SERVICE_IP: Final = "10.96.0.1"

DEFAULT_SANS: Final[tuple[str, ...]] = (
    "localhost",
    "127.0.0.1",
    "::1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
    SERVICE_IP,
)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class PkiError(Exception):
    """A PKI file is unreadable or inconsistent."""


# ---------------------------------------------------------------------------------------------
# Small helpers


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def private_key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_private_key(pem: bytes) -> PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PkiError(f"unsupported private key type {type(key).__name__}")
    return key


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def split_sans(names: Iterable[str]) -> tuple[list[str], list[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    """Split names into DNS names and IP addresses (deduplicated, order kept)."""
    dns: list[str] = []
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for n in names:
        n = n.strip()
        if not n:
            continue
        try:
            ip = ipaddress.ip_address(n.strip("[]"))
        except ValueError:
            if n.lower() not in dns:
                dns.append(n.lower())
        else:
            if ip not in ips:
                ips.append(ip)
    return dns, ips


def cert_sans(cert: x509.Certificate) -> tuple[set[str], set[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    dns = {d.lower() for d in ext.get_values_for_type(x509.DNSName)}
    ips: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    for ip in ext.get_values_for_type(x509.IPAddress):
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
            ips.add(ip)
    return dns, ips


def _spki(key: object) -> bytes:
    if isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return b""


def _matches(key: PrivateKey, cert: x509.Certificate) -> bool:
    """Whether ``key`` is the private key of ``cert``."""
    mine = _spki(key.public_key())
    return bool(mine) and mine == _spki(cert.public_key())


# ---------------------------------------------------------------------------------------------
# Certificate builders


def make_ca(
    common_name: str, days: int = CA_VALIDITY_DAYS
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = generate_private_key()
    now = _now()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    common_name: str,
    organizations: Sequence[str] = (),
    *,
    client: bool = False,
    server: bool = False,
    sans: Iterable[str] = (),
    days: int = LEAF_VALIDITY_DAYS,
    not_after: datetime.datetime | None = None,
) -> x509.Certificate:
    """A certificate for ``public_key`` signed by the CA, with client and/or server auth usages."""
    now = _now()
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in organizations]
    if common_name:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    expiry = not_after if not_after is not None else now + datetime.timedelta(days=days)
    expiry = min(expiry, ca_cert.not_valid_after_utc)
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(expiry)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=isinstance(public_key, rsa.RSAPublicKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    dns, ips = split_sans(sans)
    if dns or ips:
        general: list[x509.GeneralName] = [x509.DNSName(d) for d in dns]
        general += [x509.IPAddress(ip) for ip in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(general), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def signed_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    """Whether ``cert`` was issued and signed by ``ca_cert``."""
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _default_hostnames() -> list[str]:
    names = list(DEFAULT_SANS)
    try:
        host = socket.gethostname()
    except OSError:
        host = ""
    if host:
        names.append(host)
    return names


# ---------------------------------------------------------------------------------------------
# The PKI


@dataclass
class Pki:
    """The cluster's certificates and keys: paths and PEM bytes."""

    dir: Path
    ca_cert_pem: bytes
    ca_key_pem: bytes
    serving_cert_pem: bytes
    serving_key_pem: bytes
    admin_cert_pem: bytes
    admin_key_pem: bytes
    sa_private_key_pem: bytes
    sa_public_key_pem: bytes
    _ca_cert: x509.Certificate = field(init=False, repr=False)
    _ca_key: PrivateKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._ca_cert = x509.load_pem_x509_certificate(self.ca_cert_pem)
        self._ca_key = load_private_key(self.ca_key_pem)

    # paths (kubeadm names)
    @property
    def ca_cert_path(self) -> Path:
        return self.dir / "ca.crt"

    @property
    def ca_key_path(self) -> Path:
        return self.dir / "ca.key"

    @property
    def serving_cert_path(self) -> Path:
        return self.dir / "apiserver.crt"

    @property
    def serving_key_path(self) -> Path:
        return self.dir / "apiserver.key"

    @property
    def admin_cert_path(self) -> Path:
        return self.dir / "admin.crt"

    @property
    def admin_key_path(self) -> Path:
        return self.dir / "admin.key"

    @property
    def sa_private_key_path(self) -> Path:
        return self.dir / "sa.key"

    @property
    def sa_public_key_path(self) -> Path:
        return self.dir / "sa.pub"

    @property
    def ca_cert(self) -> x509.Certificate:
        return self._ca_cert

    def serving_sans(self) -> tuple[set[str], set[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
        return cert_sans(x509.load_pem_x509_certificate(self.serving_cert_pem))

    def issue_client_cert(
        self, cn: str, orgs: Sequence[str] = (), days: int = LEAF_VALIDITY_DAYS
    ) -> tuple[bytes, bytes]:
        """A fresh key and a client certificate (CN = user, O = groups). Returns (cert_pem, key_pem)."""
        key = generate_private_key()
        cert = make_leaf(self._ca_cert, self._ca_key, key.public_key(), cn, orgs, client=True, days=days)
        return cert_pem(cert), private_key_pem(key)

    def issue_server_cert(
        self, cn: str, hostnames: Iterable[str], days: int = LEAF_VALIDITY_DAYS
    ) -> tuple[bytes, bytes]:
        """A fresh key and a serving certificate for ``hostnames`` (DNS names or IPs)."""
        key = generate_private_key()
        cert = make_leaf(
            self._ca_cert, self._ca_key, key.public_key(), cn, (), server=True, sans=hostnames, days=days
        )
        return cert_pem(cert), private_key_pem(key)

    def sign_csr(
        self,
        csr_pem: bytes,
        *,
        client: bool = True,
        server: bool = False,
        expiration_seconds: int | None = None,
    ) -> bytes:
        """Sign a PEM certificate request (as the CSR signing controller does): subject and SANs are
        taken from the request; the signature of the request is checked."""
        try:
            csr = x509.load_pem_x509_csr(csr_pem)
        except ValueError as e:
            raise PkiError(f"invalid certificate request: {e}") from e
        if not csr.is_signature_valid:
            raise PkiError("certificate request signature is invalid")
        pub = csr.public_key()
        if not isinstance(pub, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
            raise PkiError(f"unsupported public key type {type(pub).__name__}")
        cns = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        cn = str(cns[0].value) if cns else ""
        orgs = [str(a.value) for a in csr.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        sans: list[str] = []
        try:
            ext = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            sans += ext.get_values_for_type(x509.DNSName)
            sans += [str(ip) for ip in ext.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            pass
        not_after = None
        if expiration_seconds is not None:
            not_after = _now() + datetime.timedelta(seconds=expiration_seconds)
        cert = make_leaf(
            self._ca_cert,
            self._ca_key,
            pub,
            cn,
            orgs,
            client=client,
            server=server,
            sans=sans,
            not_after=not_after,
        )
        return cert_pem(cert)

    def server_ssl_context(self) -> ssl.SSLContext:
        """TLS server context: the serving certificate; client certificates optional, verified against the CA."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(str(self.serving_cert_path), str(self.serving_key_path))
        ctx.load_verify_locations(cadata=self.ca_cert_pem.decode())
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_ssl_context(self, with_admin_cert: bool = True) -> ssl.SSLContext:
        """TLS client context trusting the CA, presenting the admin client certificate by default."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_verify_locations(cadata=self.ca_cert_pem.decode())
        if with_admin_cert:
            ctx.load_cert_chain(str(self.admin_cert_path), str(self.admin_key_path))
        return ctx


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _load_cert(pem: bytes | None) -> x509.Certificate | None:
    if pem is None:
        return None
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None


def _leaf_ok(
    cert_pem_bytes: bytes | None, key_pem_bytes: bytes | None, ca: x509.Certificate, now: datetime.datetime
) -> x509.Certificate | None:
    """The certificate if it is usable as is: parses, matches its key, signed by ``ca``, not near expiry."""
    cert = _load_cert(cert_pem_bytes)
    if cert is None or key_pem_bytes is None:
        return None
    try:
        key = load_private_key(key_pem_bytes)
    except (ValueError, PkiError):
        return None
    if not _matches(key, cert):
        return None
    if not signed_by(cert, ca):
        return None
    if cert.not_valid_after_utc - RENEW_BEFORE < now or cert.not_valid_before_utc > now + BACKDATE:
        return None
    return cert


def ensure_pki(dir: Path, hostnames: list[str] | None = None) -> Pki:
    """Create (first start) or load (later starts) the PKI under ``dir``; see the module docstring."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = _now()
    paths = {
        n: dir / n
        for n in (
            "ca.crt",
            "ca.key",
            "apiserver.crt",
            "apiserver.key",
            "admin.crt",
            "admin.key",
            "sa.key",
            "sa.pub",
        )
    }

    # CA
    ca_cert_bytes, ca_key_bytes = _read(paths["ca.crt"]), _read(paths["ca.key"])
    ca_cert = _load_cert(ca_cert_bytes)
    ca_key: PrivateKey | None = None
    if ca_cert is not None and ca_key_bytes is not None:
        try:
            ca_key = load_private_key(ca_key_bytes)
        except (ValueError, PkiError):
            ca_key = None
        if ca_key is not None and (
            not _matches(ca_key, ca_cert) or ca_cert.not_valid_after_utc < now + RENEW_BEFORE
        ):
            ca_key = None
    if ca_cert is None or ca_key is None or ca_cert_bytes is None or ca_key_bytes is None:
        ca_cert, new_ca_key = make_ca(f"kyb-ca@{int(now.timestamp())}")
        ca_key = new_ca_key
        ca_cert_bytes, ca_key_bytes = cert_pem(ca_cert), private_key_pem(new_ca_key)
        atomic_write(paths["ca.key"], ca_key_bytes, 0o600)
        atomic_write(paths["ca.crt"], ca_cert_bytes, 0o644)

    # Serving certificate
    wanted = _default_hostnames() + list(hostnames or [])
    want_dns, want_ips = split_sans(wanted)
    srv_cert_bytes, srv_key_bytes = _read(paths["apiserver.crt"]), _read(paths["apiserver.key"])
    srv = _leaf_ok(srv_cert_bytes, srv_key_bytes, ca_cert, now)
    if srv is not None:
        have_dns, have_ips = cert_sans(srv)
        if not (set(want_dns) <= have_dns and set(want_ips) <= have_ips):
            # Keep the names the old certificate had so that alternating starts do not flap.
            extra = sorted(have_dns - set(want_dns)) + sorted(str(i) for i in have_ips - set(want_ips))
            wanted = wanted + extra
            srv = None
    if srv is None or srv_cert_bytes is None or srv_key_bytes is None:
        key = generate_private_key()
        cert = make_leaf(ca_cert, ca_key, key.public_key(), APISERVER_CN, (), server=True, sans=wanted)
        srv_cert_bytes, srv_key_bytes = cert_pem(cert), private_key_pem(key)
        atomic_write(paths["apiserver.key"], srv_key_bytes, 0o600)
        atomic_write(paths["apiserver.crt"], srv_cert_bytes, 0o644)

    # Admin client certificate
    adm_cert_bytes, adm_key_bytes = _read(paths["admin.crt"]), _read(paths["admin.key"])
    if (
        _leaf_ok(adm_cert_bytes, adm_key_bytes, ca_cert, now) is None
        or adm_cert_bytes is None
        or adm_key_bytes is None
    ):
        key = generate_private_key()
        cert = make_leaf(ca_cert, ca_key, key.public_key(), ADMIN_USER, (ADMIN_GROUP,), client=True)
        adm_cert_bytes, adm_key_bytes = cert_pem(cert), private_key_pem(key)
        atomic_write(paths["admin.key"], adm_key_bytes, 0o600)
        atomic_write(paths["admin.crt"], adm_cert_bytes, 0o644)

    # Service-account signing key (never rotated automatically: that would invalidate all tokens)
    sa_key_bytes = _read(paths["sa.key"])
    sa_key: PrivateKey | None = None
    if sa_key_bytes is not None:
        try:
            sa_key = load_private_key(sa_key_bytes)
        except (ValueError, PkiError):
            sa_key = None
    if sa_key is None or sa_key_bytes is None:
        sa_key = generate_private_key()
        sa_key_bytes = private_key_pem(sa_key)
        atomic_write(paths["sa.key"], sa_key_bytes, 0o600)
    sa_pub_bytes = public_key_pem(sa_key)
    if _read(paths["sa.pub"]) != sa_pub_bytes:
        atomic_write(paths["sa.pub"], sa_pub_bytes, 0o644)

    return Pki(
        dir=dir,
        ca_cert_pem=ca_cert_bytes,
        ca_key_pem=ca_key_bytes,
        serving_cert_pem=srv_cert_bytes,
        serving_key_pem=srv_key_bytes,
        admin_cert_pem=adm_cert_bytes,
        admin_key_pem=adm_key_bytes,
        sa_private_key_pem=sa_key_bytes,
        sa_public_key_pem=sa_pub_bytes,
    )
