"""kubeconfig files (clientcmd v1) and in-cluster configuration.

* :func:`write_kubeconfig` writes a standard single-context kubeconfig (mode 0600, atomically).
* :func:`load_kubeconfig` reads one (``$KUBECONFIG``'s first file or ``~/.kube/config`` by
  default) into a :class:`KubeConfig`: server, CA, client certificate/key or token, namespace.
  File references (``certificate-authority``, ``client-certificate``, ``client-key``,
  ``tokenFile``) are resolved relative to the kubeconfig's directory, as clientcmd does.
* :func:`in_cluster_config` reads the service-account mount of a pod.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from kybernetes.util.files import atomic_write

SERVICE_ACCOUNT_DIR: Final = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_NAME: Final = "kyb"


class KubeConfigError(Exception):
    """A kubeconfig is missing, malformed or incomplete."""


@dataclass
class KubeConfig:
    """Everything needed to talk to one apiserver as one user."""

    server: str
    ca_pem: bytes | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None
    token: str | None = None
    token_file: Path | None = None
    namespace: str = "default"
    insecure_skip_tls_verify: bool = False
    tls_server_name: str | None = None
    context: str = ""
    cluster: str = ""
    user: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def bearer_token(self) -> str | None:
        """The token, re-read from ``token_file`` when there is one (projected tokens rotate)."""
        if self.token_file is not None:
            try:
                return self.token_file.read_text().strip() or self.token
            except OSError:
                return self.token
        return self.token

    def ssl_context(self) -> ssl.SSLContext | None:
        """A TLS client context for this config (``None`` for plain-HTTP servers)."""
        if not self.server.startswith("https://"):
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if self.insecure_skip_tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif self.ca_pem:
            ctx.load_verify_locations(cadata=self.ca_pem.decode())
        else:
            ctx.load_default_certs()
        if self.client_cert_pem and self.client_key_pem:
            _load_cert_chain_from_memory(ctx, self.client_cert_pem, self.client_key_pem)
        return ctx


def _load_cert_chain_from_memory(ctx: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """ssl can only load a certificate chain from files: use a private temporary file."""
    fd, tmp = tempfile.mkstemp(prefix="kyb-client-", suffix=".pem")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(cert_pem.rstrip(b"\n") + b"\n" + key_pem)
        ctx.load_cert_chain(tmp)
    finally:
        os.unlink(tmp)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def kubeconfig_dict(
    server_url: str,
    ca_pem: bytes | None,
    client_cert_pem: bytes | None = None,
    client_key_pem: bytes | None = None,
    token: str | None = None,
    name: str = DEFAULT_NAME,
    namespace: str | None = None,
) -> dict[str, Any]:
    """The kubeconfig document (cluster, user and context all called ``name``)."""
    cluster: dict[str, Any] = {"server": server_url}
    if ca_pem:
        cluster["certificate-authority-data"] = _b64(ca_pem)
    user: dict[str, Any] = {}
    if client_cert_pem:
        user["client-certificate-data"] = _b64(client_cert_pem)
    if client_key_pem:
        user["client-key-data"] = _b64(client_key_pem)
    if token:
        user["token"] = token
    context: dict[str, Any] = {"cluster": name, "user": name}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    }


def write_kubeconfig(
    path: Path | str,
    server_url: str,
    ca_pem: bytes | None,
    client_cert_pem: bytes | None = None,
    client_key_pem: bytes | None = None,
    token: str | None = None,
    name: str = DEFAULT_NAME,
    namespace: str | None = None,
) -> Path:
    """Write a kubeconfig for ``server_url`` (mode 0600, atomically). Returns the path."""
    p = Path(path)
    doc = kubeconfig_dict(server_url, ca_pem, client_cert_pem, client_key_pem, token, name, namespace)
    atomic_write(p, yaml.safe_dump(doc, sort_keys=False, default_flow_style=False).encode(), 0o600)
    return p


def default_kubeconfig_path() -> Path:
    """``$KUBECONFIG``'s first existing entry, else ``~/.kube/config``."""
    env = os.environ.get("KUBECONFIG", "")
    entries = [e for e in env.split(os.pathsep) if e]
    for e in entries:
        if Path(e).expanduser().exists():
            return Path(e).expanduser()
    if entries:
        return Path(entries[0]).expanduser()
    return Path.home() / ".kube" / "config"


def _named(items: Any, name: str, what: str, key: str) -> dict[str, Any]:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("name") == name:
                body = item.get(key)
                return body if isinstance(body, dict) else {}
    raise KubeConfigError(f"{what} {name!r} not found in kubeconfig")


def _data_or_file(section: dict[str, Any], data_key: str, file_key: str, base: Path) -> bytes | None:
    data = section.get(data_key)
    if data:
        try:
            return base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError) as e:
            raise KubeConfigError(f"{data_key} is not valid base64: {e}") from e
    ref = section.get(file_key)
    if ref:
        p = _resolve(base, ref)
        try:
            return p.read_bytes()
        except OSError as e:
            raise KubeConfigError(f"unable to read {file_key} {str(p)!r}: {e}") from e
    return None


def _resolve(base: Path, ref: str) -> Path:
    p = Path(os.path.expanduser(ref))
    return p if p.is_absolute() else base / p


def load_kubeconfig(path: Path | str | None = None, context: str | None = None) -> KubeConfig:
    """Load the ``context`` (default: current-context) of a kubeconfig file."""
    p = Path(path).expanduser() if path is not None else default_kubeconfig_path()
    try:
        doc = yaml.safe_load(p.read_text())
    except OSError as e:
        raise KubeConfigError(f"unable to read kubeconfig {str(p)!r}: {e}") from e
    except yaml.YAMLError as e:
        raise KubeConfigError(f"kubeconfig {str(p)!r} is not valid YAML: {e}") from e
    if not isinstance(doc, dict):
        raise KubeConfigError(f"kubeconfig {str(p)!r} is empty or not a mapping")
    return kubeconfig_from_dict(doc, context=context, base_dir=p.resolve().parent)


def kubeconfig_from_dict(
    doc: dict[str, Any], context: str | None = None, base_dir: Path | None = None
) -> KubeConfig:
    base = base_dir or Path.cwd()
    ctx_name = context or doc.get("current-context") or ""
    if not ctx_name:
        raise KubeConfigError("no context given and current-context is not set")
    ctx = _named(doc.get("contexts"), ctx_name, "context", "context")
    cluster_name = str(ctx.get("cluster") or "")
    user_name = str(ctx.get("user") or "")
    cluster = _named(doc.get("clusters"), cluster_name, "cluster", "cluster")
    server = cluster.get("server")
    if not server:
        raise KubeConfigError(f"cluster {cluster_name!r} has no server")
    user = _named(doc.get("users"), user_name, "user", "user") if user_name else {}
    token = user.get("token") or None
    token_file = _resolve(base, user["tokenFile"]) if user.get("tokenFile") else None
    if token is None and token_file is not None:
        try:
            token = token_file.read_text().strip() or None
        except OSError as e:
            raise KubeConfigError(f"unable to read tokenFile {str(token_file)!r}: {e}") from e
    return KubeConfig(
        server=str(server).rstrip("/"),
        ca_pem=_data_or_file(cluster, "certificate-authority-data", "certificate-authority", base),
        client_cert_pem=_data_or_file(user, "client-certificate-data", "client-certificate", base),
        client_key_pem=_data_or_file(user, "client-key-data", "client-key", base),
        token=str(token) if token else None,
        token_file=token_file,
        namespace=str(ctx.get("namespace") or "default"),
        insecure_skip_tls_verify=bool(cluster.get("insecure-skip-tls-verify", False)),
        tls_server_name=cluster.get("tls-server-name") or None,
        context=ctx_name,
        cluster=cluster_name,
        user=user_name,
    )


def in_cluster_config(
    secrets_dir: Path | str = SERVICE_ACCOUNT_DIR, environ: dict[str, str] | None = None
) -> KubeConfig:
    """The config of a process running in a pod: ``KUBERNETES_SERVICE_HOST``/``_PORT`` and the
    mounted service-account token, CA and namespace."""
    env = os.environ if environ is None else environ
    host, port = env.get("KUBERNETES_SERVICE_HOST", ""), env.get("KUBERNETES_SERVICE_PORT", "")
    if not host or not port:
        raise KubeConfigError(
            "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be defined"
        )
    d = Path(secrets_dir)
    token_file = d / "token"
    try:
        token = token_file.read_text().strip()
    except OSError as e:
        raise KubeConfigError(f"unable to read service-account token: {e}") from e
    try:
        ca = (d / "ca.crt").read_bytes()
    except OSError:
        ca = None
    try:
        namespace = (d / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return KubeConfig(
        server=f"https://{host}:{port}",
        ca_pem=ca,
        token=token,
        token_file=token_file,
        namespace=namespace,
    )
