"""Semantic validation of the smaller groups: RBAC, networking, scheduling, autoscaling,
policy, storage and coordination."""

from __future__ import annotations

from typing import Final

from kybernetes.api.validation import field, names
from kybernetes.api.validation.common import (
    Errs,
    Obj,
    d,
    go_struct,
    i,
    lst,
    nonnegative,
    s,
    validate_label_selector,
)
from kybernetes.api.validation.core import SUPPORTED_PORT_PROTOCOLS

_RBAC_GROUP: Final = "rbac.authorization.k8s.io"


# --- RBAC ----------------------------------------------------------------------------------


def _validate_policy_rules(errs: Errs, rules: list[object], path: str) -> None:
    for idx, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        p = f"{path}[{idx}]"
        if not lst(rule, "verbs"):
            errs.append(field.required(p + ".verbs", "verbs must contain at least one value"))
        non_resource = lst(rule, "nonResourceURLs")
        if non_resource:
            if lst(rule, "apiGroups") or lst(rule, "resources") or lst(rule, "resourceNames"):
                errs.append(
                    field.invalid(
                        p + ".nonResourceURLs",
                        go_struct("[]string", non_resource),
                        "rules cannot apply to both regular resources and non-resource URLs",
                    )
                )
            continue
        if not lst(rule, "apiGroups"):
            errs.append(field.required(p + ".apiGroups", "resource rules must supply at least one api group"))
        if not lst(rule, "resources"):
            errs.append(field.required(p + ".resources", "resource rules must supply at least one resource"))


def validate_role(obj: Obj) -> Errs:
    errs: Errs = []
    _validate_policy_rules(errs, lst(obj, "rules"), "rules")
    return errs


def validate_role_binding(obj: Obj) -> Errs:
    errs: Errs = []
    ref = d(obj, "roleRef")
    if s(ref, "apiGroup") != _RBAC_GROUP:
        errs.append(field.not_supported("roleRef.apiGroup", s(ref, "apiGroup"), [_RBAC_GROUP]))
    kinds = ["Role", "ClusterRole"] if obj.get("kind") == "RoleBinding" else ["ClusterRole"]
    kind = s(ref, "kind")
    if kind not in kinds:
        errs.append(field.not_supported("roleRef.kind", kind, kinds))
    name = s(ref, "name")
    if not name:
        errs.append(field.required("roleRef.name", ""))
    else:
        for msg in names.is_valid_path_segment_name(name):
            errs.append(field.invalid("roleRef.name", name, msg))
    for idx, subject in enumerate(lst(obj, "subjects")):
        if not isinstance(subject, dict):
            continue
        p = f"subjects[{idx}]"
        sname = s(subject, "name")
        if not sname:
            errs.append(field.required(p + ".name", ""))
        skind = s(subject, "kind")
        if skind == "ServiceAccount":
            if sname:
                for msg in names.is_dns1123_subdomain(sname):
                    errs.append(field.invalid(p + ".name", sname, msg))
            if s(subject, "apiGroup"):
                errs.append(field.not_supported(p + ".apiGroup", s(subject, "apiGroup"), [""]))
            if not s(subject, "namespace") and obj.get("kind") == "ClusterRoleBinding":
                errs.append(field.required(p + ".namespace", ""))
        elif skind in ("User", "Group"):
            if s(subject, "apiGroup") != _RBAC_GROUP:
                errs.append(field.not_supported(p + ".apiGroup", s(subject, "apiGroup"), [_RBAC_GROUP]))
        else:
            errs.append(field.not_supported(p + ".kind", skind, ["ServiceAccount", "User", "Group"]))
    return errs


def validate_role_binding_update(new: Obj, old: Obj) -> Errs:
    errs = validate_role_binding(new)
    if d(new, "roleRef") != d(old, "roleRef"):
        errs.append(
            field.invalid("roleRef", go_struct("rbac.RoleRef", d(new, "roleRef")), "cannot change roleRef")
        )
    return errs


# --- networking ----------------------------------------------------------------------------


def validate_ingress(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    rules = lst(spec, "rules")
    if not rules and spec.get("defaultBackend") is None:
        errs.append(
            field.invalid(
                "spec.rules",
                go_struct("[]networking.IngressRule", rules),
                "either `defaultBackend` or `rules` must be specified",
            )
        )
    for ri, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        host = s(rule, "host")
        if host:
            check = host[2:] if host.startswith("*.") else host
            for msg in names.is_dns1123_subdomain(check):
                errs.append(field.invalid(f"spec.rules[{ri}].host", host, msg))
        http = rule.get("http")
        if not isinstance(http, dict):
            continue
        paths = lst(http, "paths")
        if not paths:
            errs.append(field.required(f"spec.rules[{ri}].http.paths", ""))
        for pi, path in enumerate(paths):
            if not isinstance(path, dict):
                continue
            p = f"spec.rules[{ri}].http.paths[{pi}]"
            path_type = path.get("pathType")
            if not path_type:
                errs.append(field.required(p + ".pathType", "pathType must be specified"))
            elif path_type not in ("Exact", "ImplementationSpecific", "Prefix"):
                errs.append(
                    field.not_supported(
                        p + ".pathType", path_type, ["Exact", "ImplementationSpecific", "Prefix"]
                    )
                )
            value = s(path, "path")
            if path_type in ("Exact", "Prefix") and not value.startswith("/"):
                errs.append(field.invalid(p + ".path", value, "must be an absolute path"))
            _validate_backend(errs, d(path, "backend"), p + ".backend")
    if spec.get("defaultBackend") is not None:
        _validate_backend(errs, d(spec, "defaultBackend"), "spec.defaultBackend")
    return errs


def _validate_backend(errs: Errs, backend: Obj, path: str) -> None:
    service = backend.get("service")
    resource = backend.get("resource")
    if service is not None and resource is not None:
        errs.append(
            field.invalid(
                path,
                go_struct("networking.IngressBackend", backend),
                "cannot set both resource and service backends",
            )
        )
    elif service is None and resource is None:
        errs.append(
            field.invalid(path, go_struct("networking.IngressBackend", backend), "must specify a backend")
        )
    if isinstance(service, dict):
        name = s(service, "name")
        if not name:
            errs.append(field.required(path + ".service.name", ""))
        else:
            for msg in names.is_dns1035_label(name):
                errs.append(field.invalid(path + ".service.name", name, msg))
        port = d(service, "port")
        has_name, number = bool(s(port, "name")), i(port, "number")
        if has_name and number:
            errs.append(
                field.invalid(
                    path + ".service.port",
                    go_struct("networking.ServiceBackendPort", port),
                    "cannot set both port name & port number",
                )
            )
        elif has_name:
            for msg in names.is_valid_port_name(s(port, "name")):
                errs.append(field.invalid(path + ".service.port.name", s(port, "name"), msg))
        elif number:
            for msg in names.is_valid_port_num(number):
                errs.append(field.invalid(path + ".service.port.number", number, msg))
        else:
            errs.append(field.required(path + ".service.port", "port name or number is required"))


def validate_network_policy(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    validate_label_selector(errs, spec.get("podSelector"), "spec.podSelector")
    for direction, peers_key in (("ingress", "from"), ("egress", "to")):
        for ri, rule in enumerate(lst(spec, direction)):
            if not isinstance(rule, dict):
                continue
            for pi, port in enumerate(lst(rule, "ports")):
                if not isinstance(port, dict):
                    continue
                p = f"spec.{direction}[{ri}].ports[{pi}]"
                proto = s(port, "protocol")
                if proto and proto not in SUPPORTED_PORT_PROTOCOLS:
                    errs.append(field.not_supported(p + ".protocol", proto, SUPPORTED_PORT_PROTOCOLS))
                value = port.get("port")
                if isinstance(value, int) and not isinstance(value, bool):
                    for msg in names.is_valid_port_num(value):
                        errs.append(field.invalid(p + ".port", value, msg))
                elif isinstance(value, str):
                    for msg in names.is_valid_port_name(value):
                        errs.append(field.invalid(p + ".port", value, msg))
            for pi, peer in enumerate(lst(rule, peers_key)):
                if not isinstance(peer, dict):
                    continue
                p = f"spec.{direction}[{ri}].{peers_key}[{pi}]"
                count = sum(
                    1 for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None
                )
                if count == 0:
                    errs.append(field.required(p, "must specify a peer"))
                elif peer.get("ipBlock") is not None and count > 1:
                    errs.append(field.forbidden(p, "may not specify both ipBlock and another peer"))
                validate_label_selector(errs, peer.get("podSelector"), p + ".podSelector")
                validate_label_selector(errs, peer.get("namespaceSelector"), p + ".namespaceSelector")
    for idx, t in enumerate(lst(spec, "policyTypes")):
        if t not in ("Ingress", "Egress"):
            errs.append(field.not_supported(f"spec.policyTypes[{idx}]", t, ["Ingress", "Egress"]))
    return errs


# --- scheduling, autoscaling, policy, storage, coordination ----------------------------------


def validate_priority_class(obj: Obj) -> Errs:
    errs: Errs = []
    name = s(d(obj, "metadata"), "name")
    value = i(obj, "value")
    if name.startswith("system-") and name not in ("system-node-critical", "system-cluster-critical"):
        errs.append(
            field.forbidden("metadata.name", "priority class names with 'system-' prefix are reserved")
        )
    elif value is not None and value > 1_000_000_000 and not name.startswith("system-"):
        errs.append(
            field.forbidden("value", "maximum allowed value of a user defined priority is 1000000000")
        )
    policy = obj.get("preemptionPolicy")
    if policy is not None and policy not in ("Never", "PreemptLowerPriority"):
        errs.append(field.not_supported("preemptionPolicy", policy, ["Never", "PreemptLowerPriority"]))
    return errs


def validate_priority_class_update(new: Obj, old: Obj) -> Errs:
    errs = validate_priority_class(new)
    if new.get("value") != old.get("value"):
        errs.append(field.forbidden("value", "may not be changed in an update."))
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        errs.append(field.invalid("preemptionPolicy", new.get("preemptionPolicy"), "field is immutable"))
    return errs


def validate_hpa(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    ref = d(spec, "scaleTargetRef")
    if not s(ref, "kind"):
        errs.append(field.required("spec.scaleTargetRef.kind", ""))
    if not s(ref, "name"):
        errs.append(field.required("spec.scaleTargetRef.name", ""))
    min_r = i(spec, "minReplicas")
    max_r = i(spec, "maxReplicas") or 0
    if min_r is not None and min_r < 1:
        errs.append(field.invalid("spec.minReplicas", min_r, "must be greater than or equal to 1"))
    if max_r < 1:
        errs.append(field.invalid("spec.maxReplicas", max_r, "must be greater than 0"))
    if min_r is not None and max_r < min_r:
        errs.append(
            field.invalid("spec.maxReplicas", max_r, "must be greater than or equal to `minReplicas`")
        )
    target = i(spec, "targetCPUUtilizationPercentage")
    if target is not None and target < 1:
        errs.append(field.invalid("spec.targetCPUUtilizationPercentage", target, "must be greater than 0"))
    return errs


def validate_pdb(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(
            field.invalid(
                "spec",
                go_struct("policy.PodDisruptionBudgetSpec", spec),
                "minAvailable and maxUnavailable cannot be both set",
            )
        )
    for key in ("minAvailable", "maxUnavailable"):
        value = spec.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            errs.append(field.invalid(f"spec.{key}", value, "must be greater than or equal to 0"))
        elif isinstance(value, str):
            if not value.endswith("%") or not value[:-1].isdigit():
                errs.append(
                    field.invalid(
                        f"spec.{key}",
                        value,
                        names.regex_error(
                            "a valid percent string must be a numeric string followed by an ending '%'",
                            "[0-9]+%",
                            "1%",
                            "93%",
                        ),
                    )
                )
            elif int(value[:-1]) > 100:
                errs.append(field.invalid(f"spec.{key}", value, "must not be greater than 100%"))
    validate_label_selector(errs, spec.get("selector"), "spec.selector")
    return errs


def validate_storage_class(obj: Obj) -> Errs:
    errs: Errs = []
    provisioner = s(obj, "provisioner")
    if not provisioner:
        errs.append(field.required("provisioner", ""))
    else:
        for msg in names.is_qualified_name(provisioner.lower()):
            errs.append(field.invalid("provisioner", provisioner, msg))
    policy = s(obj, "reclaimPolicy")
    if policy and policy not in ("Delete", "Retain"):
        errs.append(field.not_supported("reclaimPolicy", policy, ["Delete", "Retain"]))
    mode = s(obj, "volumeBindingMode")
    if mode and mode not in ("Immediate", "WaitForFirstConsumer"):
        errs.append(field.not_supported("volumeBindingMode", mode, ["Immediate", "WaitForFirstConsumer"]))
    return errs


def validate_storage_class_update(new: Obj, old: Obj) -> Errs:
    errs = validate_storage_class(new)
    for key in ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"):
        if new.get(key) != old.get(key):
            errs.append(field.forbidden(key, "updates to " + key + " are forbidden."))
    return errs


def validate_lease(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    for key in ("leaseDurationSeconds", "leaseTransitions"):
        nonnegative(errs, spec, key, "spec")
    duration = i(spec, "leaseDurationSeconds")
    if duration is not None and duration == 0:
        errs.append(field.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    return errs
