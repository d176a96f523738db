"""kubeconfig files: write/load round trip, file references, in-cluster config, and
compatibility with the official Python client and the real kubectl against a TLS server."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from kybernetes.apiserver.auth.authn import (
    AuthRequest,
    BearerTokenAuthenticator,
    StaticTokenAuthenticator,
    UnionAuthenticator,
    X509Authenticator,
    auth_request_from_transport,
)
from kybernetes.apiserver.auth.pki import Pki, ensure_pki
from kybernetes.client.kubeconfig import (
    KubeConfigError,
    in_cluster_config,
    load_kubeconfig,
    write_kubeconfig,
)

VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-kyb",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return ensure_pki(tmp_path_factory.mktemp("pki"))


def test_round_trip_client_cert(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "sub" / "kubeconfig"
    write_kubeconfig(path, "https://127.0.0.1:6443", pki.ca_cert_pem, pki.admin_cert_pem, pki.admin_key_pem)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = yaml.safe_load(path.read_text())
    assert doc["current-context"] == "kyb"
    assert doc["clusters"][0]["name"] == doc["users"][0]["name"] == doc["contexts"][0]["name"] == "kyb"
    assert base64.b64decode(doc["clusters"][0]["cluster"]["certificate-authority-data"]) == pki.ca_cert_pem
    cfg = load_kubeconfig(path)
    assert cfg.server == "https://127.0.0.1:6443"
    assert cfg.ca_pem == pki.ca_cert_pem
    assert cfg.client_cert_pem == pki.admin_cert_pem
    assert cfg.client_key_pem == pki.admin_key_pem
    assert cfg.token is None
    assert cfg.namespace == "default"
    assert cfg.context == "kyb"
    ctx = cfg.ssl_context()
    assert ctx is not None


def test_round_trip_token_and_overwrite(tmp_path: Path, pki: Pki) -> None:
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, "https://a:1", pki.ca_cert_pem, token="t1")
    write_kubeconfig(path, "https://b:2", pki.ca_cert_pem, token="t2", name="other", namespace="dev")
    cfg = load_kubeconfig(path)
    assert (cfg.server, cfg.token, cfg.namespace, cfg.context) == ("https://b:2", "t2", "dev", "other")
    assert cfg.client_cert_pem is None and cfg.client_key_pem is None
    assert [p.name for p in tmp_path.iterdir()] == ["kubeconfig"]  # no temporary files left


def test_file_references_relative_to_kubeconfig(tmp_path: Path, pki: Pki) -> None:
    d = tmp_path / "conf"
    (d / "certs").mkdir(parents=True)
    (d / "certs" / "ca.crt").write_bytes(pki.ca_cert_pem)
    (d / "certs" / "admin.crt").write_bytes(pki.admin_cert_pem)
    (d / "certs" / "admin.key").write_bytes(pki.admin_key_pem)
    (d / "token").write_text("file-token\n")
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "c1",
                "cluster": {"server": "https://one:6443/", "certificate-authority": "certs/ca.crt"},
            },
            {"name": "c2", "cluster": {"server": "https://two:6443", "insecure-skip-tls-verify": True}},
        ],
        "users": [
            {
                "name": "u1",
                "user": {
                    "client-certificate": "certs/admin.crt",
                    "client-key": str(d / "certs" / "admin.key"),
                },
            },
            {"name": "u2", "user": {"tokenFile": "token"}},
        ],
        "contexts": [
            {"name": "one", "context": {"cluster": "c1", "user": "u1", "namespace": "kube-system"}},
            {"name": "two", "context": {"cluster": "c2", "user": "u2"}},
        ],
        "current-context": "one",
    }
    path = d / "config"
    path.write_text(yaml.safe_dump(doc))
    one = load_kubeconfig(path)
    assert one.server == "https://one:6443"
    assert one.ca_pem == pki.ca_cert_pem
    assert one.client_cert_pem == pki.admin_cert_pem
    assert one.client_key_pem == pki.admin_key_pem
    assert one.namespace == "kube-system"
    two = load_kubeconfig(path, context="two")
    assert two.token == "file-token"
    assert two.insecure_skip_tls_verify
    (d / "token").write_text("rotated\n")
    assert two.bearer_token() == "rotated"
    with pytest.raises(KubeConfigError, match="context 'three' not found"):
        load_kubeconfig(path, context="three")
    with pytest.raises(KubeConfigError, match="unable to read"):
        load_kubeconfig(tmp_path / "missing")


def test_in_cluster_config(tmp_path: Path, pki: Pki) -> None:
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "ca.crt").write_bytes(pki.ca_cert_pem)
    (tmp_path / "namespace").write_text("team-a")
    cfg = in_cluster_config(
        tmp_path, {"KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    )
    assert (cfg.server, cfg.token, cfg.namespace, cfg.ca_pem) == (
        "https://10.96.0.1:443",
        "sa-token",
        "team-a",
        pki.ca_cert_pem,
    )
    v6 = in_cluster_config(tmp_path, {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"})
    assert v6.server == "https://[fd00::1]:443"
    with pytest.raises(KubeConfigError, match="KUBERNETES_SERVICE_HOST"):
        in_cluster_config(tmp_path, {})


def test_official_client_loads_it(tmp_path: Path, pki: Pki) -> None:
    from kubernetes import config as kconfig

    path = write_kubeconfig(
        tmp_path / "kc", "https://127.0.0.1:6443", pki.ca_cert_pem, pki.admin_cert_pem, pki.admin_key_pem
    )
    api_client = kconfig.new_client_from_config(str(path))
    assert api_client.configuration.host == "https://127.0.0.1:6443"
    assert (
        api_client.configuration.cert_file
        and Path(api_client.configuration.cert_file).read_bytes() == pki.admin_cert_pem
    )


# --- against a real TLS server on loopback -----------------------------------------------------


@pytest.fixture
async def server(pki: Pki) -> AsyncIterator[str]:
    """A tiny HTTPS server serving /version to authenticated users only."""
    authn = UnionAuthenticator(
        X509Authenticator(pki.ca_cert_pem),
        BearerTokenAuthenticator([StaticTokenAuthenticator.from_csv("s3cret,tok-user,1\n")]),
    )

    async def version(request: web.Request) -> web.Response:
        req: AuthRequest = auth_request_from_transport(request.headers, request.transport)
        user = await authn.authenticate(req)
        if user is None:
            return web.json_response({"kind": "Status", "code": 401}, status=401)
        return web.json_response({**VERSION, "gitCommit": user.name})

    app = web.Application()
    app.router.add_get("/version", version)
    app.router.add_get("/version/", version)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=pki.server_ssl_context())
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_official_client_talks_tls(tmp_path: Path, pki: Pki, server: str) -> None:
    from kubernetes import client as kclient
    from kubernetes import config as kconfig

    path = write_kubeconfig(tmp_path / "kc", server, pki.ca_cert_pem, pki.admin_cert_pem, pki.admin_key_pem)

    def call() -> str:
        api_client = kconfig.new_client_from_config(str(path))
        try:
            return str(kclient.VersionApi(api_client).get_code().git_commit)
        finally:
            api_client.close()

    assert await asyncio.to_thread(call) == "kyb-admin"


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
@pytest.mark.parametrize("mode", ["cert", "token"])
async def test_kubectl_talks_tls(tmp_path: Path, pki: Pki, server: str, mode: str) -> None:
    if mode == "cert":
        path = write_kubeconfig(
            tmp_path / "kc", server, pki.ca_cert_pem, pki.admin_cert_pem, pki.admin_key_pem
        )
        expected = "kyb-admin"
    else:
        path = write_kubeconfig(tmp_path / "kc", server, pki.ca_cert_pem, token="s3cret")
        expected = "tok-user"
    proc = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(path),
        "version",
        "-o",
        "json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert json.loads(out)["serverVersion"]["gitCommit"] == expected
