"""Defaulting of pod specs and pod templates (pkg/apis/core/v1/defaults.go)."""

from __future__ import annotations

from typing import Any

from kybernetes.api.validation.core import VOLUME_SOURCES

Obj = dict[str, Any]

_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# the volume source fields (one is set per volume), shared with validation
_VOLUME_SOURCES = frozenset(VOLUME_SOURCES)


def _dict(parent: Obj, key: str) -> Obj | None:
    v = parent.get(key)
    return v if isinstance(v, dict) else None


def _list(parent: Obj, key: str) -> list[Any]:
    v = parent.get(key)
    return v if isinstance(v, list) else []


def image_tag(image: str) -> str:
    """The tag of an image reference as upstream's parsers.ParseImageName sees it.

    ``latest`` when neither tag nor digest is given; ``""`` for a digest without a tag.
    """
    name, sep, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        return last.rsplit(":", 1)[1]
    return "" if sep and digest else "latest"


def default_pull_policy(image: str) -> str:
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


def _default_http_get(handler: Obj | None) -> None:
    if handler is None:
        return
    http_get = _dict(handler, "httpGet")
    if http_get is not None:
        if not http_get.get("path"):
            http_get["path"] = "/"
        if not http_get.get("scheme"):
            http_get["scheme"] = "HTTP"


def _default_probe(probe: Obj) -> None:
    if not probe.get("timeoutSeconds"):
        probe["timeoutSeconds"] = 1
    if not probe.get("periodSeconds"):
        probe["periodSeconds"] = 10
    if not probe.get("successThreshold"):
        probe["successThreshold"] = 1
    if not probe.get("failureThreshold"):
        probe["failureThreshold"] = 3
    _default_http_get(probe)


def _default_field_ref(holder: Obj | None) -> None:
    if holder is None:
        return
    ref = _dict(holder, "fieldRef")
    if ref is not None and not ref.get("apiVersion"):
        ref["apiVersion"] = "v1"


def default_container(c: Obj) -> None:
    if not c.get("imagePullPolicy"):
        image = c.get("image")
        c["imagePullPolicy"] = default_pull_policy(image if isinstance(image, str) else "")
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = "/dev/termination-log"
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    if c.get("resources") is None:
        c["resources"] = {}
    for port in _list(c, "ports"):
        if isinstance(port, dict) and not port.get("protocol"):
            port["protocol"] = "TCP"
    for env in _list(c, "env"):
        if isinstance(env, dict):
            _default_field_ref(_dict(env, "valueFrom"))
    for name in _PROBES:
        probe = _dict(c, name)
        if probe is not None:
            _default_probe(probe)
    lifecycle = _dict(c, "lifecycle")
    if lifecycle is not None:
        _default_http_get(_dict(lifecycle, "postStart"))
        _default_http_get(_dict(lifecycle, "preStop"))


def default_pvc_spec(spec: Obj) -> None:
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"


def _default_volume(v: Obj) -> None:
    if not any(v.get(k) is not None for k in _VOLUME_SOURCES):
        v["emptyDir"] = {}
    src = _dict(v, "hostPath")
    if src is not None and src.get("type") is None:
        src["type"] = ""
    for key in ("secret", "configMap", "downwardAPI", "projected"):
        src = _dict(v, key)
        if src is not None and src.get("defaultMode") is None:
            src["defaultMode"] = 420
    src = _dict(v, "downwardAPI")
    if src is not None:
        for item in _list(src, "items"):
            if isinstance(item, dict):
                _default_field_ref(item)
    src = _dict(v, "projected")
    if src is not None:
        for source in _list(src, "sources"):
            if not isinstance(source, dict):
                continue
            dapi = _dict(source, "downwardAPI")
            if dapi is not None:
                for item in _list(dapi, "items"):
                    if isinstance(item, dict):
                        _default_field_ref(item)
            token = _dict(source, "serviceAccountToken")
            if token is not None and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = 3600
    src = _dict(v, "iscsi")
    if src is not None and not src.get("iscsiInterface"):
        src["iscsiInterface"] = "default"
    src = _dict(v, "rbd")
    if src is not None:
        if not src.get("pool"):
            src["pool"] = "rbd"
        if not src.get("user"):
            src["user"] = "admin"
        if not src.get("keyring"):
            src["keyring"] = "/etc/ceph/keyring"
    src = _dict(v, "azureDisk")
    if src is not None:
        src.setdefault("cachingMode", "ReadWrite")
        src.setdefault("fsType", "ext4")
        src.setdefault("readOnly", False)
        src.setdefault("kind", "Shared")
    src = _dict(v, "scaleIO")
    if src is not None:
        if not src.get("storageMode"):
            src["storageMode"] = "ThinProvisioned"
        if not src.get("fsType"):
            src["fsType"] = "xfs"
    src = _dict(v, "image")
    if src is not None and not src.get("pullPolicy"):
        ref = src.get("reference")
        src["pullPolicy"] = (
            "Always" if image_tag(ref if isinstance(ref, str) else "") == "latest" else "IfNotPresent"
        )
    src = _dict(v, "ephemeral")
    if src is not None:
        tmpl = _dict(src, "volumeClaimTemplate")
        if tmpl is not None:
            spec = _dict(tmpl, "spec")
            if spec is not None:
                default_pvc_spec(spec)


def default_pod_spec(spec: Obj) -> None:
    """SetDefaults_PodSpec and the nested defaulters: for pods and templates alike."""
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = 30
    if not spec.get("schedulerName"):
        spec["schedulerName"] = "default-scheduler"
    for v in _list(spec, "volumes"):
        if isinstance(v, dict):
            _default_volume(v)
    for key in _CONTAINER_LISTS:
        for c in _list(spec, key):
            if isinstance(c, dict):
                default_container(c)


def default_pod_template(template: Obj | None) -> None:
    """A PodTemplateSpec inside a workload: pod spec defaults, not the Pod-only ones."""
    if template is None:
        return
    meta = template.get("metadata")
    if meta is None:
        template["metadata"] = meta = {}
    if isinstance(meta, dict) and "creationTimestamp" not in meta:
        # upstream serialises the zero metav1.Time of a template as null
        meta["creationTimestamp"] = None
    spec = template.get("spec")
    if spec is None:
        template["spec"] = spec = {}
    if isinstance(spec, dict):
        default_pod_spec(spec)


def _requests_from_limits(c: Obj) -> None:
    resources = _dict(c, "resources")
    if resources is None:
        return
    limits = _dict(resources, "limits")
    if not limits:
        return
    requests = _dict(resources, "requests")
    if requests is None:
        resources["requests"] = requests = {}
    for key, value in limits.items():
        if key not in requests:
            requests[key] = value


def default_pod(pod: Obj) -> None:
    """SetObjectDefaults_Pod: SetDefaults_Pod (requests from limits, enableServiceLinks,
    host-network ports) and the pod spec defaults."""
    spec = pod.get("spec")
    if spec is None:
        pod["spec"] = spec = {}
    if not isinstance(spec, dict):
        return
    for key in ("containers", "initContainers"):
        for c in _list(spec, key):
            if isinstance(c, dict):
                _requests_from_limits(c)
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if spec.get("hostNetwork") is True:
        for key in ("containers", "initContainers"):
            for c in _list(spec, key):
                if not isinstance(c, dict):
                    continue
                for port in _list(c, "ports"):
                    if isinstance(port, dict) and not port.get("hostPort"):
                        port["hostPort"] = port.get("containerPort", 0)
    default_pod_spec(spec)
