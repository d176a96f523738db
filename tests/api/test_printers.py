"""Server-side printing (meta.k8s.io/v1 Table), checked against upstream printers.go behaviour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kybernetes.api.printers import (
    TableOptionsError,
    column_definitions,
    has_printer,
    pod_status_reason,
    table_for,
    table_for_custom_resource,
)
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.timeutil import format_time, human_duration, parse_time, translate_timestamp_since

NOW = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def ago(**kw: float) -> str:
    return format_time(NOW - timedelta(**kw))


def res(group: str, kind: str, resource: str, namespaced: bool = True, version: str = "v1") -> ResourceInfo:
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        singular=kind.lower(),
        namespaced=namespaced,
    )


PODS = res("", "Pod", "pods")


def table(r: ResourceInfo, *objs: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return table_for(r, list(objs), now=NOW, **kw)


def cells(r: ResourceInfo, obj: dict[str, Any]) -> list[Any]:
    out: list[Any] = table(r, obj)["rows"][0]["cells"]
    return out


def col_names(t: dict[str, Any]) -> list[str]:
    return [c["name"] for c in t["columnDefinitions"]]


# -- human durations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "want"),
    [
        (1, "1s"),
        (70, "70s"),
        (190, "3m10s"),
        (300, "5m"),
        (70 * 60, "70m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 1800, "3h30m"),
        (47 * 3600, "47h"),
        (49 * 3600, "2d1h"),
        ((8 * 24 + 2) * 3600, "8d"),
        (367 * 24 * 3600, "367d"),
        ((365 * 2 * 24 + 25) * 3600, "2y1d"),
        ((365 * 8 * 24 + 2) * 3600, "8y"),
        (-1, "0s"),
        (-2, "<invalid>"),
        (0.5, "0s"),
    ],
)
def test_human_duration(seconds: float, want: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == want
    assert human_duration(seconds) == want


def test_time_helpers() -> None:
    assert parse_time("2024-06-01T12:00:00Z") == NOW
    assert parse_time("2024-06-01T12:00:00.123456789Z") == NOW.replace(microsecond=123456)
    assert parse_time("") is None
    assert parse_time("garbage") is None
    assert translate_timestamp_since(None, NOW) == "<unknown>"
    assert translate_timestamp_since(ago(minutes=5), NOW) == "5m"


# -- pods ----------------------------------------------------------------------------------


def pod(
    name: str = "web",
    *,
    phase: str = "Running",
    statuses: list[dict[str, Any]] | None = None,
    init_statuses: list[dict[str, Any]] | None = None,
    containers: int = 1,
    init_containers: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    deletion: bool = False,
    reason: str | None = None,
    **status_extra: Any,
) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": "default", "creationTimestamp": ago(minutes=10)}
    if deletion:
        md["deletionTimestamp"] = ago(seconds=5)
    status: dict[str, Any] = {"phase": phase, **status_extra}
    if statuses is not None:
        status["containerStatuses"] = statuses
    if init_statuses is not None:
        status["initContainerStatuses"] = init_statuses
    if conditions is not None:
        status["conditions"] = conditions
    if reason:
        status["reason"] = reason
    spec: dict[str, Any] = {"containers": [{"name": f"c{i}", "image": "busybox"} for i in range(containers)]}
    if init_containers is not None:
        spec["initContainers"] = init_containers
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": status}


RUNNING = {
    "name": "c0",
    "ready": True,
    "restartCount": 0,
    "state": {"running": {"startedAt": ago(minutes=9)}},
}


def test_pod_columns() -> None:
    t = table(PODS, pod())
    assert col_names(t) == [
        "Name",
        "Ready",
        "Status",
        "Restarts",
        "Age",
        "IP",
        "Node",
        "Nominated Node",
        "Readiness Gates",
    ]
    cols = t["columnDefinitions"]
    assert cols[0]["format"] == "name" and cols[0]["description"].startswith("Name must be unique")
    assert [c["priority"] for c in cols] == [0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert cols[3]["type"] == "string"
    assert t["kind"] == "Table" and t["apiVersion"] == "meta.k8s.io/v1"


def test_running_pod() -> None:
    p = pod(statuses=[RUNNING], podIP="10.42.0.7", podIPs=[{"ip": "10.42.0.7"}])
    p["spec"]["nodeName"] = "node-a"
    assert cells(PODS, p) == ["web", "1/1", "Running", "0", "10m", "10.42.0.7", "node-a", "<none>", "<none>"]


def test_pending_pod() -> None:
    assert cells(PODS, pod(phase="Pending"))[:5] == ["web", "0/1", "Pending", "0", "10m"]
    assert cells(PODS, pod(phase="Pending"))[5:] == ["<none>", "<none>", "<none>", "<none>"]


def test_container_creating_and_crash_loop() -> None:
    creating = pod(
        phase="Pending",
        statuses=[
            {
                "name": "c0",
                "ready": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}},
            }
        ],
    )
    assert cells(PODS, creating)[1:4] == ["0/1", "ContainerCreating", "0"]
    crash = pod(
        statuses=[
            {
                "name": "c0",
                "ready": False,
                "restartCount": 3,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": ago(minutes=5)}},
            }
        ]
    )
    assert cells(PODS, crash)[1:4] == ["0/1", "CrashLoopBackOff", "3 (5m ago)"]


def test_completed_and_failed_pods_have_row_conditions() -> None:
    done = pod(
        phase="Succeeded",
        statuses=[
            {
                "name": "c0",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed"}},
            }
        ],
    )
    row = table(PODS, done)["rows"][0]
    assert row["cells"][1:3] == ["0/1", "Completed"]
    assert row["conditions"] == [
        {
            "type": "Completed",
            "status": "True",
            "reason": "Succeeded",
            "message": "The pod has completed successfully.",
        }
    ]
    oom = pod(
        phase="Failed",
        statuses=[
            {
                "name": "c0",
                "ready": False,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}},
            }
        ],
    )
    row = table(PODS, oom)["rows"][0]
    assert row["cells"][2] == "OOMKilled"
    assert row["conditions"][0]["reason"] == "Failed"
    no_reason = pod(
        phase="Failed",
        statuses=[{"name": "c0", "state": {"terminated": {"exitCode": 2}}}],
    )
    assert cells(PODS, no_reason)[2] == "ExitCode:2"
    signal = pod(
        phase="Failed", statuses=[{"name": "c0", "state": {"terminated": {"exitCode": 0, "signal": 9}}}]
    )
    assert cells(PODS, signal)[2] == "Signal:9"
    assert "conditions" not in table(PODS, pod(statuses=[RUNNING]))["rows"][0]


def test_running_with_one_container_completed() -> None:
    statuses = [
        {"name": "c0", "ready": False, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        RUNNING | {"name": "c1"},
    ]
    ready = [{"type": "Ready", "status": "True"}]
    # containers are walked from the last one: the first container's "Completed" wins, then is
    # changed back because another container still runs
    assert cells(PODS, pod(statuses=statuses, containers=2, conditions=ready))[1:3] == ["1/2", "Running"]
    assert cells(PODS, pod(statuses=statuses, containers=2))[2] == "NotReady"


def test_init_container_states() -> None:
    inits = [{"name": "i0", "image": "x"}, {"name": "i1", "image": "x"}]
    waiting_first = pod(
        phase="Pending",
        init_containers=inits,
        init_statuses=[
            {"name": "i0", "state": {"running": {}}},
            {"name": "i1", "state": {"waiting": {"reason": "PodInitializing"}}},
        ],
    )
    assert cells(PODS, waiting_first)[2] == "Init:0/2"
    second = pod(
        phase="Pending",
        init_containers=inits,
        init_statuses=[
            {"name": "i0", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
            {"name": "i1", "state": {"running": {}}},
        ],
    )
    assert cells(PODS, second)[2] == "Init:1/2"
    crash = pod(
        phase="Pending",
        init_containers=inits,
        init_statuses=[
            {"name": "i0", "restartCount": 4, "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
        ],
    )
    assert cells(PODS, crash)[2:4] == ["Init:CrashLoopBackOff", "4"]
    failed = pod(
        phase="Pending",
        init_containers=inits,
        init_statuses=[{"name": "i0", "state": {"terminated": {"exitCode": 3}}}],
    )
    assert cells(PODS, failed)[2] == "Init:ExitCode:3"
    errored = pod(
        phase="Pending",
        init_containers=inits,
        init_statuses=[{"name": "i0", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}],
    )
    assert cells(PODS, errored)[2] == "Init:Error"


def test_sidecar_init_container_counts_as_container() -> None:
    p = pod(
        init_containers=[{"name": "side", "image": "x", "restartPolicy": "Always"}],
        init_statuses=[
            {"name": "side", "ready": True, "started": True, "restartCount": 2, "state": {"running": {}}}
        ],
        statuses=[RUNNING],
        conditions=[{"type": "Initialized", "status": "True"}],
    )
    assert cells(PODS, p)[1:4] == ["2/2", "Running", "2"]


def test_terminating_unknown_and_gated_pods() -> None:
    assert cells(PODS, pod(statuses=[RUNNING], deletion=True))[2] == "Terminating"
    # a pod in a terminal phase keeps its status while being deleted
    assert cells(PODS, pod(phase="Succeeded", deletion=True))[2] == "Succeeded"
    assert cells(PODS, pod(deletion=True, reason="NodeLost"))[2] == "Unknown"
    assert cells(PODS, pod(phase="Failed", reason="Evicted"))[2] == "Evicted"
    gated = pod(
        phase="Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]
    )
    assert cells(PODS, gated)[2] == "SchedulingGated"
    assert pod_status_reason(gated) == "SchedulingGated"


def test_pod_wide_columns() -> None:
    p = pod(statuses=[RUNNING], nominatedNodeName="node-b")
    p["spec"]["readinessGates"] = [{"conditionType": "a"}, {"conditionType": "b"}]
    p["status"]["conditions"] = [{"type": "a", "status": "True"}, {"type": "b", "status": "False"}]
    assert cells(PODS, p)[5:] == ["<none>", "<none>", "node-b", "1/2"]


# -- include object, metadata, headers ---------------------------------------------------------


def test_include_object_modes() -> None:
    p = pod(statuses=[RUNNING])
    meta_row = table(PODS, p)["rows"][0]["object"]
    assert meta_row == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": p["metadata"],
    }
    full = table(PODS, p, include_object="Object")["rows"][0]["object"]
    assert full == p
    assert table(PODS, p, include_object="None")["rows"][0]["object"] is None
    assert table(PODS, p, include_object="")["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    with pytest.raises(TableOptionsError) as exc:
        table(PODS, p, include_object="Everything")
    assert str(exc.value) == 'unrecognized includeObject value: "Everything"'


def test_table_metadata_and_no_headers() -> None:
    t = table(PODS, list_meta={"resourceVersion": "42", "continue": "abc", "remainingItemCount": 3})
    assert t["metadata"] == {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 3}
    assert t["rows"] == []
    assert table(PODS)["metadata"] == {}
    assert table(PODS, pod(), no_headers=True)["columnDefinitions"] is None


# -- workloads ----------------------------------------------------------------------------------


def template(*images: str) -> dict[str, Any]:
    return {"spec": {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]}}


def test_deployment() -> None:
    d = {
        "metadata": {"name": "web", "creationTimestamp": ago(days=2, hours=3)},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": template("nginx", "envoy"),
        },
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    t = table(res("apps", "Deployment", "deployments"), d)
    assert col_names(t) == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    assert t["rows"][0]["cells"] == ["web", "2/3", 3, 2, "2d3h", "c0,c1", "nginx,envoy", "app=web"]


def test_replica_set_stateful_set_daemon_set() -> None:
    rs = {
        "metadata": {"name": "web-5d4", "creationTimestamp": ago(hours=1)},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": template("nginx")},
        "status": {"replicas": 2, "readyReplicas": 1},
    }
    assert cells(res("apps", "ReplicaSet", "replicasets"), rs) == [
        "web-5d4",
        2,
        2,
        1,
        "60m",
        "c0",
        "nginx",
        "app=web",
    ]
    sts = {
        "metadata": {"name": "db", "creationTimestamp": ago(seconds=30)},
        "spec": {"replicas": 3, "template": template("postgres")},
        "status": {"readyReplicas": 3},
    }
    assert cells(res("apps", "StatefulSet", "statefulsets"), sts) == ["db", "3/3", "30s", "c0", "postgres"]
    ds = {
        "metadata": {"name": "agent", "creationTimestamp": ago(minutes=3)},
        "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": template("agent")},
        "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 2},
    }
    assert cells(res("apps", "DaemonSet", "daemonsets"), ds) == [
        "agent",
        2,
        2,
        2,
        0,
        0,
        "<none>",
        "3m",
        "c0",
        "agent",
        "a=b",
    ]


def job(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "pi", "creationTimestamp": ago(minutes=4)},
        "spec": {
            "completions": 1,
            "parallelism": 1,
            "template": template("perl"),
            "selector": {"matchLabels": {"j": "1"}},
        },
        "status": status,
    }


JOBS = res("batch", "Job", "jobs")


def test_jobs() -> None:
    t = table(JOBS, job())
    assert col_names(t) == [
        "Name",
        "Status",
        "Completions",
        "Duration",
        "Age",
        "Containers",
        "Images",
        "Selector",
    ]
    assert t["rows"][0]["cells"] == ["pi", "Running", "0/1", "", "4m", "c0", "perl", "j=1"]
    running = job(startTime=ago(minutes=3), active=1)
    assert cells(JOBS, running)[1:4] == ["Running", "0/1", "3m"]
    complete = job(
        startTime=ago(minutes=3),
        completionTime=ago(minutes=2, seconds=30),
        succeeded=1,
        conditions=[{"type": "SuccessCriteriaMet", "status": "True"}, {"type": "Complete", "status": "True"}],
    )
    assert cells(JOBS, complete)[1:4] == ["Complete", "1/1", "30s"]
    failed = job(
        conditions=[{"type": "FailureTarget", "status": "True"}, {"type": "Failed", "status": "True"}]
    )
    assert cells(JOBS, failed)[1] == "Failed"
    assert cells(JOBS, job(conditions=[{"type": "Suspended", "status": "True"}]))[1] == "Suspended"
    assert cells(JOBS, job(conditions=[{"type": "FailureTarget", "status": "True"}]))[1] == "FailureTarget"
    no_completions = job(succeeded=2)
    no_completions["spec"] = {"parallelism": 3, "template": template("x")}
    assert cells(JOBS, no_completions)[2] == "2/1 of 3"


def test_cron_job() -> None:
    cj = {
        "metadata": {"name": "hello", "creationTimestamp": ago(hours=5)},
        "spec": {
            "schedule": "*/5 * * * *",
            "suspend": False,
            "jobTemplate": {"spec": {"template": template("busybox")}},
        },
        "status": {"active": [{"name": "hello-1"}], "lastScheduleTime": ago(minutes=2)},
    }
    t = table(res("batch", "CronJob", "cronjobs"), cj)
    assert col_names(t)[:7] == ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"]
    assert t["rows"][0]["cells"] == [
        "hello",
        "*/5 * * * *",
        "<none>",
        "False",
        1,
        "2m",
        "5h",
        "c0",
        "busybox",
        "<none>",
    ]


# -- services and networking ------------------------------------------------------------------------

SVCS = res("", "Service", "services")


def svc(type_: str, **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "creationTimestamp": ago(days=1)},
        "spec": {"type": type_, **spec},
        "status": spec.pop("_status", {}),
    }


def test_services() -> None:
    cluster_ip = svc(
        "ClusterIP",
        clusterIP="10.43.0.10",
        clusterIPs=["10.43.0.10"],
        ports=[{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
        selector={"app": "web"},
    )
    assert cells(SVCS, cluster_ip) == [
        "web",
        "ClusterIP",
        "10.43.0.10",
        "<none>",
        "80/TCP,53/UDP",
        "24h",
        "app=web",
    ]
    node_port = svc(
        "NodePort", clusterIPs=["10.43.0.11"], ports=[{"port": 80, "nodePort": 30080, "protocol": "TCP"}]
    )
    assert cells(SVCS, node_port)[2:5] == ["10.43.0.11", "<none>", "80:30080/TCP"]
    pending = svc(
        "LoadBalancer", clusterIPs=["10.43.0.12"], ports=[{"port": 443, "nodePort": 31000, "protocol": "TCP"}]
    )
    assert cells(SVCS, pending)[3] == "<pending>"
    lb = svc("LoadBalancer", clusterIPs=["10.43.0.12"], externalIPs=["1.2.3.4"])
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "192.168.1.20"}, {"hostname": "lb.example.com"}]}}
    assert cells(SVCS, lb)[3] == "192.168.1.20,lb.example.com,1.2.3.4"
    headless = svc("ClusterIP", clusterIP="None", clusterIPs=["None"])
    assert cells(SVCS, headless)[2:5] == ["None", "<none>", "<none>"]
    external = svc("ExternalName", externalName="example.com")
    assert cells(SVCS, external)[2:4] == ["<none>", "example.com"]


def test_endpoints_and_slices() -> None:
    ep = {
        "metadata": {"name": "web", "creationTimestamp": ago(minutes=1)},
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.2"}, {"ip": "fd00::3"}, {"ip": "10.0.0.4"}],
                "ports": [{"port": 80}],
            }
        ],
    }
    assert cells(res("", "Endpoints", "endpoints"), ep) == [
        "web",
        "10.0.0.1:80,10.0.0.2:80,[fd00::3]:80 + 1 more...",
        "60s",
    ]
    assert cells(res("", "Endpoints", "endpoints"), {"metadata": {"name": "x"}})[1] == "<none>"
    es = {
        "metadata": {"name": "web-abc", "creationTimestamp": ago(minutes=1)},
        "addressType": "IPv4",
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}],
    }
    assert cells(res("discovery.k8s.io", "EndpointSlice", "endpointslices"), es) == [
        "web-abc",
        "IPv4",
        "80",
        "10.0.0.1,10.0.0.2",
        "60s",
    ]
    empty = {"metadata": {"name": "e"}, "addressType": "IPv4"}
    assert cells(res("discovery.k8s.io", "EndpointSlice", "endpointslices"), empty)[2:4] == [
        "<unset>",
        "<unset>",
    ]


def test_ingress_and_class() -> None:
    ing = {
        "metadata": {"name": "web", "creationTimestamp": ago(minutes=1)},
        "spec": {
            "ingressClassName": "traefik",
            "rules": [{"host": "a.example.com"}, {}],
            "tls": [{"hosts": ["a"]}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}},
    }
    assert cells(res("networking.k8s.io", "Ingress", "ingresses"), ing) == [
        "web",
        "traefik",
        "a.example.com",
        "10.0.0.9",
        "80, 443",
        "60s",
    ]
    ic = {
        "metadata": {"name": "traefik", "creationTimestamp": ago(minutes=1)},
        "spec": {
            "controller": "traefik.io/ingress-controller",
            "parameters": {"apiGroup": "k8s.example.com", "kind": "IngressParameters", "name": "p"},
        },
    }
    assert cells(res("networking.k8s.io", "IngressClass", "ingressclasses", False), ic)[1:3] == [
        "traefik.io/ingress-controller",
        "IngressParameters.k8s.example.com/p",
    ]
    np_ = {"metadata": {"name": "deny"}, "spec": {"podSelector": {}}}
    assert cells(res("networking.k8s.io", "NetworkPolicy", "networkpolicies"), np_)[1] == "<none>"


# -- cluster objects ---------------------------------------------------------------------------------


def test_nodes() -> None:
    node = {
        "metadata": {
            "name": "node-a",
            "creationTimestamp": ago(days=3),
            "labels": {
                "node-role.kubernetes.io/control-plane": "",
                "node-role.kubernetes.io/master": "",
                "kubernetes.io/role": "etcd",
            },
        },
        "spec": {"unschedulable": True},
        "status": {
            "conditions": [
                {"type": "MemoryPressure", "status": "False"},
                {"type": "Ready", "status": "True"},
            ],
            "addresses": [
                {"type": "InternalIP", "address": "192.168.0.2"},
                {"type": "Hostname", "address": "node-a"},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.32.0",
                "osImage": "Debian GNU/Linux 12",
                "kernelVersion": "6.1.0",
                "containerRuntimeVersion": "kybernetes://0.1.0",
            },
        },
    }
    t = table(res("", "Node", "nodes", False), node)
    assert col_names(t) == [
        "Name",
        "Status",
        "Roles",
        "Age",
        "Version",
        "Internal-IP",
        "External-IP",
        "OS-Image",
        "Kernel-Version",
        "Container-Runtime",
    ]
    assert t["rows"][0]["cells"] == [
        "node-a",
        "Ready,SchedulingDisabled",
        "control-plane,etcd,master",
        "3d",
        "v1.32.0",
        "192.168.0.2",
        "<none>",
        "Debian GNU/Linux 12",
        "6.1.0",
        "kybernetes://0.1.0",
    ]
    bare = {"metadata": {"name": "n"}, "status": {"conditions": [{"type": "Ready", "status": "Unknown"}]}}
    assert cells(res("", "Node", "nodes", False), bare)[1:4] == ["NotReady", "<none>", "<unknown>"]
    assert cells(res("", "Node", "nodes", False), {"metadata": {"name": "n"}})[1] == "Unknown"


def test_namespace_configmap_secret_serviceaccount() -> None:
    ns = {"metadata": {"name": "default", "creationTimestamp": ago(days=400)}, "status": {"phase": "Active"}}
    assert cells(res("", "Namespace", "namespaces", False), ns) == ["default", "Active", "400d"]
    cm = {
        "metadata": {"name": "cfg", "creationTimestamp": ago(seconds=5)},
        "data": {"a": "1", "b": "2"},
        "binaryData": {"c": "AA=="},
    }
    assert cells(res("", "ConfigMap", "configmaps"), cm) == ["cfg", 3, "5s"]
    sec = {
        "metadata": {"name": "tok", "creationTimestamp": ago(seconds=5)},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": "", "tls.key": ""},
    }
    t = table(res("", "Secret", "secrets"), sec)
    assert col_names(t) == ["Name", "Type", "Data", "Age"]
    assert t["rows"][0]["cells"] == ["tok", "kubernetes.io/tls", 2, "5s"]
    sa = {"metadata": {"name": "default", "creationTimestamp": ago(seconds=5)}}
    assert cells(res("", "ServiceAccount", "serviceaccounts"), sa) == ["default", 0, "5s"]


def test_events() -> None:
    ev = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{nginx}"},
        "reason": "Pulled",
        "message": 'Successfully pulled image "nginx"\n',
        "source": {"component": "kubelet", "host": "node-a"},
        "firstTimestamp": ago(minutes=5),
        "lastTimestamp": ago(minutes=1),
        "count": 4,
        "type": "Normal",
    }
    t = table(res("", "Event", "events"), ev)
    assert col_names(t) == [
        "Last Seen",
        "Type",
        "Reason",
        "Object",
        "Subobject",
        "Source",
        "Message",
        "First Seen",
        "Count",
        "Name",
    ]
    assert [c["priority"] for c in t["columnDefinitions"]] == [0, 0, 0, 0, 1, 1, 0, 1, 1, 1]
    assert t["rows"][0]["cells"] == [
        "60s",
        "Normal",
        "Pulled",
        "pod/web",
        "spec.containers{nginx}",
        "kubelet, node-a",
        'Successfully pulled image "nginx"',
        "5m",
        4,
        "web.17a",
    ]
    new_style = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.18b", "namespace": "default"},
        "regarding": {"kind": "Pod", "name": "web"},
        "reason": "Scheduled",
        "note": "Successfully assigned default/web to node-a",
        "eventTime": format_time(NOW - timedelta(seconds=20)).replace("Z", ".000000Z"),
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-node-a",
        "type": "Normal",
    }
    assert cells(res("events.k8s.io", "Event", "events"), new_style) == [
        "20s",
        "Normal",
        "Scheduled",
        "pod/web",
        "",
        "default-scheduler, default-scheduler-node-a",
        "Successfully assigned default/web to node-a",
        "20s",
        1,
        "web.18b",
    ]
    series = dict(ev, series={"count": 9, "lastObservedTime": ago(seconds=3)})
    assert cells(res("", "Event", "events"), series)[0] == "3s"
    assert cells(res("", "Event", "events"), series)[8] == 9


def test_storage() -> None:
    pv = {
        "metadata": {"name": "pv1", "creationTimestamp": ago(minutes=1)},
        "spec": {
            "capacity": {"storage": "1024Mi"},
            "accessModes": ["ReadWriteMany", "ReadWriteOnce", "ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": "default", "name": "data"},
            "storageClassName": "local-path",
            "volumeMode": "Filesystem",
        },
        "status": {"phase": "Bound"},
    }
    assert cells(res("", "PersistentVolume", "persistentvolumes", False), pv) == [
        "pv1",
        "1Gi",
        "RWO,RWX",
        "Retain",
        "Bound",
        "default/data",
        "local-path",
        "<unset>",
        "",
        "60s",
        "Filesystem",
    ]
    pvc = {
        "metadata": {"name": "data", "creationTimestamp": ago(minutes=1)},
        "spec": {
            "volumeName": "pv1",
            "storageClassName": "local-path",
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {"phase": "Bound", "capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"]},
    }
    assert cells(res("", "PersistentVolumeClaim", "persistentvolumeclaims"), pvc) == [
        "data",
        "Bound",
        "pv1",
        "1Gi",
        "RWO",
        "local-path",
        "<unset>",
        "60s",
        "<unset>",
    ]
    pending = {"metadata": {"name": "d2"}, "spec": {}, "status": {"phase": "Pending"}}
    assert cells(res("", "PersistentVolumeClaim", "persistentvolumeclaims"), pending)[1:5] == [
        "Pending",
        "",
        "",
        "",
    ]
    sc = {
        "metadata": {
            "name": "local-path",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            "creationTimestamp": ago(days=1),
        },
        "provisioner": "rancher.io/local-path",
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    assert cells(res("storage.k8s.io", "StorageClass", "storageclasses", False), sc) == [
        "local-path (default)",
        "rancher.io/local-path",
        "Delete",
        "WaitForFirstConsumer",
        False,
        "24h",
    ]


def test_rbac_quota_hpa_pdb_and_more() -> None:
    rb = {
        "metadata": {"name": "rb", "creationTimestamp": ago(seconds=1)},
        "roleRef": {"kind": "ClusterRole", "name": "view"},
        "subjects": [
            {"kind": "User", "name": "alice"},
            {"kind": "Group", "name": "devs"},
            {"kind": "ServiceAccount", "name": "sa", "namespace": "ns"},
            {"kind": "User", "name": "bob"},
        ],
    }
    assert cells(res("rbac.authorization.k8s.io", "RoleBinding", "rolebindings"), rb) == [
        "rb",
        "ClusterRole/view",
        "1s",
        "alice, bob",
        "devs",
        "ns/sa",
    ]
    rq = {
        "metadata": {"name": "q", "creationTimestamp": ago(seconds=1)},
        "status": {
            "hard": {"requests.cpu": "2", "limits.memory": "2Gi", "pods": "10"},
            "used": {"requests.cpu": "500m", "pods": "3"},
        },
    }
    assert cells(res("", "ResourceQuota", "resourcequotas"), rq) == [
        "q",
        "pods: 3/10, requests.cpu: 500m/2",
        "limits.memory: 0/2Gi",
        "1s",
    ]
    hpa = {
        "metadata": {"name": "web", "creationTimestamp": ago(seconds=1)},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 10,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                },
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "500Mi"},
                    },
                },
                {"type": "Pods", "pods": {"target": {"averageValue": "1k"}}},
            ],
        },
        "status": {
            "currentReplicas": 2,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 12}}}
            ],
        },
    }
    assert cells(
        res("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", version="v2"), hpa
    ) == ["web", "Deployment/web", "cpu: 12%/80%, memory: <unknown>/500Mi + 1 more...", "1", 10, 2, "1s"]
    hpa_v1 = {
        "metadata": {"name": "web"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": "web"},
            "maxReplicas": 3,
            "targetCPUUtilizationPercentage": 50,
        },
        "status": {"currentReplicas": 1},
    }
    assert cells(res("autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers"), hpa_v1)[2:4] == [
        "cpu: <unknown>/50%",
        "<unset>",
    ]
    pdb = {"metadata": {"name": "p"}, "spec": {"minAvailable": "50%"}, "status": {"disruptionsAllowed": 1}}
    assert cells(res("policy", "PodDisruptionBudget", "poddisruptionbudgets"), pdb)[:4] == [
        "p",
        "50%",
        "N/A",
        1,
    ]
    lease = {
        "metadata": {"name": "kube-scheduler", "creationTimestamp": ago(seconds=1)},
        "spec": {"holderIdentity": "node-a_1"},
    }
    assert cells(res("coordination.k8s.io", "Lease", "leases"), lease) == ["kube-scheduler", "node-a_1", "1s"]
    pc = {
        "metadata": {"name": "system-node-critical", "creationTimestamp": ago(seconds=1)},
        "value": 2000001000,
    }
    assert cells(res("scheduling.k8s.io", "PriorityClass", "priorityclasses", False), pc) == [
        "system-node-critical",
        2000001000,
        False,
        "1s",
        "",
    ]
    cr = {
        "metadata": {
            "name": "web-1",
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "controller": True}
            ],
        },
        "revision": 1,
    }
    assert cells(res("apps", "ControllerRevision", "controllerrevisions"), cr)[:3] == [
        "web-1",
        "statefulset.apps/web",
        1,
    ]
    csr = {
        "metadata": {"name": "csr-1", "creationTimestamp": ago(seconds=1)},
        "spec": {
            "signerName": "kubernetes.io/kube-apiserver-client",
            "username": "alice",
            "expirationSeconds": 86400,
        },
        "status": {"conditions": [{"type": "Approved", "status": "True"}], "certificate": "Zm9v"},
    }
    assert cells(
        res("certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests", False), csr
    ) == ["csr-1", "1s", "kubernetes.io/kube-apiserver-client", "alice", "24h", "Approved,Issued"]
    mwc = {"metadata": {"name": "m", "creationTimestamp": ago(seconds=1)}, "webhooks": [{}, {}]}
    assert cells(
        res(
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
            "mutatingwebhookconfigurations",
            False,
        ),
        mwc,
    ) == ["m", 2, "1s"]


def test_default_table_for_kinds_without_printer() -> None:
    assert not has_printer("rbac.authorization.k8s.io", "Role")
    role = {"metadata": {"name": "reader", "creationTimestamp": "2024-05-01T10:00:00Z"}}
    t = table(res("rbac.authorization.k8s.io", "Role", "roles"), role)
    assert col_names(t) == ["Name", "Created At"]
    assert t["columnDefinitions"][1]["type"] == "date"
    assert t["rows"][0]["cells"] == ["reader", "2024-05-01T10:00:00Z"]
    assert column_definitions("", "LimitRange")[1]["name"] == "Created At"


def test_every_printer_produces_one_cell_per_column() -> None:
    from kybernetes.api.printers import _printers

    minimal: dict[str, Any] = {"metadata": {"name": "x", "creationTimestamp": ago(seconds=1)}}
    for (group, kind), printer in _printers().items():
        r = res(group, kind, kind.lower() + "s")
        row = table(r, minimal)["rows"][0]
        if (group, kind) == ("networking.k8s.io", "IPAddress"):
            # upstream declares two columns (Name, ParentRef) but prints the age as a third cell
            assert len(row["cells"]) == len(printer.columns) + 1
            continue
        assert len(row["cells"]) == len(printer.columns), (group, kind)


# -- custom resources ------------------------------------------------------------------------------


def test_custom_resource_table() -> None:
    columns = [
        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Ready", "type": "boolean", "jsonPath": ".status.ready", "priority": 1},
        {"name": "Ratio", "type": "number", "jsonPath": ".status.ratio"},
        {"name": "Host", "type": "string", "jsonPath": ".spec.hosts[0].name"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    obj = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "creationTimestamp": ago(minutes=7)},
        "spec": {"replicas": 3, "hosts": [{"name": "a.example.com"}]},
        "status": {"phase": "Ready", "ready": True, "ratio": 1},
    }
    t = table_for_custom_resource(columns, [obj], now=NOW)
    assert col_names(t) == ["Name", "Replicas", "Phase", "Ready", "Ratio", "Host", "Age"]
    assert t["columnDefinitions"][3]["priority"] == 1
    assert t["rows"][0]["cells"] == ["w1", 3, "Ready", True, 1.0, "a.example.com", "7m"]
    missing = {"metadata": {"name": "w2"}}
    assert table_for_custom_resource(columns, [missing], now=NOW)["rows"][0]["cells"] == [
        "w2",
        None,
        None,
        None,
        None,
        None,
        None,
    ]
    default = table_for_custom_resource(None, [obj], now=NOW)
    assert col_names(default) == ["Name", "Age"]
    assert default["rows"][0]["cells"] == ["w1", "7m"]
