"""Defaulting of built-in objects, as upstream 1.32's per-version defaulters.

:func:`apply_defaults` mutates a JSON-decoded object in place according to its
apiVersion/kind (unknown kinds are left alone). It sets what upstream's scheme defaulting
sets when the object is decoded, nothing that admission plugins or registry strategies add
(service account volumes, priority, ClusterIP/NodePort allocation, ipFamilies, pod
status...), with one exception asked for by the apiserver: a Service's ``ipFamilyPolicy``.

Like upstream's decoding, zero-valued structs that Go always serialises appear too:
``resources: {}`` in containers and ``creationTimestamp: null`` in template metadata.
Quantities are left as the client wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from kybernetes.api.defaults.pod import (
    Obj,
    default_pod,
    default_pod_spec,
    default_pod_template,
    default_pvc_spec,
)

__all__ = ["apply_defaults", "default_pod_spec", "default_pod_template", "defaulter_for"]

RBAC_GROUP: Final = "rbac.authorization.k8s.io"


def _dict(parent: Obj, key: str, create: bool = False) -> Obj | None:
    v = parent.get(key)
    if v is None and create:
        parent[key] = v = {}
    return v if isinstance(v, dict) else None


def _list(parent: Obj | None, key: str) -> list[Any]:
    if parent is None:
        return []
    v = parent.get(key)
    return v if isinstance(v, list) else []


def _dicts(parent: Obj | None, key: str) -> list[Obj]:
    return [x for x in _list(parent, key) if isinstance(x, dict)]


def _spec(obj: Obj) -> Obj | None:
    return _dict(obj, "spec", create=True)


def _set_if_none(d: Obj, key: str, value: Any) -> None:
    if d.get(key) is None:
        d[key] = value


def _set_if_empty(d: Obj, key: str, value: Any) -> None:
    if not d.get(key):
        d[key] = value


# --- core/v1 ---------------------------------------------------------------------------


def _pod(obj: Obj) -> None:
    default_pod(obj)


def _pod_template(obj: Obj) -> None:
    tmpl = _dict(obj, "template", create=True)
    if tmpl is not None:
        default_pod_template(tmpl)


def _replication_controller(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    tmpl = _dict(spec, "template")
    labels = _dict(tmpl, "metadata") if tmpl is not None else None
    tlabels = labels.get("labels") if labels is not None else None
    if isinstance(tlabels, dict):
        if not spec.get("selector"):
            spec["selector"] = dict(tlabels)
        meta = _dict(obj, "metadata", create=True)
        if meta is not None and not meta.get("labels"):
            meta["labels"] = dict(tlabels)
    _set_if_none(spec, "replicas", 1)
    if tmpl is not None:
        default_pod_template(tmpl)


def _service(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_empty(spec, "sessionAffinity", "None")
    affinity = spec.get("sessionAffinity")
    if affinity == "None":
        spec.pop("sessionAffinityConfig", None)
    elif affinity == "ClientIP":
        cfg = spec.get("sessionAffinityConfig")
        client_ip = cfg.get("clientIP") if isinstance(cfg, dict) else None
        if not isinstance(client_ip, dict) or client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _set_if_empty(spec, "type", "ClusterIP")
    svc_type = spec["type"]
    for port in _dicts(spec, "ports"):
        _set_if_empty(port, "protocol", "TCP")
        target = port.get("targetPort")
        if target is None or target == 0 or target == "":
            port["targetPort"] = port.get("port", 0)
    externally_accessible = svc_type in ("LoadBalancer", "NodePort") or (
        svc_type == "ClusterIP" and bool(spec.get("externalIPs"))
    )
    if externally_accessible:
        _set_if_empty(spec, "externalTrafficPolicy", "Cluster")
    if spec.get("internalTrafficPolicy") is None and svc_type in ("ClusterIP", "NodePort", "LoadBalancer"):
        spec["internalTrafficPolicy"] = "Cluster"
    if svc_type == "LoadBalancer":
        _set_if_none(spec, "allocateLoadBalancerNodePorts", True)
        status = _dict(obj, "status")
        lb = _dict(status, "loadBalancer") if status is not None else None
        for ing in _dicts(lb, "ingress"):
            if ing.get("ip") and ing.get("ipMode") is None:
                ing["ipMode"] = "VIP"
    if svc_type != "ExternalName" and not spec.get("ipFamilyPolicy"):
        headless = spec.get("clusterIP") == "None"
        spec["ipFamilyPolicy"] = (
            "RequireDualStack" if headless and not spec.get("selector") else "SingleStack"
        )


def _secret(obj: Obj) -> None:
    _set_if_empty(obj, "type", "Opaque")


def _namespace(obj: Obj) -> None:
    meta = _dict(obj, "metadata", create=True)
    name = meta.get("name") if meta is not None else None
    if meta is not None and isinstance(name, str) and name:
        labels = _dict(meta, "labels", create=True)
        if labels is not None:
            labels["kubernetes.io/metadata.name"] = name
    spec = _spec(obj)
    if spec is not None and spec.get("finalizers") is None:
        spec["finalizers"] = ["kubernetes"]
    status = _dict(obj, "status", create=True)
    if status is not None:
        _set_if_empty(status, "phase", "Active")


def _node(obj: Obj) -> None:
    status = _dict(obj, "status")
    if status is not None and status.get("allocatable") is None and isinstance(status.get("capacity"), dict):
        status["allocatable"] = dict(status["capacity"])


def _persistent_volume(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is not None:
        _set_if_empty(spec, "persistentVolumeReclaimPolicy", "Retain")
        _set_if_empty(spec, "volumeMode", "Filesystem")
        host_path = _dict(spec, "hostPath")
        if host_path is not None:
            _set_if_none(host_path, "type", "")
    status = _dict(obj, "status", create=True)
    if status is not None:
        _set_if_empty(status, "phase", "Pending")


def _persistent_volume_claim(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is not None:
        default_pvc_spec(spec)
    status = _dict(obj, "status", create=True)
    if status is not None:
        _set_if_empty(status, "phase", "Pending")


def _endpoints(obj: Obj) -> None:
    for subset in _dicts(obj, "subsets"):
        for port in _dicts(subset, "ports"):
            _set_if_empty(port, "protocol", "TCP")


def _limit_range(obj: Obj) -> None:
    spec = _dict(obj, "spec")
    for item in _dicts(spec, "limits"):
        if item.get("type") != "Container":
            continue
        default = _dict(item, "default", create=True)
        request = _dict(item, "defaultRequest", create=True)
        if default is None or request is None:
            continue
        for key, value in (_dict(item, "max") or {}).items():
            default.setdefault(key, value)
        for key, value in default.items():
            request.setdefault(key, value)
        for key, value in (_dict(item, "min") or {}).items():
            request.setdefault(key, value)


# --- apps/v1 ---------------------------------------------------------------------------


def _template_of(spec: Obj) -> None:
    tmpl = _dict(spec, "template", create=True)
    if tmpl is not None:
        default_pod_template(tmpl)


def _deployment(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_none(spec, "replicas", 1)
    strategy = _dict(spec, "strategy", create=True)
    if strategy is not None:
        _set_if_empty(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = _dict(strategy, "rollingUpdate", create=True)
            if ru is not None:
                _set_if_none(ru, "maxUnavailable", "25%")
                _set_if_none(ru, "maxSurge", "25%")
    _set_if_none(spec, "revisionHistoryLimit", 10)
    _set_if_none(spec, "progressDeadlineSeconds", 600)
    _template_of(spec)


def _replica_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_none(spec, "replicas", 1)
    _template_of(spec)


def _stateful_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_empty(spec, "podManagementPolicy", "OrderedReady")
    strategy = _dict(spec, "updateStrategy", create=True)
    if strategy is not None:
        if not strategy.get("type"):
            strategy["type"] = "RollingUpdate"
            _set_if_none(strategy, "rollingUpdate", {})
        ru = _dict(strategy, "rollingUpdate")
        if strategy["type"] == "RollingUpdate" and ru is not None:
            _set_if_none(ru, "partition", 0)
    policy = _dict(spec, "persistentVolumeClaimRetentionPolicy", create=True)
    if policy is not None:
        _set_if_empty(policy, "whenDeleted", "Retain")
        _set_if_empty(policy, "whenScaled", "Retain")
    _set_if_none(spec, "replicas", 1)
    _set_if_none(spec, "revisionHistoryLimit", 10)
    _template_of(spec)
    for pvc in _dicts(spec, "volumeClaimTemplates"):
        meta = _dict(pvc, "metadata", create=True)
        if meta is not None and "creationTimestamp" not in meta:
            meta["creationTimestamp"] = None
        _persistent_volume_claim(pvc)


def _daemon_set(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    strategy = _dict(spec, "updateStrategy", create=True)
    if strategy is not None:
        _set_if_empty(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = _dict(strategy, "rollingUpdate", create=True)
            if ru is not None:
                _set_if_none(ru, "maxUnavailable", 1)
                _set_if_none(ru, "maxSurge", 0)
    _set_if_none(spec, "revisionHistoryLimit", 10)
    _template_of(spec)


# --- batch/v1 --------------------------------------------------------------------------


def default_job_spec(spec: Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _set_if_none(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    _set_if_none(spec, "completionMode", "NonIndexed")
    _set_if_none(spec, "suspend", False)
    failure_policy = _dict(spec, "podFailurePolicy")
    for rule in _dicts(failure_policy, "rules"):
        for pattern in _dicts(rule, "onPodConditions"):
            _set_if_empty(pattern, "status", "True")
    if spec.get("podReplacementPolicy") is None:
        spec["podReplacementPolicy"] = "Failed" if failure_policy is not None else "TerminatingOrFailed"


def _job(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    default_job_spec(spec)
    tmpl = _dict(spec, "template")
    tmeta = _dict(tmpl, "metadata") if tmpl is not None else None
    tlabels = tmeta.get("labels") if tmeta is not None else None
    if isinstance(tlabels, dict):
        meta = _dict(obj, "metadata", create=True)
        if meta is not None and not meta.get("labels"):
            meta["labels"] = dict(tlabels)
    _template_of(spec)


def _cron_job(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_empty(spec, "concurrencyPolicy", "Allow")
    _set_if_none(spec, "suspend", False)
    _set_if_none(spec, "successfulJobsHistoryLimit", 3)
    _set_if_none(spec, "failedJobsHistoryLimit", 1)
    job_tmpl = _dict(spec, "jobTemplate", create=True)
    if job_tmpl is None:
        return
    meta = _dict(job_tmpl, "metadata", create=True)
    if meta is not None and "creationTimestamp" not in meta:
        meta["creationTimestamp"] = None
    job_spec = _dict(job_tmpl, "spec", create=True)
    if job_spec is not None:
        _template_of(job_spec)


# --- other groups ----------------------------------------------------------------------


def _hpa_v1(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is not None:
        _set_if_none(spec, "minReplicas", 1)


_SCALE_UP_RULES: Final = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN_RULES: Final = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _scaling_rules(given: Any, default: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: (list(v) if isinstance(v, list) else v) for k, v in default.items()}
    out["policies"] = [dict(p) for p in default["policies"]]
    if isinstance(given, dict):
        for key in ("selectPolicy", "stabilizationWindowSeconds", "policies", "tolerance"):
            if given.get(key) is not None:
                out[key] = given[key]
    return out


def _hpa_v2(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_none(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
            }
        ]
    behavior = _dict(spec, "behavior")
    if behavior is not None:
        behavior["scaleUp"] = _scaling_rules(behavior.get("scaleUp"), _SCALE_UP_RULES)
        behavior["scaleDown"] = _scaling_rules(behavior.get("scaleDown"), _SCALE_DOWN_RULES)


def _network_policy(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    for direction in ("ingress", "egress"):
        for rule in _dicts(spec, direction):
            for port in _dicts(rule, "ports"):
                _set_if_empty(port, "protocol", "TCP")
    if not spec.get("policyTypes"):
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types


def _ingress_class(obj: Obj) -> None:
    spec = _dict(obj, "spec")
    params = _dict(spec, "parameters") if spec is not None else None
    if params is not None:
        _set_if_none(params, "scope", "Cluster")


def _endpoint_slice(obj: Obj) -> None:
    for port in _dicts(obj, "ports"):
        _set_if_none(port, "name", "")
        _set_if_none(port, "protocol", "TCP")


def _priority_class(obj: Obj) -> None:
    _set_if_empty(obj, "preemptionPolicy", "PreemptLowerPriority")


def _storage_class(obj: Obj) -> None:
    _set_if_empty(obj, "reclaimPolicy", "Delete")
    _set_if_empty(obj, "volumeBindingMode", "Immediate")


def _csi_driver(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    _set_if_none(spec, "attachRequired", True)
    _set_if_none(spec, "podInfoOnMount", False)
    _set_if_none(spec, "storageCapacity", False)
    _set_if_none(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType")
    _set_if_none(spec, "requiresRepublish", False)
    _set_if_none(spec, "seLinuxMount", False)
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]


def _role_binding(obj: Obj) -> None:
    ref = _dict(obj, "roleRef")
    if ref is not None:
        _set_if_empty(ref, "apiGroup", RBAC_GROUP)
    for subject in _dicts(obj, "subjects"):
        if not subject.get("apiGroup"):
            kind = subject.get("kind")
            if kind == "ServiceAccount":
                subject["apiGroup"] = ""
            elif kind in ("User", "Group"):
                subject["apiGroup"] = RBAC_GROUP


def _webhooks(obj: Obj, mutating: bool) -> None:
    for hook in _dicts(obj, "webhooks"):
        _set_if_none(hook, "failurePolicy", "Fail")
        _set_if_none(hook, "matchPolicy", "Equivalent")
        _set_if_none(hook, "namespaceSelector", {})
        _set_if_none(hook, "objectSelector", {})
        _set_if_none(hook, "timeoutSeconds", 10)
        if mutating:
            _set_if_none(hook, "reinvocationPolicy", "Never")
        for rule in _dicts(hook, "rules"):
            _set_if_none(rule, "scope", "*")
        client = _dict(hook, "clientConfig")
        service = _dict(client, "service") if client is not None else None
        if service is not None:
            _set_if_none(service, "port", 443)


def _crd(obj: Obj) -> None:
    spec = _spec(obj)
    if spec is None:
        return
    conversion = _dict(spec, "conversion", create=True)
    if conversion is not None:
        _set_if_empty(conversion, "strategy", "None")
        webhook = _dict(conversion, "webhook")
        client = _dict(webhook, "clientConfig") if webhook is not None else None
        service = _dict(client, "service") if client is not None else None
        if service is not None:
            _set_if_none(service, "port", 443)


Defaulter = Callable[[Obj], None]

_DEFAULTERS: Final[dict[tuple[str, str], Defaulter]] = {
    ("v1", "Pod"): _pod,
    ("v1", "PodTemplate"): _pod_template,
    ("v1", "ReplicationController"): _replication_controller,
    ("v1", "Service"): _service,
    ("v1", "Secret"): _secret,
    ("v1", "Namespace"): _namespace,
    ("v1", "Node"): _node,
    ("v1", "PersistentVolume"): _persistent_volume,
    ("v1", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("v1", "Endpoints"): _endpoints,
    ("v1", "LimitRange"): _limit_range,
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "ReplicaSet"): _replica_set,
    ("apps/v1", "StatefulSet"): _stateful_set,
    ("apps/v1", "DaemonSet"): _daemon_set,
    ("batch/v1", "Job"): _job,
    ("batch/v1", "CronJob"): _cron_job,
    ("autoscaling/v1", "HorizontalPodAutoscaler"): _hpa_v1,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): _hpa_v2,
    ("networking.k8s.io/v1", "NetworkPolicy"): _network_policy,
    ("networking.k8s.io/v1", "IngressClass"): _ingress_class,
    ("discovery.k8s.io/v1", "EndpointSlice"): _endpoint_slice,
    ("scheduling.k8s.io/v1", "PriorityClass"): _priority_class,
    ("storage.k8s.io/v1", "StorageClass"): _storage_class,
    ("storage.k8s.io/v1", "CSIDriver"): _csi_driver,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): _role_binding,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): _role_binding,
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"): lambda o: _webhooks(o, True),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"): lambda o: _webhooks(o, False),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"): _crd,
}


def defaulter_for(api_version: str, kind: str) -> Defaulter | None:
    return _DEFAULTERS.get((api_version, kind))


def apply_defaults(obj: dict[str, Any]) -> None:
    """Default ``obj`` in place according to its apiVersion and kind; unknown kinds: no-op."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return
    defaulter = _DEFAULTERS.get((api_version, kind))
    if defaulter is not None:
        defaulter(obj)
