"""PKI: generation, reload, SANs, reissue, and real TLS handshakes on loopback."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
import stat
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kybernetes.apiserver.auth.authn import AuthRequest, X509Authenticator, auth_request_from_transport
from kybernetes.apiserver.auth.pki import (
    ADMIN_GROUP,
    ADMIN_USER,
    Pki,
    cert_sans,
    ensure_pki,
    signed_by,
)

FILES = ("ca.crt", "ca.key", "apiserver.crt", "apiserver.key", "admin.crt", "admin.key", "sa.key", "sa.pub")


def load(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def test_first_run_creates_everything_quickly(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    pki = ensure_pki(tmp_path / "pki")
    elapsed = time.perf_counter() - t0
    print(f"ensure_pki first run: {elapsed * 1000:.1f} ms")
    assert elapsed < 2.0
    for name in FILES:
        path = tmp_path / "pki" / name
        assert path.is_file(), name
        mode = stat.S_IMODE(path.stat().st_mode)
        if name.endswith(".key"):
            assert mode == 0o600, name
        else:
            assert mode == 0o644, name
    assert pki.ca_cert_path.read_bytes() == pki.ca_cert_pem
    assert pki.serving_key_path.read_bytes() == pki.serving_key_pem
    ca = load(pki.ca_cert_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey)
    for leaf in (pki.serving_cert_pem, pki.admin_cert_pem):
        assert signed_by(load(leaf), ca)


def test_reload_keeps_the_same_material(tmp_path: Path) -> None:
    first = ensure_pki(tmp_path)
    mtimes = {n: (tmp_path / n).stat().st_mtime_ns for n in FILES}
    second = ensure_pki(tmp_path)
    assert second.ca_cert_pem == first.ca_cert_pem
    assert second.ca_key_pem == first.ca_key_pem
    assert second.serving_cert_pem == first.serving_cert_pem
    assert second.admin_cert_pem == first.admin_cert_pem
    assert second.sa_private_key_pem == first.sa_private_key_pem
    assert second.sa_public_key_pem == first.sa_public_key_pem
    assert {n: (tmp_path / n).stat().st_mtime_ns for n in FILES} == mtimes


def test_serving_cert_sans(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path, ["kyb.example.test", "192.0.2.10"])
    cert = load(pki.serving_cert_pem)
    dns, ips = cert_sans(cert)
    for name in (
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "kyb.example.test",
        socket.gethostname().lower(),
    ):
        assert name in dns
    for ip in ("127.0.0.1", "::1", "10.96.0.1", "192.0.2.10"):
        assert ipaddress.ip_address(ip) in ips
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku


def test_admin_cert_subject(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path)
    cert = load(pki.admin_cert_pem)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == ADMIN_USER
    assert [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == [ADMIN_GROUP]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku


def test_missing_san_reissues_serving_cert_only(tmp_path: Path) -> None:
    first = ensure_pki(tmp_path)
    second = ensure_pki(tmp_path, ["new-name.example.test"])
    assert second.ca_cert_pem == first.ca_cert_pem
    assert second.admin_cert_pem == first.admin_cert_pem
    assert second.serving_cert_pem != first.serving_cert_pem
    dns, _ = second.serving_sans()
    assert "new-name.example.test" in dns
    # Names requested before are kept, so that restarting without the extra name does not reissue.
    third = ensure_pki(tmp_path)
    assert third.serving_cert_pem == second.serving_cert_pem


def test_lost_ca_reissues_leaves(tmp_path: Path) -> None:
    first = ensure_pki(tmp_path)
    (tmp_path / "ca.key").unlink()
    second = ensure_pki(tmp_path)
    assert second.ca_cert_pem != first.ca_cert_pem
    ca = load(second.ca_cert_pem)
    assert signed_by(load(second.serving_cert_pem), ca)
    assert signed_by(load(second.admin_cert_pem), ca)
    assert not signed_by(load(first.admin_cert_pem), ca)
    # The service-account key survives: existing tokens stay valid.
    assert second.sa_private_key_pem == first.sa_private_key_pem


def test_expiring_leaf_is_renewed(tmp_path: Path) -> None:
    first = ensure_pki(tmp_path)
    from kybernetes.apiserver.auth.pki import load_private_key, make_leaf

    ca_key = load_private_key(first.ca_key_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    short = make_leaf(
        first.ca_cert,
        ca_key,
        key.public_key(),
        ADMIN_USER,
        (ADMIN_GROUP,),
        client=True,
        not_after=datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10),
    )
    (tmp_path / "admin.crt").write_bytes(short.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "admin.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    second = ensure_pki(tmp_path)
    renewed = load(second.admin_cert_pem)
    assert renewed.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > datetime.timedelta(days=300)


def test_issue_client_cert_and_sign_csr(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path)
    cert_pem, key_pem = pki.issue_client_cert("system:node:n1", ["system:nodes"], days=30)
    user = X509Authenticator(pki.ca_cert_pem).user_for_der(
        load(cert_pem).public_bytes(serialization.Encoding.DER)
    )
    assert user is not None
    assert user.name == "system:node:n1"
    assert user.groups == ("system:nodes",)
    assert b"PRIVATE KEY" in key_pem

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:nodes"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "system:node:n2"),
                ]
            )
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("n2"), x509.IPAddress(ipaddress.ip_address("10.0.0.2"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    signed = load(
        pki.sign_csr(
            csr.public_bytes(serialization.Encoding.PEM), client=False, server=True, expiration_seconds=3600
        )
    )
    assert signed_by(signed, pki.ca_cert)
    assert signed.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "system:node:n2"
    dns, ips = cert_sans(signed)
    assert dns == {"n2"} and ips == {ipaddress.ip_address("10.0.0.2")}
    lifetime = signed.not_valid_after_utc - signed.not_valid_before_utc
    assert lifetime <= datetime.timedelta(hours=1, minutes=6)


async def _serve(pki: Pki) -> tuple[asyncio.Server, int, asyncio.Queue[AuthRequest]]:
    seen: asyncio.Queue[AuthRequest] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await seen.put(auth_request_from_transport({}, writer.transport))
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=pki.server_ssl_context())
    port = server.sockets[0].getsockname()[1]
    return server, port, seen


async def test_tls_handshake_with_client_cert(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path)
    server, port, seen = await _serve(pki)
    try:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=pki.client_ssl_context(), server_hostname="localhost"
        )
        assert await asyncio.wait_for(reader.read(), 5) == b"ok"
        writer.close()
        req = await asyncio.wait_for(seen.get(), 5)
        assert req.peer_cert_der is not None
        user = await X509Authenticator(pki.ca_cert_pem).authenticate(req)
        assert user is not None
        assert user.name == ADMIN_USER
        assert user.groups == (ADMIN_GROUP,)

        # Verifying the IP SAN too (what kubectl does for https://127.0.0.1:port).
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=pki.client_ssl_context(with_admin_cert=False), server_hostname="127.0.0.1"
        )
        assert await asyncio.wait_for(reader.read(), 5) == b"ok"
        writer.close()
        anon = await asyncio.wait_for(seen.get(), 5)
        assert anon.peer_cert_der is None
        assert await X509Authenticator(pki.ca_cert_pem).authenticate(anon) is None
    finally:
        server.close()
        await server.wait_closed()


async def test_tls_rejects_client_cert_of_another_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "a")
    other = ensure_pki(tmp_path / "b")
    server, port, _ = await _serve(pki)
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=pki.ca_cert_pem.decode())
        ctx.load_cert_chain(str(other.admin_cert_path), str(other.admin_key_path))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, ssl=ctx, server_hostname="localhost"
            )
            # TLS 1.3: the server's rejection of the client certificate arrives after the handshake.
            data = await asyncio.wait_for(reader.read(), 5)
            writer.close()
            if not data:
                raise ConnectionError("closed")
    finally:
        server.close()
        await server.wait_closed()


async def test_client_rejects_server_of_another_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "a")
    other = ensure_pki(tmp_path / "b")
    server, port, _ = await _serve(pki)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                "127.0.0.1", port, ssl=other.client_ssl_context(), server_hostname="localhost"
            )
    finally:
        server.close()
        await server.wait_closed()
