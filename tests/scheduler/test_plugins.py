"""Unit tests of the default plugins on plain dicts."""

from __future__ import annotations

from typing import Any

from sched_builders import make_node, make_pod

from kybernetes.scheduler.framework import Code, CycleState, NodeInfo, PodInfo, pod_requests
from kybernetes.scheduler.plugins import (
    InterPodAffinity,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    NodeUnschedulable,
    PodTopologySpread,
    PrioritySort,
    TaintToleration,
)
from kybernetes.scheduler.queue import QueuedPodInfo


def ni(node: dict[str, Any], *pods: dict[str, Any]) -> NodeInfo:
    n = NodeInfo(node)
    for p in pods:
        n.add_pod(PodInfo.of(p))
    return n


def test_pod_requests_init_containers_and_overhead() -> None:
    pod = make_pod("p", cpu="500m", memory="1Gi")
    pod["spec"]["containers"].append({"name": "b", "resources": {"requests": {"cpu": "250m"}}})
    pod["spec"]["initContainers"] = [
        {"name": "i1", "resources": {"requests": {"cpu": "1", "memory": "512Mi"}}},
        {"name": "i2", "resources": {"limits": {"memory": "2Gi"}}},
    ]
    pod["spec"]["overhead"] = {"cpu": "100m"}
    r = pod_requests(pod)
    assert r["cpu"] == 1000 + 100  # max(750, 1000) + overhead
    assert r["memory"] == 2 * 1024**3  # init limit defaults the request


def test_node_resources_fit() -> None:
    node = make_node("n1", cpu="2", memory="4Gi", pods="2")
    info = ni(node, make_pod("a", cpu="1500m", node_name="n1"))
    fit = NodeResourcesFit()
    st = fit.filter(CycleState(), PodInfo.of(make_pod("b", cpu="600m")), info)
    assert st.code == Code.Unschedulable and st.reasons == ["Insufficient cpu"]
    assert fit.filter(CycleState(), PodInfo.of(make_pod("c", cpu="500m")), info).is_success()
    info.add_pod(PodInfo.of(make_pod("d", node_name="n1")))
    st = fit.filter(CycleState(), PodInfo.of(make_pod("e")), info)
    assert st.reasons == ["Too many pods"]
    st = fit.filter(CycleState(), PodInfo.of(make_pod("f", cpu="1", memory="8Gi")), info)
    assert st.reasons == ["Too many pods", "Insufficient cpu", "Insufficient memory"]


def test_least_allocated_and_balanced_scores() -> None:
    empty = ni(make_node("n1", cpu="4", memory="8Gi"))
    busy = ni(make_node("n2", cpu="4", memory="8Gi"), make_pod("x", cpu="3", memory="6Gi", node_name="n2"))
    pod = PodInfo.of(make_pod("p", cpu="1", memory="2Gi"))
    fit = NodeResourcesFit()
    assert fit.score(CycleState(), pod, empty) > fit.score(CycleState(), pod, busy)
    assert fit.score(CycleState(), pod, empty) == 75
    bal = NodeResourcesBalancedAllocation()
    lopsided = PodInfo.of(make_pod("q", cpu="4", memory="1Gi"))
    assert bal.score(CycleState(), pod, empty) == 100
    assert bal.score(CycleState(), lopsided, empty) < 100


def test_taint_toleration() -> None:
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    node = ni(make_node("n1", taints=[taint]))
    tt = TaintToleration()
    st = tt.filter(CycleState(), PodInfo.of(make_pod("p")), node)
    assert st.code == Code.UnschedulableAndUnresolvable
    assert st.reasons == ["node(s) had untolerated taint {dedicated: gpu}"]
    tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    assert tt.filter(CycleState(), PodInfo.of(make_pod("p", tolerations=tol)), node).is_success()
    assert tt.filter(
        CycleState(), PodInfo.of(make_pod("p", tolerations=[{"operator": "Exists"}])), node
    ).is_success()
    # PreferNoSchedule only affects the score
    soft = ni(make_node("n2", taints=[{"key": "k", "value": "v", "effect": "PreferNoSchedule"}]))
    plain = ni(make_node("n3"))
    pod = PodInfo.of(make_pod("p"))
    assert tt.filter(CycleState(), pod, soft).is_success()
    scores = {"n2": tt.score(CycleState(), pod, soft), "n3": tt.score(CycleState(), pod, plain)}
    tt.normalize_score(CycleState(), pod, scores)
    assert scores == {"n2": 0, "n3": 100}


def test_node_unschedulable_and_node_name() -> None:
    cordoned = ni(make_node("n1", unschedulable=True))
    st = NodeUnschedulable().filter(CycleState(), PodInfo.of(make_pod("p")), cordoned)
    assert st.reasons == ["node(s) were unschedulable"]
    tol = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
    assert (
        NodeUnschedulable()
        .filter(CycleState(), PodInfo.of(make_pod("p", tolerations=tol)), cordoned)
        .is_success()
    )
    pod = make_pod("p")
    pod["spec"]["nodeName"] = "n2"
    st = NodeName().filter(CycleState(), PodInfo.of(pod), cordoned)
    assert st.reasons == ["node(s) didn't match the requested node name"]


def test_node_affinity() -> None:
    na = NodeAffinity()
    ssd = ni(make_node("n1", labels={"disk": "ssd", "gen": "5"}))
    hdd = ni(make_node("n2", labels={"disk": "hdd", "gen": "3"}))
    pod = PodInfo.of(make_pod("p", nodeSelector={"disk": "ssd"}))
    assert na.filter(CycleState(), pod, ssd).is_success()
    st = na.filter(CycleState(), pod, hdd)
    assert st.code == Code.UnschedulableAndUnresolvable
    assert st.reasons == ["node(s) didn't match Pod's node affinity/selector"]
    req = {
        "nodeSelectorTerms": [
            {"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["4"]}]},
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]},
        ]
    }
    pod = PodInfo.of(
        make_pod("p", affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": req}})
    )
    assert na.filter(CycleState(), pod, ssd).is_success()
    assert na.filter(CycleState(), pod, hdd).is_success()
    other = ni(make_node("n3", labels={"gen": "1"}))
    assert not na.filter(CycleState(), pod, other).is_success()
    # no selector: PreFilter skips the filter
    assert na.pre_filter(CycleState(), PodInfo.of(make_pod("q")), []).is_skip()
    pref = [
        {
            "weight": 10,
            "preference": {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]},
        }
    ]
    pod = PodInfo.of(
        make_pod("p", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": pref}})
    )
    scores = {"n1": na.score(CycleState(), pod, ssd), "n2": na.score(CycleState(), pod, hdd)}
    na.normalize_score(CycleState(), pod, scores)
    assert scores == {"n1": 100, "n2": 0}


def test_node_ports() -> None:
    ports = [{"containerPort": 80, "hostPort": 8080}]
    node = ni(make_node("n1"), make_pod("a", node_name="n1", containers=[{"name": "c", "ports": ports}]))
    pod = PodInfo.of(make_pod("b", containers=[{"name": "c", "ports": ports}]))
    np = NodePorts()
    assert not np.pre_filter(CycleState(), pod, [node]).is_skip()
    st = np.filter(CycleState(), pod, node)
    assert st.code == Code.Unschedulable
    assert st.reasons == ["node(s) didn't have free ports for the requested pod ports"]
    other = PodInfo.of(
        make_pod("c", containers=[{"name": "c", "ports": [{"containerPort": 1, "hostPort": 9090}]}])
    )
    assert np.filter(CycleState(), other, node).is_success()
    udp = [{"containerPort": 80, "hostPort": 8080, "protocol": "UDP"}]
    assert np.filter(
        CycleState(), PodInfo.of(make_pod("d", containers=[{"name": "c", "ports": udp}])), node
    ).is_success()


def test_inter_pod_anti_affinity_by_hostname() -> None:
    anti = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    n1 = ni(make_node("n1"), make_pod("web-1", node_name="n1", labels={"app": "web"}))
    n2 = ni(make_node("n2"))
    ipa = InterPodAffinity()
    pod = PodInfo.of(make_pod("web-2", labels={"app": "web"}, affinity=anti))
    state = CycleState()
    assert ipa.pre_filter(state, pod, [n1, n2]).is_success()
    assert ipa.filter(state, pod, n1).reasons == ["node(s) didn't match pod anti-affinity rules"]
    assert ipa.filter(state, pod, n2).is_success()
    # the existing pod's anti-affinity repels a matching newcomer without terms of its own
    n3 = ni(make_node("n3"), make_pod("guard", node_name="n3", labels={"app": "x"}, affinity=anti))
    newcomer = PodInfo.of(make_pod("web-3", labels={"app": "web"}))
    state = CycleState()
    assert ipa.pre_filter(state, newcomer, [n2, n3]).is_success()
    assert ipa.filter(state, newcomer, n3).reasons == [
        "node(s) didn't satisfy existing pods anti-affinity rules"
    ]
    assert ipa.filter(state, newcomer, n2).is_success()
    # nothing to check at all: skipped
    assert ipa.pre_filter(CycleState(), PodInfo.of(make_pod("z")), [n2]).is_skip()


def test_inter_pod_affinity() -> None:
    aff = {
        "podAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "zone"}
            ]
        }
    }
    n1 = ni(make_node("n1", labels={"zone": "a"}), make_pod("db", node_name="n1", labels={"app": "db"}))
    n2 = ni(make_node("n2", labels={"zone": "a"}))
    n3 = ni(make_node("n3", labels={"zone": "b"}))
    ipa = InterPodAffinity()
    pod = PodInfo.of(make_pod("cache", affinity=aff))
    state = CycleState()
    ipa.pre_filter(state, pod, [n1, n2, n3])
    assert ipa.filter(state, pod, n1).is_success()
    assert ipa.filter(state, pod, n2).is_success()
    st = ipa.filter(state, pod, n3)
    assert st.code == Code.UnschedulableAndUnresolvable
    assert st.reasons == ["node(s) didn't match pod affinity rules"]


def test_pod_topology_spread() -> None:
    tsc = [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"app": "w"}},
        }
    ]
    n1 = ni(make_node("n1", labels={"zone": "a"}), make_pod("w1", node_name="n1", labels={"app": "w"}))
    n2 = ni(make_node("n2", labels={"zone": "b"}))
    n3 = ni(make_node("n3"))
    pts = PodTopologySpread()
    pod = PodInfo.of(make_pod("w2", labels={"app": "w"}, topologySpreadConstraints=tsc))
    state = CycleState()
    assert pts.pre_filter(state, pod, [n1, n2, n3]).is_success()
    assert pts.filter(state, pod, n1).reasons == ["node(s) didn't match pod topology spread constraints"]
    assert pts.filter(state, pod, n2).is_success()
    st = pts.filter(state, pod, n3)
    assert st.code == Code.UnschedulableAndUnresolvable
    assert st.reasons == ["node(s) didn't match pod topology spread constraints (missing required label)"]
    soft = [dict(tsc[0], whenUnsatisfiable="ScheduleAnyway")]
    pod = PodInfo.of(make_pod("w3", labels={"app": "w"}, topologySpreadConstraints=soft))
    state = CycleState()
    assert pts.pre_filter(state, pod, [n1, n2]).is_skip()
    assert pts.pre_score(state, pod, [n1, n2]).is_success()
    scores = {"n1": pts.score(state, pod, n1), "n2": pts.score(state, pod, n2)}
    pts.normalize_score(state, pod, scores)
    assert scores["n2"] > scores["n1"]


def test_priority_sort() -> None:
    ps = PrioritySort()
    hi = QueuedPodInfo(make_pod("hi", priority=10), "default/hi", 5.0, 5.0)
    lo = QueuedPodInfo(make_pod("lo", priority=0), "default/lo", 1.0, 1.0)
    lo2 = QueuedPodInfo(make_pod("lo2", priority=0), "default/lo2", 2.0, 2.0)
    assert ps.less(hi, lo) and not ps.less(lo, hi)
    assert ps.less(lo, lo2) and not ps.less(lo2, lo)
