"""Semantic validation of built-in objects, as upstream 1.32's pkg/apis/*/validation.

The apiserver calls, after defaulting:

- :func:`validate_create` for a create,
- :func:`validate_update` for an update of the main resource (``new`` after the registry
  has carried over system fields: uid, creationTimestamp, resourceVersion...),
- :func:`validate_status_update` for the ``/status`` subresource.

Each returns a list of :class:`~kybernetes.api.validation.field.FieldError` with upstream's
field paths and messages; an empty list means valid. Unknown kinds get the metadata rules
only. Namespace presence and the structural checks (:mod:`.structural`) happen elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from kybernetes.api.validation import core, field, other, workloads
from kybernetes.api.validation.common import (
    NameFn,
    name_is_dns1035_label,
    name_is_dns_label,
    name_is_dns_subdomain,
    name_is_path_segment,
    validate_object_meta,
    validate_object_meta_update,
)
from kybernetes.api.validation.field import FieldError

__all__ = ["FieldError", "name_validator", "validate_create", "validate_status_update", "validate_update"]

Obj = dict[str, Any]
CreateFn = Callable[[Obj], list[FieldError]]
UpdateFn = Callable[[Obj, Obj], list[FieldError]]

_NAME_FNS: Final[dict[tuple[str, str], NameFn]] = {
    ("", "Service"): name_is_dns1035_label,
    ("", "Namespace"): name_is_dns_label,
    ("rbac.authorization.k8s.io", "Role"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "ClusterRole"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "RoleBinding"): name_is_path_segment,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): name_is_path_segment,
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"): name_is_path_segment,
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"): name_is_path_segment,
}

_CREATE: Final[dict[tuple[str, str], CreateFn]] = {
    ("", "Pod"): core.validate_pod,
    ("", "PodTemplate"): core.validate_pod_template,
    ("", "ReplicationController"): core.validate_replication_controller,
    ("", "Service"): core.validate_service,
    ("", "ConfigMap"): core.validate_config_map,
    ("", "Secret"): core.validate_secret,
    ("", "Namespace"): core.validate_namespace,
    ("", "PersistentVolumeClaim"): core.validate_pvc,
    ("", "PersistentVolume"): core.validate_pv,
    ("", "Endpoints"): core.validate_endpoints,
    ("", "ResourceQuota"): core.validate_resource_quota,
    ("apps", "Deployment"): workloads.validate_deployment,
    ("apps", "ReplicaSet"): workloads.validate_replica_set,
    ("apps", "StatefulSet"): workloads.validate_stateful_set,
    ("apps", "DaemonSet"): workloads.validate_daemon_set,
    ("batch", "Job"): workloads.validate_job,
    ("batch", "CronJob"): lambda o: (
        workloads.validate_cron_job_create_name(o) + workloads.validate_cron_job(o)
    ),
    ("rbac.authorization.k8s.io", "Role"): other.validate_role,
    ("rbac.authorization.k8s.io", "ClusterRole"): other.validate_role,
    ("rbac.authorization.k8s.io", "RoleBinding"): other.validate_role_binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): other.validate_role_binding,
    ("networking.k8s.io", "Ingress"): other.validate_ingress,
    ("networking.k8s.io", "NetworkPolicy"): other.validate_network_policy,
    ("scheduling.k8s.io", "PriorityClass"): other.validate_priority_class,
    ("autoscaling", "HorizontalPodAutoscaler"): other.validate_hpa,
    ("policy", "PodDisruptionBudget"): other.validate_pdb,
    ("storage.k8s.io", "StorageClass"): other.validate_storage_class,
    ("coordination.k8s.io", "Lease"): other.validate_lease,
}

_UPDATE: Final[dict[tuple[str, str], UpdateFn]] = {
    ("", "Pod"): core.validate_pod_update,
    ("", "Service"): core.validate_service_update,
    ("", "ConfigMap"): core.validate_config_map_update,
    ("", "Secret"): core.validate_secret_update,
    ("", "PersistentVolumeClaim"): core.validate_pvc_update,
    ("", "PersistentVolume"): core.validate_pv_update,
    ("", "Node"): core.validate_node_update,
    ("apps", "Deployment"): workloads.validate_deployment_update,
    ("apps", "ReplicaSet"): workloads.validate_replica_set_update,
    ("apps", "StatefulSet"): workloads.validate_stateful_set_update,
    ("apps", "DaemonSet"): workloads.validate_daemon_set_update,
    ("batch", "Job"): workloads.validate_job_update,
    ("batch", "CronJob"): lambda n, o: workloads.validate_cron_job(n),
    ("rbac.authorization.k8s.io", "RoleBinding"): other.validate_role_binding_update,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): other.validate_role_binding_update,
    ("scheduling.k8s.io", "PriorityClass"): other.validate_priority_class_update,
    ("storage.k8s.io", "StorageClass"): other.validate_storage_class_update,
}


def _group_kind(obj: Obj) -> tuple[str, str]:
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    return group, kind if isinstance(kind, str) else ""


def name_validator(group: str, kind: str) -> NameFn:
    """The metadata.name validator of a kind (DNS-1123 subdomain unless upstream says otherwise)."""
    return _NAME_FNS.get((group, kind), name_is_dns_subdomain)


def validate_create(obj: dict[str, Any]) -> list[FieldError]:
    gk = _group_kind(obj)
    errs: list[FieldError] = []
    validate_object_meta(errs, obj, name_validator(*gk))
    fn = _CREATE.get(gk)
    if fn is not None:
        errs.extend(fn(obj))
    return errs


def validate_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    gk = _group_kind(new)
    errs: list[FieldError] = []
    validate_object_meta_update(errs, new, old)
    update_fn = _UPDATE.get(gk)
    if update_fn is not None:
        errs.extend(update_fn(new, old))
    else:
        create_fn = _CREATE.get(gk)
        if create_fn is not None:
            errs.extend(create_fn(new))
    return errs


def validate_status_update(new: dict[str, Any], old: dict[str, Any]) -> list[FieldError]:
    """Status writes: the metadata rules and a few status invariants."""
    errs: list[FieldError] = []
    validate_object_meta_update(errs, new, old)
    status = new.get("status")
    if isinstance(status, dict):
        for key in (
            "replicas",
            "readyReplicas",
            "availableReplicas",
            "updatedReplicas",
            "observedGeneration",
        ):
            value = status.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                errs.append(field.invalid(f"status.{key}", value, "must be greater than or equal to 0"))
    return errs
