"""The framework runtime and the scheduling cycle, without an API server (no binder)."""

from __future__ import annotations

from sched_builders import make_node, make_pod

from kybernetes.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    Framework,
    NodeInfo,
    Obj,
    PodInfo,
    Status,
)
from kybernetes.scheduler.plugins import DEFAULT_SCORE_WEIGHTS, NodeResourcesFit
from kybernetes.scheduler.preemption import DefaultPreemption
from kybernetes.scheduler.scheduler import (
    Scheduler,
    default_plugins,
    new_profiles,
    num_feasible_nodes_to_find,
    select_host,
)


class FakeBinder:
    name = "FakeBinder"

    def __init__(self) -> None:
        self.bound: dict[str, str] = {}

    async def bind(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        self.bound[pod["metadata"]["name"]] = node_name
        return Status()


def new_scheduler() -> Scheduler:
    fwk = Framework("default-scheduler", [*default_plugins(None), FakeBinder()], DEFAULT_SCORE_WEIGHTS)
    return Scheduler(None, {"default-scheduler": fwk})


def test_fit_error_message_format() -> None:
    taint = Status.unresolvable("node(s) had untolerated taint {key: value}")
    cpu = Status.unschedulable("Insufficient cpu")
    d = Diagnosis(node_to_status={"a": taint, "b": cpu, "c": cpu})
    d.post_filter_msg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling"
    assert str(FitError({}, 3, d)) == (
        "0/3 nodes are available: 1 node(s) had untolerated taint {key: value}, 2 Insufficient cpu. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )


def test_framework_sorts_plugins_into_extension_points() -> None:
    fwk = new_profiles(None, ["p"])["p"]
    assert fwk.queue_sort is not None and fwk.queue_sort.name == "PrioritySort"
    assert [p.name for p in fwk.filter] == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "PodTopologySpread",
        "InterPodAffinity",
    ]
    assert [p.name for p in fwk.post_filter] == ["DefaultPreemption"]
    weights = {ws.plugin.name: ws.weight for ws in fwk.score}
    assert weights["TaintToleration"] == 3 and weights["NodeResourcesFit"] == 1


def test_filter_status_records_plugin() -> None:
    fwk = Framework("p", [NodeResourcesFit()])
    node = NodeInfo(make_node("n", cpu="1"))
    st = fwk.run_filter_plugins(CycleState(), PodInfo.of(make_pod("x", cpu="2")), node)
    assert st.code == Code.Unschedulable and st.plugin == "NodeResourcesFit"


async def test_assumed_pods_take_room_immediately() -> None:
    s = new_scheduler()
    s.on_node_add(make_node("n1", cpu="1"))
    s.on_node_add(make_node("n2", cpu="1"))
    s.on_pod_add(make_pod("a", cpu="700m"))
    s.on_pod_add(make_pod("b", cpu="700m"))
    s.on_pod_add(make_pod("c", cpu="700m"))
    for _ in range(3):
        qp = await s.queue.pop(timeout=0.1)
        assert qp is not None
        s.schedule_one(qp)
    await s.close()
    binder = s.profiles["default-scheduler"].plugin("FakeBinder")
    assert isinstance(binder, FakeBinder) and len(binder.bound) == 2
    placed = {k: s.cache.pod_node(k) for k in ("default/a", "default/b", "default/c")}
    assert sorted(v for v in placed.values() if v) == ["n1", "n2"]
    unplaced = [k for k, v in placed.items() if v is None]
    assert len(unplaced) == 1 and unplaced[0] in s.queue.unschedulable
    # deleting a bound pod frees room and moves the unschedulable pod back
    placed_key = next(k for k, v in placed.items() if v)
    victim = make_pod(placed_key.split("/")[1], cpu="700m", node_name=placed[placed_key])
    s.on_pod_add(victim)  # the informer confirms the binding
    assert not s.cache.is_assumed(placed_key)
    s.on_pod_delete(victim)
    assert unplaced[0] not in s.queue.unschedulable and unplaced[0] in s.queue


async def test_no_nodes_and_node_add() -> None:
    s = new_scheduler()
    s.on_pod_add(make_pod("a"))
    qp = await s.queue.pop(timeout=0.1)
    assert qp is not None
    s.schedule_one(qp)
    assert "default/a" in s.queue.unschedulable
    s.on_node_add(make_node("n1"))
    assert "default/a" not in s.queue.unschedulable


def test_preemption_selects_lower_priority_victims() -> None:
    s = new_scheduler()
    s.on_node_add(make_node("n1", cpu="2"))
    s.on_node_add(make_node("n2", cpu="2", taints=[{"key": "k", "value": "v", "effect": "NoSchedule"}]))
    s.cache.add_pod(make_pod("low", cpu="1500m", node_name="n1", priority=1))
    s.cache.add_pod(make_pod("tiny", cpu="100m", node_name="n1", priority=2))
    fwk = s.profiles["default-scheduler"]
    pre = fwk.plugin("DefaultPreemption")
    assert isinstance(pre, DefaultPreemption)
    nominated: list[str] = []
    pre.on_nominated = lambda pod, node: nominated.append(node)
    pod = PodInfo.of(make_pod("high", cpu="1", priority=100))
    state = CycleState()
    try:
        s.schedule_pod(fwk, state, pod)
        raise AssertionError("expected a FitError")
    except FitError as fe:
        node, st = fwk.run_post_filter_plugins(state, pod, fe.diagnosis.node_to_status)
    assert node == "n1" and st.is_success() and nominated == ["n1"]
    victims, _ = pre.select_victims_on_node(state, pod, s.cache.nodes["n1"])
    assert victims is not None and [v.key for v in victims] == ["default/low"]
    # an equal-priority pod cannot preempt: the message says why
    same = PodInfo.of(make_pod("same", cpu="1", priority=1))
    try:
        s.schedule_pod(fwk, CycleState(), same)
        raise AssertionError("expected a FitError")
    except FitError as fe:
        _, st = fwk.run_post_filter_plugins(CycleState(), same, fe.diagnosis.node_to_status)
        fe.diagnosis.post_filter_msg = st.message()
        assert str(fe) == (
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}. "
            "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
            "1 Preemption is not helpful for scheduling."
        )


def test_num_feasible_nodes_and_select_host() -> None:
    assert num_feasible_nodes_to_find(50) == 50
    assert num_feasible_nodes_to_find(1000) == 420
    assert num_feasible_nodes_to_find(5000, 10) == 500
    assert select_host({"a": 1, "b": 7, "c": 3}) == "b"
    assert select_host({"a": 5, "b": 5}) in {"a", "b"}
