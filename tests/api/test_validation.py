"""Semantic validation: upstream's field paths and messages for the mistakes users make."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.validation import names, validate_create, validate_status_update, validate_update
from kybernetes.api.validation.workloads import cron_schedule_error

SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)


def errors_of(obj: dict[str, Any]) -> list[str]:
    obj = copy.deepcopy(obj)
    apply_defaults(obj)
    return [str(e) for e in validate_create(obj)]


def update_errors(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    return [str(e) for e in validate_update(new, old)]


def pod(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"containers": [{"name": "c", "image": "nginx"}]}
    base.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": base,
    }


def deployment(
    selector: dict[str, str] | None = None, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": selector if selector is not None else {"app": "web"}},
            "template": {
                "metadata": {"labels": labels if labels is not None else {"app": "web"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    apply_defaults(out)
    return out


# --- names -----------------------------------------------------------------------------------


def test_name_validators_messages() -> None:
    assert names.is_dns1123_subdomain("example.com") == []
    assert names.is_dns1123_subdomain("Foo") == [SUBDOMAIN_MSG]
    assert names.is_dns1123_label("a.b") == ["must not contain dots"]
    assert names.is_dns1123_label("x" * 64) == ["must be no more than 63 characters"]
    assert names.is_dns1035_label("1abc") == [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
        "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
        "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    ]
    assert names.is_qualified_name("example.com/MyName") == []
    assert names.is_qualified_name("/x") == ["prefix part must be non-empty"]
    assert names.is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert names.is_valid_label_value("") == []
    assert names.is_valid_label_value("-x") == [
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
        "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
        "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ]
    assert names.is_config_map_key("..x") == ["must not start with '..'"]
    assert names.is_valid_port_name("http") == []
    assert "must contain at least one letter (a-z)" in names.is_valid_port_name("8080")


# --- metadata --------------------------------------------------------------------------------


def test_metadata_errors() -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    assert errors_of(obj) == ["metadata.name: Required value: name or generateName is required"]
    obj["metadata"] = {"name": "Foo"}
    assert errors_of(obj) == [f'metadata.name: Invalid value: "Foo": {SUBDOMAIN_MSG}']
    obj["metadata"] = {"name": "ok", "annotations": {"a": "x" * (256 * 1024)}}
    assert errors_of(obj) == ["metadata.annotations: Too long: may not be more than 262144 bytes"]
    obj["metadata"] = {"generateName": "web-"}
    assert errors_of(obj) == ["metadata.name: Required value: name or generateName is required"]


def test_kind_specific_name_rules() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "1svc"},
        "spec": {"ports": [{"port": 80}]},
    }
    assert errors_of(svc)[0].startswith('metadata.name: Invalid value: "1svc": a DNS-1035 label must consist')
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}
    assert errors_of(ns) == ['metadata.name: Invalid value: "a.b": must not contain dots']
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "system:x"},
    }
    assert errors_of(role) == []
    cj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c" * 53},
        "spec": {
            "schedule": "@hourly",
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}
                    }
                }
            },
        },
    }
    assert errors_of(cj) == [
        f'metadata.name: Invalid value: "{"c" * 53}": must be no more than 52 characters'
    ]


def test_metadata_update_immutability() -> None:
    old = defaulted({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "uid": "1"}})
    new = copy.deepcopy(old)
    new["metadata"]["name"] = "b"
    new["metadata"]["uid"] = "2"
    assert update_errors(new, old) == [
        'metadata.name: Invalid value: "b": field is immutable',
        'metadata.uid: Invalid value: "2": field is immutable',
    ]
    old["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    new = copy.deepcopy(old)
    new["metadata"]["finalizers"] = ["example.com/x"]
    assert update_errors(new, old) == [
        "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, "
        'found new finalizers []string{"example.com/x"}'
    ]


# --- pods ------------------------------------------------------------------------------------


def test_valid_pod() -> None:
    assert errors_of(pod()) == []


def test_pod_common_mistakes() -> None:
    assert errors_of(pod(containers=[])) == ["spec.containers: Required value"]
    errs = errors_of(
        pod(
            containers=[
                {"name": "app", "ports": [{"containerPort": 70000, "protocol": "HTTP"}]},
                {"name": "app", "image": "x", "volumeMounts": [{"name": "missing", "mountPath": "/d"}]},
            ],
            restartPolicy="Sometimes",
        )
    )
    assert errs == [
        "spec.containers[0].image: Required value",
        "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
        'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
        'spec.containers[1].volumeMounts[0].name: Not found: "missing"',
        'spec.containers[1].name: Duplicate value: "app"',
        'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    ]


def test_pod_resources_and_probes() -> None:
    errs = errors_of(
        pod(
            containers=[
                {
                    "name": "c",
                    "image": "x",
                    "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
                    "livenessProbe": {"periodSeconds": 5},
                    "startupProbe": {"exec": {"command": ["true"]}, "successThreshold": 2},
                }
            ]
        )
    )
    assert errs == [
        'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
        "spec.containers[0].livenessProbe: Required value: must specify a handler type",
        "spec.containers[0].startupProbe.successThreshold: Invalid value: 2: must be 1",
    ]


def test_pod_volumes_and_env() -> None:
    errs = errors_of(
        pod(
            containers=[{"name": "c", "image": "x", "env": [{"name": "", "value": "1"}, {"name": "A=B"}]}],
            volumes=[{"name": "v", "emptyDir": {}, "configMap": {"name": "c"}}, {"name": "v", "secret": {}}],
        )
    )
    assert errs == [
        "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type",
        'spec.volumes[1].name: Duplicate value: "v"',
        "spec.volumes[1].secret.secretName: Required value",
        "spec.containers[0].env[0].name: Required value",
        'spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only '
        "of printable ASCII characters other than '='",
    ]


def test_pod_update_forbidden_except_image() -> None:
    old = defaulted(pod())
    new = copy.deepcopy(old)
    new["spec"]["containers"][0]["image"] = "nginx:1.27"
    new["spec"]["activeDeadlineSeconds"] = 100
    new["spec"]["tolerations"] = [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]
    assert update_errors(new, old) == []
    new["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    errs = update_errors(new, old)
    assert len(errs) == 1
    assert errs[0].startswith(
        "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
        "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n"
    )
    assert "Containers" in errs[0]
    more = copy.deepcopy(old)
    more["spec"]["containers"].append({"name": "d", "image": "x"})
    assert update_errors(more, old) == [
        "spec.containers: Forbidden: pod updates may not add or remove containers"
    ]


def test_pod_active_deadline_may_only_shrink() -> None:
    old = defaulted(pod(activeDeadlineSeconds=10))
    new = copy.deepcopy(old)
    new["spec"]["activeDeadlineSeconds"] = 20
    assert update_errors(new, old) == [
        "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value"
    ]


# --- workloads -------------------------------------------------------------------------------


def test_deployment_selector_mismatch() -> None:
    assert errors_of(deployment(labels={"app": "other"})) == [
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"other"}: '
        "`selector` does not match template `labels`"
    ]


def test_deployment_required_and_ranges() -> None:
    dep = deployment()
    del dep["spec"]["selector"]
    dep["spec"]["replicas"] = -1
    dep["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert errors_of(dep) == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.selector: Required value",
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]
    empty = deployment(selector={})
    assert errors_of(empty)[0].startswith(
        "spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string{}, "
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment"
    )


def test_deployment_strategy_switch_to_recreate() -> None:
    old = defaulted(deployment())
    new = copy.deepcopy(old)
    new["spec"]["strategy"]["type"] = "Recreate"
    assert update_errors(new, old) == [
        "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
    ]


def test_selector_is_immutable() -> None:
    old = defaulted(deployment())
    new = defaulted(deployment(selector={"app": "web", "tier": "x"}, labels={"app": "web", "tier": "x"}))
    assert update_errors(new, old) == [
        'spec.selector: Invalid value: &v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"x"}, '
        "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
    ]
    scaled = copy.deepcopy(old)
    scaled["spec"]["replicas"] = 5
    assert update_errors(scaled, old) == []


def test_statefulset_update_forbidden_fields() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": {
                "metadata": {"labels": {"app": "db"}},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }
    old = defaulted(sts)
    assert validate_create(old) == []
    new = copy.deepcopy(old)
    new["spec"]["serviceName"] = "other"
    assert update_errors(new, old) == [
        "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
        "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
    ]


def job(restart: str | None = "Never") -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": "busybox"}]}
    if restart:
        spec["restartPolicy"] = restart
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {"template": {"spec": spec}},
    }


def test_job_restart_policy() -> None:
    assert errors_of(job()) == []
    assert errors_of(job(None)) == [
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'
    ]


def test_job_template_immutable() -> None:
    old = defaulted(job())
    new = copy.deepcopy(old)
    new["spec"]["template"]["spec"]["containers"][0]["image"] = "busybox:2"
    errs = update_errors(new, old)
    assert len(errs) == 1
    assert errs[0].startswith("spec.template: Invalid value: core.PodTemplateSpec")
    assert errs[0].endswith(": field is immutable")


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("*/5 * * * *", None),
        ("0 0 1 jan mon", None),
        ("@daily", None),
        ("* * *", "expected exactly 5 fields, found 3: [* * *]"),
        ("61 * * * *", "end of range (61) above maximum (59): 61"),
        ("@sometimes", "unrecognized descriptor: @sometimes"),
    ],
)
def test_cron_schedules(schedule: str, error: str | None) -> None:
    assert cron_schedule_error(schedule) == error


# --- services --------------------------------------------------------------------------------


def service(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "svc"}, "spec": spec}


def test_service_errors() -> None:
    assert errors_of(service(selector={"app": "x"})) == ["spec.ports: Required value"]
    assert errors_of(service(clusterIP="None")) == []
    errs = errors_of(service(ports=[{"port": 80}, {"port": 80, "nodePort": 30000}], type="Magic"))
    assert errs == [
        'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
        "spec.ports[0].name: Required value",
        "spec.ports[1].name: Required value",
    ] + [e for e in errs if e.startswith("spec.ports[1]: Duplicate value")]
    assert any(e.startswith("spec.ports[1]: Duplicate value") for e in errs)
    errs = errors_of(service(ports=[{"port": 80, "nodePort": 30080}]))
    assert errs == ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]


def test_service_cluster_ip_immutable() -> None:
    old = defaulted(service(ports=[{"port": 80}], clusterIP="10.0.0.10", clusterIPs=["10.0.0.10"]))
    new = copy.deepcopy(old)
    new["spec"]["clusterIP"] = "10.0.0.11"
    new["spec"]["clusterIPs"] = ["10.0.0.11"]
    assert update_errors(new, old) == [
        'spec.clusterIPs[0]: Invalid value: []string{"10.0.0.11"}: may not change once set'
    ]


# --- configmaps and secrets -----------------------------------------------------------------


def test_config_map_keys_and_immutable() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"bad/key": "v"}}
    errs = errors_of(cm)
    assert errs == [
        'data[bad/key]: Invalid value: "bad/key": a valid config key must consist of alphanumeric characters, '
        "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
        "'[-._a-zA-Z0-9]+')"
    ]
    old = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c"},
        "data": {"a": "1"},
        "immutable": True,
    }
    new = copy.deepcopy(old)
    new["data"]["a"] = "2"
    assert update_errors(new, old) == ["data: Forbidden: field is immutable when `immutable` is set"]
    new = copy.deepcopy(old)
    new["immutable"] = False
    assert update_errors(new, old) == ["immutable: Forbidden: field is immutable when `immutable` is set"]


def secret(
    secret_type: str, data: dict[str, str], annotations: dict[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "s"}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": secret_type, "data": data}


def test_secret_types() -> None:
    assert errors_of(secret("kubernetes.io/tls", {"tls.crt": "YQ=="})) == ["data[tls.key]: Required value"]
    assert errors_of(secret("kubernetes.io/dockerconfigjson", {})) == [
        "data[.dockerconfigjson]: Required value"
    ]
    assert errors_of(secret("kubernetes.io/dockerconfigjson", {".dockerconfigjson": "e30="})) == []
    assert errors_of(secret("kubernetes.io/service-account-token", {})) == [
        "metadata.annotations[kubernetes.io/service-account.name]: Required value"
    ]
    assert (
        errors_of(
            secret("kubernetes.io/service-account-token", {}, {"kubernetes.io/service-account.name": "sa"})
        )
        == []
    )
    # stringData counts as data
    sd = secret("kubernetes.io/tls", {})
    sd["stringData"] = {"tls.crt": "c", "tls.key": "k"}
    assert errors_of(sd) == []
    old = defaulted(secret("Opaque", {}))
    new = copy.deepcopy(old)
    new["type"] = "kubernetes.io/tls"
    new["data"] = {"tls.crt": "YQ==", "tls.key": "YQ=="}
    assert update_errors(new, old) == ['type: Invalid value: "kubernetes.io/tls": field is immutable']


# --- storage ---------------------------------------------------------------------------------


def pvc(storage: str = "1Gi", phase: str | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}},
    }
    if phase:
        obj["status"] = {"phase": phase}
    return defaulted(obj)


def test_pvc_rules() -> None:
    bad = pvc()
    bad["spec"] = {"volumeMode": "Filesystem"}
    assert [str(e) for e in validate_create(bad)] == [
        "spec.accessModes: Required value: at least 1 access mode is required",
        "spec.resources[storage]: Required value",
    ]
    old = pvc(phase="Bound")
    grown = pvc("2Gi", phase="Bound")
    assert update_errors(grown, old) == []
    shrunk = pvc("500Mi", phase="Bound")
    assert update_errors(shrunk, old) == [
        "spec.resources.requests.storage: Forbidden: field can not be less than previous value"
    ]
    unbound_old, unbound_new = pvc(), pvc("2Gi")
    errs = update_errors(unbound_new, unbound_old)
    assert len(errs) == 1
    assert errs[0].startswith(
        "spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName "
        "for bound claims"
    )


# --- other groups ----------------------------------------------------------------------------


def test_rbac_and_misc() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [{"resources": ["pods"]}],
    }
    assert errors_of(role) == [
        "rules[0].verbs: Required value: verbs must contain at least one value",
        "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
    ]
    rb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "rb"},
        "roleRef": {"kind": "Role", "name": "r"},
        "subjects": [{"kind": "Robot", "name": "x"}],
    }
    assert errors_of(rb) == [
        'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"'
    ]
    old = defaulted(rb)
    new = copy.deepcopy(old)
    new["roleRef"]["name"] = "other"
    assert any(e.endswith(": cannot change roleRef") for e in update_errors(new, old))
    ing = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i"},
        "spec": {
            "rules": [
                {
                    "http": {
                        "paths": [
                            {"path": "/", "backend": {"service": {"name": "s", "port": {"number": 80}}}}
                        ]
                    }
                }
            ]
        },
    }
    assert errors_of(ing) == [
        "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"
    ]


def test_status_update_checks_metadata_only() -> None:
    old = defaulted(deployment())
    new = copy.deepcopy(old)
    new["status"] = {"replicas": 1}
    assert validate_status_update(new, old) == []
    new["status"] = {"replicas": -1}
    assert [str(e) for e in validate_status_update(new, old)] == [
        "status.replicas: Invalid value: -1: must be greater than or equal to 0"
    ]


def test_unknown_kind_gets_metadata_rules() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"k": "v"}}}
    assert validate_create(obj) == []
