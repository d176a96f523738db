"""HTTPS identities: client certificates, static tokens, service-account tokens (TokenRequest), 401s."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kybernetes.testing.cluster import KybCluster

pytestmark = pytest.mark.kubectl


def _get(url: str, token: str | None = None, ca: Path | None = None) -> tuple[int, dict]:
    ctx = ssl.create_default_context(cafile=str(ca)) if ca else ssl._create_unverified_context()
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_no_credentials_is_401_but_health_is_open(cluster: KybCluster) -> None:
    ca = cluster.data_dir / "pki" / "ca.crt"
    code, body = _get(f"{cluster.server}/api/v1/namespaces", ca=ca)
    assert code == 401 and body["reason"] == "Unauthorized"
    code, _ = _get(f"{cluster.server}/api/v1/namespaces", token="not-a-valid-token", ca=ca)
    assert code == 401
    ctx = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"{cluster.server}/readyz", context=ctx, timeout=10) as r:
        assert r.read() == b"ok"
    code, version = _get(f"{cluster.server}/version", ca=ca)
    assert code == 200 and version["minor"] == "32"


def test_serving_certificate_names(cluster: KybCluster) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate((cluster.data_dir / "pki" / "apiserver.crt").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    names = set(san.get_values_for_type(x509.DNSName)) | {str(i) for i in san.get_values_for_type(x509.IPAddress)}
    for n in ("localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
              "kubernetes.default.svc.cluster.local", "10.96.0.1"):
        assert n in names


def test_service_account_token_is_the_accounts_identity(cluster: KybCluster, ns: str) -> None:
    token = cluster.kubectl("create", "token", "default", "-n", ns, "--duration=15m").stdout.strip()
    assert token.count(".") == 2
    out = cluster.kubectl("auth", "whoami", "-o", "json", f"--token={token}", "--as=", check=True,
                          env={"KUBECONFIG": str(_token_kubeconfig(cluster, token))}).stdout
    info = json.loads(out)["status"]["userInfo"]
    assert info["username"] == f"system:serviceaccount:{ns}:default"
    assert f"system:serviceaccounts:{ns}" in info["groups"] and "system:authenticated" in info["groups"]
    too_short = cluster.kubectl("create", "token", "default", "-n", ns, "--duration=1m", check=False)
    assert too_short.returncode != 0 and "may not specify a duration less than 10 minutes" in too_short.stderr
    # deleting the account revokes its tokens (after the authentication cache's 10 s)
    cluster.kubectl("delete", "serviceaccount", "default", "-n", ns)
    code = 0
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        code, _ = _get(f"{cluster.server}/api/v1/namespaces/{ns}/configmaps", token=token,
                       ca=cluster.data_dir / "pki" / "ca.crt")
        if code == 401:
            break
        time.sleep(1)
    assert code == 401


def _token_kubeconfig(cluster: KybCluster, token: str) -> Path:
    import yaml

    cfg = yaml.safe_load(cluster.kubeconfig.read_text())
    cfg["users"] = [{"name": "kyb", "user": {"token": token}}]
    out = cluster.kubeconfig.parent / f"token-{abs(hash(token))}.yaml"
    out.write_text(yaml.safe_dump(cfg))
    return out


def test_static_token_file_and_metrics(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.csv"
    tokens.write_text('s3cret-token,jane,uid-jane,"devs,ops"\n')
    with KybCluster(tmp_path / "d", ["--token-auth-file", str(tokens)]) as c:
        code, _ = _get(f"{c.server}/apis/authentication.k8s.io/v1", token="s3cret-token",
                          ca=c.data_dir / "pki" / "ca.crt")
        assert code == 200
        kc = _token_kubeconfig(c, "s3cret-token")
        info = json.loads(c.kubectl("auth", "whoami", "-o", "json", env={"KUBECONFIG": str(kc)}).stdout)
        assert info["status"]["userInfo"]["username"] == "jane"
        assert {"devs", "ops", "system:authenticated"} <= set(info["status"]["userInfo"]["groups"])
        c.kubectl("get", "cm", "-A")
        metrics = c.kubectl("get", "--raw", "/metrics").stdout
        for family in ("apiserver_request_total", "apiserver_request_duration_seconds_bucket",
                       "apiserver_registered_watchers", "etcd_request_duration_seconds_bucket"):
            assert family in metrics, family
        assert 'verb="LIST"' in metrics and 'resource="configmaps"' in metrics


def test_kyb_apiserver_alone(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kybernetes", "apiserver", "--data-dir", str(tmp_path / "d"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        line = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "serving at" not in line:
            line = proc.stderr.readline()
        assert "serving at https://" in line
        url = line.strip().rsplit(" ", 1)[1]
        code, body = _get(f"{url}/version", ca=tmp_path / "d" / "pki" / "ca.crt")
        assert code == 200 and body["major"] == "1"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
