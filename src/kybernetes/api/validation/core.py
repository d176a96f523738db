"""Semantic validation of core/v1 objects (pkg/apis/core/validation), the rules users meet."""

from __future__ import annotations

import json
from typing import Any, Final

from kybernetes.api.validation import field, names
from kybernetes.api.validation.common import (
    Errs,
    Obj,
    d,
    go_string_slice,
    go_struct,
    i,
    immutable,
    lst,
    nonnegative,
    normalized,
    parse_quantity,
    quantity_text,
    s,
    semantic_equal,
    validate_annotations,
    validate_labels,
)

SUPPORTED_PORT_PROTOCOLS: Final = ["SCTP", "TCP", "UDP"]
_RESTART_POLICIES: Final = ["Always", "OnFailure", "Never"]
_DNS_POLICIES: Final = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"]
_PULL_POLICIES: Final = ["Always", "IfNotPresent", "Never"]
_TERMINATION_MESSAGE_POLICIES: Final = ["File", "FallbackToLogsOnError"]
_TOLERATION_OPERATORS: Final = ["Equal", "Exists"]
_TAINT_EFFECTS: Final = ["NoExecute", "NoSchedule", "PreferNoSchedule"]
_ACCESS_MODES: Final = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
_RECLAIM_POLICIES: Final = ["Delete", "Recycle", "Retain"]
_SERVICE_TYPES: Final = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
_MAX_SECRET_SIZE: Final = 1024 * 1024
_STANDARD_FINALIZERS: Final = frozenset({"kubernetes", "orphan", "foregroundDeletion"})
_MAX_INT32: Final = 2**31 - 1

VOLUME_SOURCES: Final = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)
_NOT_PV_SOURCES: Final = frozenset(
    {
        "emptyDir",
        "gitRepo",
        "secret",
        "persistentVolumeClaim",
        "downwardAPI",
        "configMap",
        "projected",
        "ephemeral",
        "image",
    }
)
_PV_SOURCES: Final = (*(v for v in VOLUME_SOURCES if v not in _NOT_PV_SOURCES), "local")

UPDATABLE_POD_SPEC_FIELDS: Final = (
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"
)


def _go_name(key: str) -> str:
    return key[:1].upper() + key[1:]


def spec_diff(type_name: str, old: Any, new: Any) -> str:
    """A short rendering of what differs between two specs, in the shape of cmp.Diff."""
    old_n, new_n = (
        normalized(old if isinstance(old, dict) else {}),
        normalized(new if isinstance(new, dict) else {}),
    )
    lines = [f"  {type_name}{{"]
    for key in sorted(set(old_n) | set(new_n)):
        if old_n.get(key) != new_n.get(key):
            if key in old_n:
                lines.append(f"- \t{_go_name(key)}: {json.dumps(old_n[key], separators=(',', ':'))},")
            if key in new_n:
                lines.append(f"+ \t{_go_name(key)}: {json.dumps(new_n[key], separators=(',', ':'))},")
    lines.append("  }")
    return "\n".join(lines) + "\n"


# --- containers ----------------------------------------------------------------------------


def _validate_ports(errs: Errs, ports: list[Any], path: str) -> None:
    seen: set[str] = set()
    for idx, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        p = f"{path}[{idx}]"
        name = s(port, "name")
        if name:
            msgs = names.is_valid_port_name(name)
            for msg in msgs:
                errs.append(field.invalid(p + ".name", name, msg))
            if not msgs:
                if name in seen:
                    errs.append(field.duplicate(p + ".name", name))
                seen.add(name)
        cport = i(port, "containerPort")
        if cport is None:
            cport = 0
        for msg in names.is_valid_port_num(cport):
            errs.append(field.invalid(p + ".containerPort", cport, msg))
        hport = i(port, "hostPort")
        if hport:
            for msg in names.is_valid_port_num(hport):
                errs.append(field.invalid(p + ".hostPort", hport, msg))
        proto = s(port, "protocol")
        if not proto:
            errs.append(field.required(p + ".protocol", ""))
        elif proto not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(field.not_supported(p + ".protocol", proto, SUPPORTED_PORT_PROTOCOLS))


def _validate_env(errs: Errs, env: list[Any], path: str) -> None:
    for idx, ev in enumerate(env):
        if not isinstance(ev, dict):
            continue
        p = f"{path}[{idx}]"
        name = s(ev, "name")
        if not name:
            errs.append(field.required(p + ".name", ""))
        else:
            for msg in names.is_relaxed_env_var_name(name):
                errs.append(field.invalid(p + ".name", name, msg))
        vf = ev.get("valueFrom")
        if isinstance(vf, dict):
            sources = [
                k
                for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
                if vf.get(k) is not None
            ]
            if s(ev, "value"):
                errs.append(
                    field.invalid(p + ".valueFrom", "", "may not be specified when `value` is not empty")
                )
            if not sources:
                errs.append(
                    field.invalid(
                        p + ".valueFrom",
                        "",
                        "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                    )
                )
            elif len(sources) > 1:
                errs.append(
                    field.invalid(
                        p + ".valueFrom",
                        "",
                        "may not have more than one field specified at a time",
                    )
                )
            for ref_key in ("configMapKeyRef", "secretKeyRef"):
                ref = vf.get(ref_key)
                if isinstance(ref, dict):
                    if not s(ref, "key"):
                        errs.append(field.required(f"{p}.valueFrom.{ref_key}.key", ""))
                    if not s(ref, "name"):
                        errs.append(field.required(f"{p}.valueFrom.{ref_key}.name", ""))
            fref = vf.get("fieldRef")
            if isinstance(fref, dict) and not s(fref, "fieldPath"):
                errs.append(field.required(f"{p}.valueFrom.fieldRef.fieldPath", ""))


def _validate_volume_mounts(errs: Errs, mounts: list[Any], volumes: set[str], path: str) -> None:
    seen_paths: set[str] = set()
    for idx, m in enumerate(mounts):
        if not isinstance(m, dict):
            continue
        p = f"{path}[{idx}]"
        name = s(m, "name")
        if not name:
            errs.append(field.required(p + ".name", ""))
        elif name not in volumes:
            errs.append(field.not_found(p + ".name", name))
        mount_path = s(m, "mountPath")
        if not mount_path:
            errs.append(field.required(p + ".mountPath", ""))
        elif mount_path in seen_paths:
            errs.append(field.invalid(p + ".mountPath", mount_path, "must be unique"))
        seen_paths.add(mount_path)
        sub = s(m, "subPath")
        if sub and (sub.startswith("/") or ".." in sub.split("/")):
            msg = "must be a relative path" if sub.startswith("/") else "must not contain '..'"
            errs.append(field.invalid(p + ".subPath", sub, msg))


def _validate_handler(errs: Errs, handler: Obj, path: str, probe: bool) -> None:
    kinds = ["exec", "httpGet", "tcpSocket"] + (["grpc"] if probe else ["sleep"])
    present = [k for k in kinds if handler.get(k) is not None]
    if not present:
        errs.append(field.required(path, "must specify a handler type"))
    elif len(present) > 1:
        errs.append(field.forbidden(f"{path}.{present[1]}", "may not specify more than 1 handler type"))
    for key in ("httpGet", "tcpSocket"):
        action = handler.get(key)
        if isinstance(action, dict):
            port = action.get("port")
            pp = f"{path}.{key}.port"
            if isinstance(port, int) and not isinstance(port, bool):
                for msg in names.is_valid_port_num(port):
                    errs.append(field.invalid(pp, port, msg))
            elif isinstance(port, str):
                for msg in names.is_valid_port_name(port):
                    errs.append(field.invalid(pp, port, msg))
            else:
                errs.append(field.required(pp, ""))
    http_get = handler.get("httpGet")
    if isinstance(http_get, dict):
        scheme = s(http_get, "scheme")
        if scheme and scheme not in ("HTTP", "HTTPS"):
            errs.append(field.not_supported(f"{path}.httpGet.scheme", scheme, ["HTTP", "HTTPS"]))


def _validate_probe(errs: Errs, probe: Obj, path: str, success_must_be_one: bool) -> None:
    _validate_handler(errs, probe, path, probe=True)
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        nonnegative(errs, probe, key, path)
    tgps = i(probe, "terminationGracePeriodSeconds")
    if tgps is not None and tgps <= 0:
        errs.append(field.invalid(path + ".terminationGracePeriodSeconds", tgps, "must be greater than 0"))
    if success_must_be_one:
        st = i(probe, "successThreshold")
        if st is not None and st != 1:
            errs.append(field.invalid(path + ".successThreshold", st, "must be 1"))


def _is_standard_resource(name: str) -> bool:
    if "/" not in name:
        return name in ("cpu", "memory", "storage", "ephemeral-storage", "pods") or name.startswith(
            "hugepages-"
        )
    return True


def validate_resources(errs: Errs, resources: Obj, path: str) -> None:
    limits = d(resources, "limits")
    requests = d(resources, "requests")
    for kind, values in (("limits", limits), ("requests", requests)):
        for name, q in values.items():
            p = f"{path}.{kind}[{name}]"
            if not _is_standard_resource(name):
                errs.append(field.invalid(p, name, "must be a standard resource type or fully qualified"))
            else:
                for msg in names.is_qualified_name(name):
                    errs.append(field.invalid(p, name, msg))
            value = parse_quantity(q)
            if value is not None and value < 0:
                errs.append(field.invalid(p, quantity_text(q), "must be greater than or equal to 0"))
    for name, q in requests.items():
        if name not in limits:
            continue
        req, lim = parse_quantity(q), parse_quantity(limits[name])
        if req is None or lim is None:
            continue
        overcommit = not name.startswith("hugepages-") and (
            "/" not in name or name.startswith("kubernetes.io/")
        )
        if not overcommit and req != lim:
            errs.append(
                field.invalid(
                    f"{path}.requests",
                    quantity_text(q),
                    f"must be equal to {name} limit of {quantity_text(limits[name])}",
                )
            )
        elif req > lim:
            errs.append(
                field.invalid(
                    f"{path}.requests",
                    quantity_text(q),
                    f"must be less than or equal to {name} limit of {quantity_text(limits[name])}",
                )
            )


def _validate_container(
    errs: Errs, c: Obj, path: str, volumes: set[str], is_pod: bool, init: bool, restart_always_sidecar: bool
) -> None:
    name = s(c, "name")
    if not name:
        errs.append(field.required(path + ".name", ""))
    else:
        for msg in names.is_dns1123_label(name):
            errs.append(field.invalid(path + ".name", name, msg))
    image = s(c, "image")
    if not image:
        errs.append(field.required(path + ".image", ""))
    elif is_pod and image.strip() != image:
        errs.append(field.invalid(path + ".image", image, "must not have leading or trailing whitespace"))
    tmp = s(c, "terminationMessagePolicy")
    if not tmp:
        errs.append(field.required(path + ".terminationMessagePolicy", ""))
    elif tmp not in _TERMINATION_MESSAGE_POLICIES:
        errs.append(
            field.not_supported(path + ".terminationMessagePolicy", tmp, _TERMINATION_MESSAGE_POLICIES)
        )
    policy = s(c, "imagePullPolicy")
    if not policy:
        errs.append(field.required(path + ".imagePullPolicy", ""))
    elif policy not in _PULL_POLICIES:
        errs.append(field.not_supported(path + ".imagePullPolicy", policy, _PULL_POLICIES))
    _validate_ports(errs, lst(c, "ports"), path + ".ports")
    _validate_env(errs, lst(c, "env"), path + ".env")
    _validate_volume_mounts(errs, lst(c, "volumeMounts"), volumes, path + ".volumeMounts")
    validate_resources(errs, d(c, "resources"), path + ".resources")
    if init and not restart_always_sidecar:
        for key in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
            if c.get(key) is not None:
                errs.append(
                    field.forbidden(
                        f"{path}.{key}", "may not be set for init containers without restartPolicy=Always"
                    )
                )
    else:
        for key, must_be_one in (("livenessProbe", True), ("readinessProbe", False), ("startupProbe", True)):
            probe = c.get(key)
            if isinstance(probe, dict):
                _validate_probe(errs, probe, f"{path}.{key}", must_be_one)
        lifecycle = d(c, "lifecycle")
        for hook in ("postStart", "preStop"):
            h = lifecycle.get(hook)
            if isinstance(h, dict):
                _validate_handler(errs, h, f"{path}.lifecycle.{hook}", probe=False)
    crp = c.get("restartPolicy")
    if crp is not None:
        if not init:
            errs.append(field.forbidden(path + ".restartPolicy", "may not be set for non-init containers"))
        elif crp != "Always":
            errs.append(field.not_supported(path + ".restartPolicy", crp, ["Always"]))


# --- volumes -------------------------------------------------------------------------------


def _validate_volumes(errs: Errs, volumes: list[Any], path: str) -> set[str]:
    seen: set[str] = set()
    for idx, v in enumerate(volumes):
        if not isinstance(v, dict):
            continue
        p = f"{path}[{idx}]"
        name = s(v, "name")
        if not name:
            errs.append(field.required(p + ".name", ""))
        else:
            for msg in names.is_dns1123_label(name):
                errs.append(field.invalid(p + ".name", name, msg))
            if name in seen:
                errs.append(field.duplicate(p + ".name", name))
            seen.add(name)
        sources = [k for k in VOLUME_SOURCES if v.get(k) is not None]
        if not sources:
            errs.append(field.required(p, "must specify a volume type"))
        for extra in sources[1:]:
            errs.append(field.forbidden(f"{p}.{extra}", "may not specify more than 1 volume type"))
        required_keys = {
            "secret": "secretName",
            "persistentVolumeClaim": "claimName",
            "hostPath": "path",
            "nfs": "server",
            "csi": "driver",
        }
        for src, key in required_keys.items():
            sv = v.get(src)
            if isinstance(sv, dict) and not s(sv, key):
                errs.append(field.required(f"{p}.{src}.{key}", ""))
        for src in ("secret", "configMap", "downwardAPI", "projected"):
            sv = v.get(src)
            mode = i(sv, "defaultMode") if isinstance(sv, dict) else None
            if mode is not None and not 0 <= mode <= 0o777:
                errs.append(
                    field.invalid(
                        f"{p}.{src}.defaultMode",
                        mode,
                        "must be a number between 0 and 0777 (octal), both inclusive",
                    )
                )
    return seen


# --- tolerations ---------------------------------------------------------------------------


def _validate_tolerations(errs: Errs, tolerations: list[Any], path: str) -> None:
    for idx, t in enumerate(tolerations):
        if not isinstance(t, dict):
            continue
        p = f"{path}[{idx}]"
        key, op, value, effect = s(t, "key"), s(t, "operator"), s(t, "value"), s(t, "effect")
        if key:
            for msg in names.is_qualified_name(key):
                errs.append(field.invalid(p + ".key", key, msg))
        elif op != "Exists":
            errs.append(
                field.invalid(
                    p + ".operator",
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if t.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                field.invalid(
                    p + ".effect", effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"
                )
            )
        if op in ("", "Equal"):
            for msg in names.is_valid_label_value(value):
                errs.append(field.invalid(p + ".operator", value, msg))
        elif op == "Exists":
            if value:
                errs.append(
                    field.invalid(p + ".operator", t, "value must be empty when `operator` is 'Exists'")
                )
        else:
            errs.append(field.not_supported(p + ".operator", op, _TOLERATION_OPERATORS))
        if effect and effect not in _TAINT_EFFECTS:
            errs.append(field.not_supported(p + ".effect", effect, _TAINT_EFFECTS))


# --- pod spec ------------------------------------------------------------------------------


def validate_pod_spec(errs: Errs, spec: Obj, path: str, is_pod: bool) -> None:
    volumes = _validate_volumes(errs, lst(spec, "volumes"), path + ".volumes")
    containers = lst(spec, "containers")
    if not containers:
        errs.append(field.required(path + ".containers", ""))
    names_seen: set[str] = set()
    for key, init in (("initContainers", True), ("containers", False)):
        for idx, c in enumerate(lst(spec, key)):
            if not isinstance(c, dict):
                continue
            p = f"{path}.{key}[{idx}]"
            _validate_container(
                errs, c, p, volumes, is_pod, init, init and c.get("restartPolicy") == "Always"
            )
            name = s(c, "name")
            if name:
                if name in names_seen:
                    errs.append(field.duplicate(p + ".name", name))
                names_seen.add(name)
    restart = spec.get("restartPolicy", "")
    if restart == "" or restart is None:
        errs.append(field.required(path + ".restartPolicy", ""))
    elif restart not in _RESTART_POLICIES:
        errs.append(field.not_supported(path + ".restartPolicy", restart, _RESTART_POLICIES))
    dns = spec.get("dnsPolicy", "")
    if dns == "" or dns is None:
        errs.append(field.required(path + ".dnsPolicy", ""))
    elif dns not in _DNS_POLICIES:
        errs.append(field.not_supported(path + ".dnsPolicy", dns, _DNS_POLICIES))
    if dns == "None" and not d(spec, "dnsConfig").get("nameservers"):
        errs.append(
            field.required(
                path + ".dnsConfig.nameservers",
                "must provide at least one DNS nameserver when `dnsPolicy` is None",
            )
        )
    validate_labels(errs, spec.get("nodeSelector"), path + ".nodeSelector")
    for key in ("serviceAccountName", "nodeName"):
        value = s(spec, key)
        if value:
            for msg in names.is_dns1123_subdomain(value):
                errs.append(field.invalid(f"{path}.{key}", value, msg))
    for key in ("hostname", "subdomain"):
        value = s(spec, key)
        if value:
            for msg in names.is_dns1123_label(value):
                errs.append(field.invalid(f"{path}.{key}", value, msg))
    ads = i(spec, "activeDeadlineSeconds")
    if ads is not None and not 1 <= ads <= _MAX_INT32:
        errs.append(
            field.invalid(
                path + ".activeDeadlineSeconds", ads, f"must be between 1 and {_MAX_INT32}, inclusive"
            )
        )
    _validate_tolerations(errs, lst(spec, "tolerations"), path + ".tolerations")


def validate_pod_template_spec(errs: Errs, template: Any, path: str) -> None:
    if not isinstance(template, dict):
        errs.append(field.required(path, ""))
        return
    meta = d(template, "metadata")
    validate_labels(errs, meta.get("labels"), path + ".metadata.labels")
    validate_annotations(errs, meta.get("annotations"), path + ".metadata.annotations")
    validate_pod_spec(errs, d(template, "spec"), path + ".spec", is_pod=False)


def validate_pod(obj: Obj) -> Errs:
    errs: Errs = []
    validate_pod_spec(errs, d(obj, "spec"), "spec", is_pod=True)
    return errs


def _munge_images(new_list: list[Any], old_list: list[Any]) -> list[Any]:
    out = []
    for n, o in zip(new_list, old_list, strict=False):
        if isinstance(n, dict) and isinstance(o, dict):
            n = dict(n)
            n["image"] = o.get("image")
        out.append(n)
    return out


def validate_pod_update(new: Obj, old: Obj) -> Errs:
    errs: Errs = []
    nspec, ospec = d(new, "spec"), d(old, "spec")
    for key in ("containers", "initContainers"):
        nl, ol = lst(nspec, key), lst(ospec, key)
        if len(nl) != len(ol):
            errs.append(field.forbidden(f"spec.{key}", "pod updates may not add or remove containers"))
            return errs
        for idx, c in enumerate(nl):
            if isinstance(c, dict) and not s(c, "image"):
                errs.append(field.required(f"spec.{key}[{idx}].image", ""))
    validate_pod_spec(errs, nspec, "spec", is_pod=True)
    # tolerations: only additions (and tolerationSeconds changes) are allowed
    new_tols = [t for t in lst(nspec, "tolerations") if isinstance(t, dict)]
    for idx, old_t in enumerate(t for t in lst(ospec, "tolerations") if isinstance(t, dict)):
        base = {k: v for k, v in old_t.items() if k != "tolerationSeconds"}
        if not any({k: v for k, v in t.items() if k != "tolerationSeconds"} == base for t in new_tols):
            errs.append(
                field.forbidden(
                    f"spec.tolerations[{idx}]",
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            )
    nads, oads = i(nspec, "activeDeadlineSeconds"), i(ospec, "activeDeadlineSeconds")
    if nads is not None:
        if oads is not None and oads < nads:
            errs.append(
                field.invalid(
                    "spec.activeDeadlineSeconds", nads, "must be less than or equal to previous value"
                )
            )
    elif oads is not None:
        errs.append(
            field.invalid(
                "spec.activeDeadlineSeconds", None, "must not update from a positive integer to nil value"
            )
        )
    munged = dict(nspec)
    for key in ("containers", "initContainers"):
        if key in munged:
            munged[key] = _munge_images(lst(nspec, key), lst(ospec, key))
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        munged.pop(key, None)
        if key in ospec:
            munged[key] = ospec[key]
    otgps, ntgps = i(ospec, "terminationGracePeriodSeconds"), i(munged, "terminationGracePeriodSeconds")
    if otgps is not None and otgps < 0 and ntgps == 1:
        munged["terminationGracePeriodSeconds"] = otgps
    if not semantic_equal(munged, ospec):
        errs.append(
            field.forbidden(
                "spec",
                f"pod updates may not change fields other than {UPDATABLE_POD_SPEC_FIELDS}\n"
                + spec_diff("core.PodSpec", ospec, munged),
            )
        )
    return errs


def validate_pod_template(obj: Obj) -> Errs:
    errs: Errs = []
    validate_pod_template_spec(errs, obj.get("template"), "template")
    return errs


# --- ReplicationController -----------------------------------------------------------------


def validate_replication_controller(obj: Obj) -> Errs:
    from kybernetes.api.validation.common import go_string_map, selector_matches

    errs: Errs = []
    spec = d(obj, "spec")
    nonnegative(errs, spec, "replicas", "spec")
    nonnegative(errs, spec, "minReadySeconds", "spec")
    selector = {k: v for k, v in d(spec, "selector").items() if isinstance(v, str)}
    if not selector:
        errs.append(field.required("spec.selector", ""))
    else:
        validate_labels(errs, selector, "spec.selector")
    template = spec.get("template")
    if not isinstance(template, dict):
        errs.append(field.required("spec.template", ""))
        return errs
    labels = {k: v for k, v in d(d(template, "metadata"), "labels").items() if isinstance(v, str)}
    if selector and not selector_matches({"matchLabels": selector}, labels):
        errs.append(
            field.invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            )
        )
    validate_pod_template_spec(errs, template, "spec.template")
    rp = s(d(template, "spec"), "restartPolicy")
    if rp != "Always":
        errs.append(field.not_supported("spec.template.spec.restartPolicy", rp, ["Always"]))
    return errs


# --- Service -------------------------------------------------------------------------------


def validate_service(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    svc_type = s(spec, "type")
    headless = s(spec, "clusterIP") == "None"
    if svc_type not in _SERVICE_TYPES:
        if svc_type:
            errs.append(field.not_supported("spec.type", svc_type, _SERVICE_TYPES))
        else:
            errs.append(field.required("spec.type", ""))
    if svc_type == "ExternalName":
        ext = s(spec, "externalName")
        if not ext:
            errs.append(field.required("spec.externalName", ""))
        else:
            for msg in names.is_dns1123_subdomain(ext.rstrip(".") if ext.endswith(".") else ext):
                errs.append(field.invalid("spec.externalName", ext, msg))
        if s(spec, "clusterIP"):
            errs.append(field.forbidden("spec.clusterIP", "may not be set for ExternalName services"))
    ports = lst(spec, "ports")
    if not ports and not headless and svc_type != "ExternalName":
        errs.append(field.required("spec.ports", ""))
    require_name = len(ports) > 1
    port_names: set[str] = set()
    seen_keys: set[tuple[str, int]] = set()
    for idx, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        p = f"spec.ports[{idx}]"
        name = s(port, "name")
        if require_name and not name:
            errs.append(field.required(p + ".name", ""))
        elif name:
            for msg in names.is_dns1123_label(name):
                errs.append(field.invalid(p + ".name", name, msg))
            if name in port_names:
                errs.append(field.duplicate(p + ".name", name))
            port_names.add(name)
        number = i(port, "port") or 0
        for msg in names.is_valid_port_num(number):
            errs.append(field.invalid(p + ".port", number, msg))
        proto = s(port, "protocol")
        if not proto:
            errs.append(field.required(p + ".protocol", ""))
        elif proto not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(field.not_supported(p + ".protocol", proto, SUPPORTED_PORT_PROTOCOLS))
        target = port.get("targetPort")
        if isinstance(target, int) and not isinstance(target, bool):
            for msg in names.is_valid_port_num(target):
                errs.append(field.invalid(p + ".targetPort", target, msg))
        elif isinstance(target, str):
            for msg in names.is_valid_port_name(target):
                errs.append(field.invalid(p + ".targetPort", target, msg))
        node_port = i(port, "nodePort")
        if node_port:
            if svc_type == "ClusterIP":
                errs.append(field.forbidden(p + ".nodePort", "may not be used when `type` is 'ClusterIP'"))
            elif svc_type == "ExternalName":
                errs.append(field.forbidden(p + ".nodePort", "may not be used when `type` is 'ExternalName'"))
            else:
                for msg in names.is_valid_port_num(node_port):
                    errs.append(field.invalid(p + ".nodePort", node_port, msg))
        key = (proto, number)
        if key in seen_keys:
            errs.append(
                field.duplicate(
                    p,
                    go_struct("core.ServicePort", {"protocol": proto, "port": number}),
                )
            )
        seen_keys.add(key)
    validate_labels(errs, spec.get("selector"), "spec.selector")
    affinity = s(spec, "sessionAffinity")
    if not affinity:
        errs.append(field.required("spec.sessionAffinity", ""))
    elif affinity not in ("ClientIP", "None"):
        errs.append(field.not_supported("spec.sessionAffinity", affinity, ["ClientIP", "None"]))
    if headless and svc_type in ("NodePort", "LoadBalancer"):
        errs.append(
            field.invalid("spec.clusterIPs[0]", "None", f"may not be set to 'None' for {svc_type} services")
        )
    etp = s(spec, "externalTrafficPolicy")
    if etp and etp not in ("Cluster", "Local"):
        errs.append(field.not_supported("spec.externalTrafficPolicy", etp, ["Cluster", "Local"]))
    itp = s(spec, "internalTrafficPolicy")
    if itp and itp not in ("Cluster", "Local"):
        errs.append(field.not_supported("spec.internalTrafficPolicy", itp, ["Cluster", "Local"]))
    return errs


def validate_service_update(new: Obj, old: Obj) -> Errs:
    errs = validate_service(new)
    nspec, ospec = d(new, "spec"), d(old, "spec")
    if s(nspec, "type") != "ExternalName" and s(ospec, "type") != "ExternalName":
        old_ips = [x for x in lst(ospec, "clusterIPs") if isinstance(x, str)] or (
            [s(ospec, "clusterIP")] if s(ospec, "clusterIP") else []
        )
        new_ips = [x for x in lst(nspec, "clusterIPs") if isinstance(x, str)] or (
            [s(nspec, "clusterIP")] if s(nspec, "clusterIP") else []
        )
        if old_ips and new_ips and old_ips[0] != new_ips[0]:
            errs.append(
                field.invalid("spec.clusterIPs[0]", go_string_slice(new_ips), "may not change once set")
            )
    return errs


# --- ConfigMap / Secret --------------------------------------------------------------------


def validate_config_map(obj: Obj) -> Errs:
    errs: Errs = []
    data = d(obj, "data")
    binary = d(obj, "binaryData")
    total = 0
    for key, value in data.items():
        for msg in names.is_config_map_key(key):
            errs.append(field.invalid(f"data[{key}]", key, msg))
        if key in binary:
            errs.append(field.invalid(f"data[{key}]", key, "duplicate of key present in binaryData"))
        total += len(value.encode()) if isinstance(value, str) else 0
    for key, value in binary.items():
        for msg in names.is_config_map_key(key):
            errs.append(field.invalid(f"binaryData[{key}]", key, msg))
        if key in data:
            errs.append(field.invalid(f"binaryData[{key}]", key, "duplicate of key present in data"))
        total += len(value) * 3 // 4 if isinstance(value, str) else 0
    if total > _MAX_SECRET_SIZE:
        errs.append(field.too_long("", "", _MAX_SECRET_SIZE))
    return errs


def _immutable_data_update(errs: Errs, new: Obj, old: Obj, keys: tuple[str, ...]) -> None:
    if old.get("immutable") is not True:
        return
    if new.get("immutable") is not True:
        errs.append(field.forbidden("immutable", "field is immutable when `immutable` is set"))
    for key in keys:
        if not semantic_equal(new.get(key), old.get(key)):
            errs.append(field.forbidden(key, "field is immutable when `immutable` is set"))


def validate_config_map_update(new: Obj, old: Obj) -> Errs:
    errs = validate_config_map(new)
    _immutable_data_update(errs, new, old, ("data", "binaryData"))
    return errs


def _secret_data(obj: Obj) -> dict[str, str]:
    out = {k: v for k, v in d(obj, "data").items() if isinstance(v, str)}
    import base64

    for k, v in d(obj, "stringData").items():
        if isinstance(v, str):
            out[k] = base64.b64encode(v.encode()).decode()
    return out


def _decoded(value: str) -> bytes:
    import base64
    import binascii

    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return b""


def validate_secret(obj: Obj) -> Errs:
    errs: Errs = []
    data = _secret_data(obj)
    total = 0
    for key, value in data.items():
        for msg in names.is_config_map_key(key):
            errs.append(field.invalid(f"data[{key}]", key, msg))
        total += len(value) * 3 // 4
    if total > _MAX_SECRET_SIZE:
        errs.append(field.too_long("data", "", _MAX_SECRET_SIZE))
    secret_type = s(obj, "type")
    if secret_type == "kubernetes.io/service-account-token":
        if not s(d(d(obj, "metadata"), "annotations"), "kubernetes.io/service-account.name"):
            errs.append(field.required("metadata.annotations[kubernetes.io/service-account.name]", ""))
    elif secret_type in ("kubernetes.io/dockercfg", "kubernetes.io/dockerconfigjson"):
        key = ".dockercfg" if secret_type == "kubernetes.io/dockercfg" else ".dockerconfigjson"
        if key not in data:
            errs.append(field.required(f"data[{key}]", ""))
        else:
            try:
                parsed = json.loads(_decoded(data[key]) or b"null")
                if not isinstance(parsed, dict):
                    raise ValueError("json: cannot unmarshal into Go value of type map[string]interface {}")
            except ValueError as e:
                errs.append(field.invalid(f"data[{key}]", "<secret contents redacted>", str(e)))
    elif secret_type == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            errs.append(field.required("data[username]", ""))
            errs.append(field.required("data[password]", ""))
    elif secret_type == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            errs.append(field.required("data[ssh-privatekey]", ""))
    elif secret_type == "kubernetes.io/tls":
        if "tls.crt" not in data:
            errs.append(field.required("data[tls.crt]", ""))
        if "tls.key" not in data:
            errs.append(field.required("data[tls.key]", ""))
    return errs


def validate_secret_update(new: Obj, old: Obj) -> Errs:
    errs = validate_secret(new)
    if s(new, "type") != s(old, "type"):
        errs.append(field.invalid("type", s(new, "type"), "field is immutable"))
    _immutable_data_update(errs, new, old, ("data",))
    return errs


# --- Namespace -----------------------------------------------------------------------------


def validate_namespace(obj: Obj) -> Errs:
    errs: Errs = []
    for idx, fin in enumerate(lst(d(obj, "spec"), "finalizers")):
        if not isinstance(fin, str):
            continue
        p = f"spec.finalizers[{idx}]"
        if "/" not in fin:
            if fin not in _STANDARD_FINALIZERS:
                errs.append(
                    field.invalid(
                        p, fin, "name is neither a standard finalizer name nor is it fully qualified"
                    )
                )
        else:
            for msg in names.is_qualified_name(fin):
                errs.append(field.invalid(p, fin, msg))
    return errs


# --- PersistentVolumeClaim / PersistentVolume --------------------------------------------


def _validate_access_modes(errs: Errs, modes: list[Any], path: str) -> None:
    if not modes:
        errs.append(field.required(path, "at least 1 access mode is required"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            errs.append(field.not_supported(path, mode, _ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        errs.append(field.forbidden(path, "may not use ReadWriteOncePod with other access modes"))


def validate_pvc_spec(errs: Errs, spec: Obj, path: str) -> None:
    _validate_access_modes(errs, lst(spec, "accessModes"), path + ".accessModes")
    requests = d(d(spec, "resources"), "requests")
    storage = requests.get("storage")
    if storage is None and spec.get("dataSource") is None and spec.get("dataSourceRef") is None:
        errs.append(field.required(path + ".resources[storage]", ""))
    elif storage is not None:
        q = parse_quantity(storage)
        if q is not None and q <= 0:
            errs.append(
                field.invalid(
                    path + ".resources[storage]", quantity_text(storage), "must be greater than zero"
                )
            )
    mode = s(spec, "volumeMode")
    if mode and mode not in ("Block", "Filesystem"):
        errs.append(field.not_supported(path + ".volumeMode", mode, ["Block", "Filesystem"]))
    sc = spec.get("storageClassName")
    if isinstance(sc, str) and sc:
        for msg in names.is_dns1123_subdomain(sc):
            errs.append(field.invalid(path + ".storageClassName", sc, msg))


def validate_pvc(obj: Obj) -> Errs:
    errs: Errs = []
    validate_pvc_spec(errs, d(obj, "spec"), "spec")
    return errs


def validate_pvc_update(new: Obj, old: Obj) -> Errs:
    errs = validate_pvc(new)
    nspec, ospec = d(new, "spec"), d(old, "spec")
    munged = json.loads(json.dumps(nspec))
    if not s(ospec, "volumeName"):
        munged.pop("volumeName", None)
        if "volumeName" in ospec:
            munged["volumeName"] = ospec["volumeName"]
    bound = s(d(old, "status"), "phase") == "Bound"
    new_storage = d(d(nspec, "resources"), "requests").get("storage")
    old_storage = d(d(ospec, "resources"), "requests").get("storage")
    if bound:
        res = munged.setdefault("resources", {})
        if isinstance(res, dict):
            req = res.setdefault("requests", {})
            if isinstance(req, dict):
                if old_storage is None:
                    req.pop("storage", None)
                else:
                    req["storage"] = old_storage
        munged.pop("volumeAttributesClassName", None)
        if "volumeAttributesClassName" in ospec:
            munged["volumeAttributesClassName"] = ospec["volumeAttributesClassName"]
    if not semantic_equal(munged, ospec):
        errs.append(
            field.forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
                + spec_diff("core.PersistentVolumeClaimSpec", ospec, munged),
            )
        )
    elif bound:
        nq, oq = parse_quantity(new_storage), parse_quantity(old_storage)
        if nq is not None and oq is not None and nq < oq:
            errs.append(
                field.forbidden(
                    "spec.resources.requests.storage", "field can not be less than previous value"
                )
            )
    return errs


def validate_pv(obj: Obj) -> Errs:
    errs: Errs = []
    spec = d(obj, "spec")
    _validate_access_modes(errs, lst(spec, "accessModes"), "spec.accessModes")
    capacity = d(spec, "capacity")
    if "storage" not in capacity:
        errs.append(field.required("spec.capacity", "must specify storage capacity"))
    sources = [k for k in _PV_SOURCES if spec.get(k) is not None]
    if not sources:
        errs.append(field.required("spec", "must specify a volume type"))
    for extra in sources[1:]:
        errs.append(field.forbidden(f"spec.{extra}", "may not specify more than 1 volume type"))
    policy = s(spec, "persistentVolumeReclaimPolicy")
    if policy and policy not in _RECLAIM_POLICIES:
        errs.append(field.not_supported("spec.persistentVolumeReclaimPolicy", policy, _RECLAIM_POLICIES))
    host_path = d(spec, "hostPath")
    if spec.get("hostPath") is not None and not s(host_path, "path"):
        errs.append(field.required("spec.hostPath.path", ""))
    return errs


def validate_pv_update(new: Obj, old: Obj) -> Errs:
    errs = validate_pv(new)
    nspec, ospec = d(new, "spec"), d(old, "spec")
    nsrc = {k: nspec.get(k) for k in _PV_SOURCES if nspec.get(k) is not None}
    osrc = {k: ospec.get(k) for k in _PV_SOURCES if ospec.get(k) is not None}
    if not semantic_equal(nsrc, osrc):
        errs.append(
            field.forbidden(
                "spec.persistentvolumesource",
                "spec.persistentvolumesource is immutable after creation\n"
                + spec_diff("core.PersistentVolumeSource", osrc, nsrc),
            )
        )
    mode_new, mode_old = nspec.get("volumeMode"), ospec.get("volumeMode")
    if mode_old is not None and mode_new != mode_old:
        errs.append(field.invalid("spec.volumeMode", mode_new, "field is immutable"))
    return errs


# --- ServiceAccount, Endpoints, Node, LimitRange, ResourceQuota --------------------------


def validate_endpoints(obj: Obj) -> Errs:
    errs: Errs = []
    for si, subset in enumerate(lst(obj, "subsets")):
        if not isinstance(subset, dict):
            continue
        for pi, port in enumerate(lst(subset, "ports")):
            if not isinstance(port, dict):
                continue
            p = f"subsets[{si}].ports[{pi}]"
            number = i(port, "port") or 0
            for msg in names.is_valid_port_num(number):
                errs.append(field.invalid(p + ".port", number, msg))
            proto = s(port, "protocol")
            if not proto:
                errs.append(field.required(p + ".protocol", ""))
            elif proto not in SUPPORTED_PORT_PROTOCOLS:
                errs.append(field.not_supported(p + ".protocol", proto, SUPPORTED_PORT_PROTOCOLS))
    return errs


def validate_resource_quota(obj: Obj) -> Errs:
    errs: Errs = []
    for key in ("hard",):
        for name, q in d(d(obj, "spec"), key).items():
            value = parse_quantity(q)
            if value is not None and value < 0:
                errs.append(
                    field.invalid(
                        f"spec.{key}[{name}]", quantity_text(q), "must be greater than or equal to 0"
                    )
                )
    return errs


def validate_node_update(new: Obj, old: Obj) -> Errs:
    errs: Errs = []
    ocidr, ncidr = s(d(old, "spec"), "podCIDR"), s(d(new, "spec"), "podCIDR")
    if ocidr and ncidr != ocidr:
        errs.append(
            field.forbidden("spec.podCIDRs", 'node updates may not change podCIDR except from "" to valid')
        )
    oid, nid = s(d(old, "spec"), "providerID"), s(d(new, "spec"), "providerID")
    if oid and nid != oid:
        errs.append(
            field.forbidden(
                "spec.providerID", 'node updates may not change providerID except from "" to valid'
            )
        )
    return errs


def immutable_field(errs: Errs, new: Any, old: Any, path: str) -> None:
    immutable(errs, new, old, path)
