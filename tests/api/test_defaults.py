"""Defaulting of built-in objects equals what upstream 1.32 returns (before admission)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.defaults import apply_defaults
from kybernetes.api.defaults.pod import default_pull_policy, image_tag


def defaulted(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    apply_defaults(out)
    return out


def container(image: str = "nginx:1.25", pull: str = "IfNotPresent", **extra: Any) -> dict[str, Any]:
    c = {
        "name": "c",
        "image": image,
        "imagePullPolicy": pull,
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "resources": {},
    }
    c.update(extra)
    return c


TEMPLATE_SPEC = {
    "containers": [container()],
    "dnsPolicy": "ClusterFirst",
    "restartPolicy": "Always",
    "securityContext": {},
    "terminationGracePeriodSeconds": 30,
    "schedulerName": "default-scheduler",
}


def template(labels: dict[str, str] | None = None, **spec_overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"creationTimestamp": None}
    if labels is not None:
        meta["labels"] = labels
    spec = copy.deepcopy(TEMPLATE_SPEC)
    spec.update(spec_overrides)
    return {"metadata": meta, "spec": spec}


def user_template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    t: dict[str, Any] = {"spec": {"containers": [{"name": "c", "image": "nginx:1.25"}], **spec}}
    if labels is not None:
        t["metadata"] = {"labels": labels}
    return t


@pytest.mark.parametrize(
    ("image", "tag", "policy"),
    [
        ("nginx", "latest", "Always"),
        ("nginx:latest", "latest", "Always"),
        ("nginx:1.25", "1.25", "IfNotPresent"),
        ("localhost:5000/app", "latest", "Always"),
        ("localhost:5000/app:v1", "v1", "IfNotPresent"),
        ("busybox@sha256:" + "a" * 64, "", "IfNotPresent"),
        ("busybox:latest@sha256:" + "a" * 64, "latest", "Always"),
    ],
)
def test_image_pull_policy_from_tag(image: str, tag: str, policy: str) -> None:
    assert image_tag(image) == tag
    assert default_pull_policy(image) == policy


def test_minimal_pod() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    assert defaulted(pod) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "containers": [container("nginx", "Always")],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": True,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    }


def test_pod_nested_defaults() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "c",
                    "image": "app:v1",
                    "ports": [{"containerPort": 80}],
                    "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}},
                    "livenessProbe": {"httpGet": {"port": 8080}},
                    "readinessProbe": {"tcpSocket": {"port": 80}, "periodSeconds": 5},
                    "lifecycle": {"preStop": {"httpGet": {"port": 80, "path": "/stop"}}},
                }
            ],
            "volumes": [
                {"name": "scratch"},
                {"name": "cfg", "configMap": {"name": "cm"}},
                {"name": "sec", "secret": {"secretName": "s", "defaultMode": 256}},
                {"name": "host", "hostPath": {"path": "/tmp"}},
                {"name": "proj", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}},
            ],
        },
    }
    spec = defaulted(pod)["spec"]
    c = spec["containers"][0]
    assert spec["restartPolicy"] == "Never"
    assert c["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert c["env"][0]["valueFrom"]["fieldRef"] == {"apiVersion": "v1", "fieldPath": "metadata.name"}
    # requests default from limits only for the missing keys (Pod only, not templates)
    assert c["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"}
    assert c["livenessProbe"] == {
        "httpGet": {"port": 8080, "path": "/", "scheme": "HTTP"},
        "timeoutSeconds": 1,
        "periodSeconds": 10,
        "successThreshold": 1,
        "failureThreshold": 3,
    }
    assert c["readinessProbe"]["periodSeconds"] == 5
    assert c["lifecycle"]["preStop"]["httpGet"] == {"port": 80, "path": "/stop", "scheme": "HTTP"}
    vols = {v["name"]: v for v in spec["volumes"]}
    assert vols["scratch"] == {"name": "scratch", "emptyDir": {}}
    assert vols["cfg"]["configMap"] == {"name": "cm", "defaultMode": 420}
    assert vols["sec"]["secret"] == {"secretName": "s", "defaultMode": 256}
    assert vols["host"]["hostPath"] == {"path": "/tmp", "type": ""}
    assert vols["proj"]["projected"] == {
        "sources": [{"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}],
        "defaultMode": 420,
    }


def test_host_network_pod_gets_host_ports() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "hostNetwork": True,
            "containers": [{"name": "c", "image": "x:1", "ports": [{"containerPort": 53}]}],
        },
    }
    assert defaulted(pod)["spec"]["containers"][0]["ports"] == [
        {"containerPort": 53, "hostPort": 53, "protocol": "TCP"}
    ]


def test_explicit_values_are_kept() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "enableServiceLinks": False,
            "dnsPolicy": "Default",
            "containers": [{"name": "c", "image": "nginx", "imagePullPolicy": "Never"}],
        },
    }
    spec = defaulted(pod)["spec"]
    assert spec["terminationGracePeriodSeconds"] == 0
    assert spec["enableServiceLinks"] is False
    assert spec["dnsPolicy"] == "Default"
    assert spec["containers"][0]["imagePullPolicy"] == "Never"


def test_minimal_deployment() -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": user_template({"app": "web"})},
    }
    assert defaulted(dep)["spec"] == {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
        "revisionHistoryLimit": 10,
        "progressDeadlineSeconds": 600,
        "template": template({"app": "web"}),
    }
    # no enableServiceLinks in templates: that is a Pod-only default
    assert "enableServiceLinks" not in defaulted(dep)["spec"]["template"]["spec"]


def test_recreate_deployment_gets_no_rolling_update() -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"strategy": {"type": "Recreate"}, "template": user_template()},
    }
    assert defaulted(dep)["spec"]["strategy"] == {"type": "Recreate"}


def test_replica_set() -> None:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "r"},
        "spec": {"template": user_template()},
    }
    spec = defaulted(rs)["spec"]
    assert spec["replicas"] == 1
    assert spec["template"] == template()


def test_minimal_statefulset() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {
            "serviceName": "db",
            "selector": {"matchLabels": {"app": "db"}},
            "template": user_template({"app": "db"}),
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }
    assert defaulted(sts)["spec"] == {
        "serviceName": "db",
        "replicas": 1,
        "selector": {"matchLabels": {"app": "db"}},
        "podManagementPolicy": "OrderedReady",
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "revisionHistoryLimit": 10,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "template": template({"app": "db"}),
        "volumeClaimTemplates": [
            {
                "metadata": {"name": "data", "creationTimestamp": None},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                    "volumeMode": "Filesystem",
                },
                "status": {"phase": "Pending"},
            }
        ],
    }


def test_statefulset_on_delete_has_no_partition() -> None:
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db"},
        "spec": {"updateStrategy": {"type": "OnDelete"}, "template": user_template()},
    }
    assert defaulted(sts)["spec"]["updateStrategy"] == {"type": "OnDelete"}


def test_minimal_daemonset() -> None:
    ds = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent"},
        "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": user_template({"app": "a"})},
    }
    assert defaulted(ds)["spec"] == {
        "selector": {"matchLabels": {"app": "a"}},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "revisionHistoryLimit": 10,
        "template": template({"app": "a"}),
    }


def test_minimal_job() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "pi"},
        "spec": {"template": user_template({"app": "pi"}, restartPolicy="Never")},
    }
    out = defaulted(job)
    assert out["metadata"] == {"name": "pi", "labels": {"app": "pi"}}
    assert out["spec"] == {
        "completions": 1,
        "parallelism": 1,
        "backoffLimit": 6,
        "completionMode": "NonIndexed",
        "suspend": False,
        "podReplacementPolicy": "TerminatingOrFailed",
        "template": template({"app": "pi"}, restartPolicy="Never"),
    }


def test_job_parallelism_only_and_failure_policy() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "w"},
        "spec": {
            "parallelism": 3,
            "backoffLimitPerIndex": 1,
            "podFailurePolicy": {
                "rules": [{"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}]
            },
            "template": user_template(restartPolicy="Never"),
        },
    }
    spec = defaulted(job)["spec"]
    assert "completions" not in spec
    assert spec["parallelism"] == 3
    assert spec["backoffLimit"] == 2**31 - 1
    assert spec["podReplacementPolicy"] == "Failed"
    assert spec["podFailurePolicy"]["rules"][0]["onPodConditions"] == [
        {"type": "DisruptionTarget", "status": "True"}
    ]


def test_minimal_cronjob() -> None:
    cj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "hello"},
        "spec": {
            "schedule": "* * * * *",
            "jobTemplate": {"spec": {"template": user_template(restartPolicy="OnFailure")}},
        },
    }
    assert defaulted(cj)["spec"] == {
        "schedule": "* * * * *",
        "concurrencyPolicy": "Allow",
        "suspend": False,
        "successfulJobsHistoryLimit": 3,
        "failedJobsHistoryLimit": 1,
        "jobTemplate": {
            "metadata": {"creationTimestamp": None},
            # the Job defaults (backoffLimit...) are not applied inside a CronJob
            "spec": {"template": template(restartPolicy="OnFailure")},
        },
    }


def test_replication_controller_selector_and_labels_from_template() -> None:
    rc = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "rc"},
        "spec": {"template": user_template({"app": "x"})},
    }
    out = defaulted(rc)
    assert out["metadata"]["labels"] == {"app": "x"}
    assert out["spec"]["selector"] == {"app": "x"}
    assert out["spec"]["replicas"] == 1


def test_minimal_service() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"app": "web"},
            "ports": [{"port": 80}, {"name": "x", "port": 8443, "targetPort": "https"}],
        },
    }
    assert defaulted(svc)["spec"] == {
        "selector": {"app": "web"},
        "ports": [
            {"port": 80, "protocol": "TCP", "targetPort": 80},
            {"name": "x", "port": 8443, "protocol": "TCP", "targetPort": "https"},
        ],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilyPolicy": "SingleStack",
    }


def test_load_balancer_and_node_port_services() -> None:
    lb = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "lb"},
        "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]},
    }
    spec = defaulted(lb)["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert spec["allocateLoadBalancerNodePorts"] is True
    np = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "np"},
        "spec": {"type": "NodePort", "ports": [{"port": 80}]},
    }
    spec = defaulted(np)["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster"
    assert "allocateLoadBalancerNodePorts" not in spec
    ext = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "e"},
        "spec": {"type": "ExternalName", "externalName": "a.b"},
    }
    spec = defaulted(ext)["spec"]
    assert "internalTrafficPolicy" not in spec and "ipFamilyPolicy" not in spec


def test_client_ip_affinity_gets_timeout() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"sessionAffinity": "ClientIP", "ports": [{"port": 1}]},
    }
    assert defaulted(svc)["spec"]["sessionAffinityConfig"] == {"clientIP": {"timeoutSeconds": 10800}}


def test_secret_namespace_pv_pvc() -> None:
    assert defaulted({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})["type"] == "Opaque"
    ns = defaulted({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "dev"}})
    assert ns == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "dev", "labels": {"kubernetes.io/metadata.name": "dev"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }
    pv = defaulted(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": "pv"},
            "spec": {"hostPath": {"path": "/d"}},
        }
    )
    assert pv["spec"] == {
        "hostPath": {"path": "/d", "type": ""},
        "persistentVolumeReclaimPolicy": "Retain",
        "volumeMode": "Filesystem",
    }
    assert pv["status"] == {"phase": "Pending"}
    pvc = defaulted(
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "spec": {}}
    )
    assert pvc["spec"] == {"volumeMode": "Filesystem"}
    assert pvc["status"] == {"phase": "Pending"}


def test_other_groups() -> None:
    pc = defaulted(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "hi"},
            "value": 10,
        }
    )
    assert pc["preemptionPolicy"] == "PreemptLowerPriority"
    sc = defaulted(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "l"},
            "provisioner": "x",
        }
    )
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    rb = defaulted(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "rb"},
            "roleRef": {"kind": "Role", "name": "r"},
            "subjects": [
                {"kind": "User", "name": "u"},
                {"kind": "ServiceAccount", "name": "sa", "namespace": "n"},
            ],
        }
    )
    assert rb["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert rb["subjects"][0]["apiGroup"] == "rbac.authorization.k8s.io"
    assert rb["subjects"][1]["apiGroup"] == ""
    np = defaulted(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "n"},
            "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]},
        }
    )
    assert np["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert np["spec"]["egress"][0]["ports"][0]["protocol"] == "TCP"
    hpa = defaulted(
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "h"},
            "spec": {"maxReplicas": 3, "scaleTargetRef": {"kind": "Deployment", "name": "d"}},
        }
    )
    assert hpa["spec"]["minReplicas"] == 1
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization",
        "averageUtilization": 80,
    }
    assert "behavior" not in hpa["spec"]
    eps = defaulted(
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "addressType": "IPv4",
            "ports": [{"port": 80}],
        }
    )
    assert eps["ports"] == [{"port": 80, "name": "", "protocol": "TCP"}]


def test_unknown_kinds_are_left_alone() -> None:
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "spec": {}}
    assert defaulted(obj) == obj
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert defaulted(cm) == cm


def test_defaulting_is_idempotent() -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": user_template({"app": "web"})},
    }
    once = defaulted(dep)
    assert defaulted(once) == once
