"""run_scheduler in-process against a real `kyb up`: binding, resources, nodeSelector, taints and
FailedScheduling followed by scheduling once a fitting Node appears."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
from sched_builders import make_node, make_pod

from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.scheduler import run_scheduler
from kybernetes.scheduler.scheduler import run_scheduler_with_config
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]
SCHEDULER = "kyb-test-scheduler"  # a profile of our own: never races a scheduler `kyb up` may run


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(tmp_path_factory.mktemp("kyb-scheduler"))
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def client(kyb: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(kyb.kubeconfig))
    yield c
    await c.close()


@pytest.fixture
async def scheduler(kyb: KybCluster) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_scheduler(kyb.kubeconfig, stop, leader_elect=False, scheduler_name=SCHEDULER)
    )
    yield
    stop.set()
    await asyncio.wait_for(task, 20)


async def eventually(fn: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not await fn():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def new_ns(client: RESTClient) -> str:
    name = "s-" + uuid.uuid4().hex[:8]
    await client.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )

    async def has_sa() -> bool:
        try:
            await client.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")
            return True
        except ApiError as e:
            if e.code == 404:
                return False
            raise

    await eventually(has_sa, 30, "default serviceaccount")
    return name


async def create_node(client: RESTClient, node: Obj) -> None:
    created = await client.create("/api/v1/nodes", node)
    status = node["status"]
    await client.patch(f"/api/v1/nodes/{created['metadata']['name']}/status", {"status": status}, "merge")


def pod(name: str, pool: str, **kw: Any) -> Obj:
    p = make_pod(name, namespace="", **kw)
    del p["metadata"]["namespace"], p["metadata"]["uid"], p["status"]
    p["spec"]["schedulerName"] = SCHEDULER
    sel = p["spec"].setdefault("nodeSelector", {})
    sel["pool"] = pool
    return p


async def node_of(client: RESTClient, ns: str, name: str) -> str:
    obj = await client.get(f"/api/v1/namespaces/{ns}/pods/{name}")
    return str(obj["spec"].get("nodeName") or "")


def bound(client: RESTClient, ns: str, name: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(await node_of(client, ns, name))

    return check


async def test_scheduling_end_to_end(client: RESTClient, scheduler: None) -> None:
    ns = await new_ns(client)
    pool = uuid.uuid4().hex[:6]
    n_small, n_big, n_tainted = f"small-{pool}", f"big-{pool}", f"tainted-{pool}"
    await create_node(
        client, make_node(n_small, cpu="1", memory="2Gi", labels={"pool": pool, "size": "small"})
    )
    await create_node(client, make_node(n_big, cpu="4", memory="8Gi", labels={"pool": pool, "size": "big"}))
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    await create_node(
        client,
        make_node(n_tainted, cpu="16", memory="32Gi", labels={"pool": pool, "size": "huge"}, taints=[taint]),
    )
    base = f"/api/v1/namespaces/{ns}/pods"

    # resources: 3 CPUs only fit on the big node (the tainted one is not tolerated)
    await client.create(base, pod("needs-3cpu", pool, cpu="3"))
    # nodeSelector
    await client.create(
        base, pod("wants-small", pool, cpu="100m", nodeSelector={"pool": pool, "size": "small"})
    )
    # toleration lets a pod onto the tainted node, nodeSelector pins it there
    tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    await client.create(
        base, pod("gpu-job", pool, cpu="8", tolerations=tol, nodeSelector={"pool": pool, "size": "huge"})
    )

    for name in ("needs-3cpu", "wants-small", "gpu-job"):
        await eventually(bound(client, ns, name), what=f"{name} bound")
    assert await node_of(client, ns, "needs-3cpu") == n_big
    assert await node_of(client, ns, "wants-small") == n_small
    assert await node_of(client, ns, "gpu-job") == n_tainted

    # two pods of 800m: the big node has 1 CPU left, the small one 900m; they cannot share a node
    await client.create(base, pod("half-1", pool, cpu="800m"))
    await client.create(base, pod("half-2", pool, cpu="800m"))
    for name in ("half-1", "half-2"):
        await eventually(bound(client, ns, name), what=f"{name} bound")
    assert {await node_of(client, ns, "half-1"), await node_of(client, ns, "half-2")} == {n_small, n_big}

    # unfittable: FailedScheduling event, PodScheduled=False/Unschedulable
    await client.create(base, pod("too-big", pool, cpu="6"))

    async def failed_event() -> bool:
        evs = await client.list(f"/api/v1/namespaces/{ns}/events")
        return any(
            e.get("reason") == "FailedScheduling" and e["involvedObject"]["name"] == "too-big"
            for e in evs["items"]
        )

    await eventually(failed_event, what="FailedScheduling event")
    evs = await client.list(f"/api/v1/namespaces/{ns}/events")
    ev = next(e for e in evs["items"] if e.get("reason") == "FailedScheduling")
    assert ev["type"] == "Warning"
    msg = ev["message"]
    assert "nodes are available:" in msg
    assert "1 node(s) had untolerated taint {dedicated: gpu}" in msg
    assert "2 Insufficient cpu" in msg
    assert "preemption:" in msg and msg.endswith(".")

    async def unschedulable_condition() -> bool:
        obj = await client.get(f"{base}/too-big")
        conds = obj.get("status", {}).get("conditions") or []
        return any(
            c["type"] == "PodScheduled" and c["status"] == "False" and c["reason"] == "Unschedulable"
            for c in conds
        )

    await eventually(unschedulable_condition, what="PodScheduled=False")
    assert await node_of(client, ns, "too-big") == ""

    # a fitting node appears: the pod gets scheduled there
    n_new = f"new-{pool}"
    await create_node(client, make_node(n_new, cpu="8", memory="16Gi", labels={"pool": pool}))
    await eventually(bound(client, ns, "too-big"), what="too-big bound after node add")
    assert await node_of(client, ns, "too-big") == n_new


async def test_many_pods_are_bound(client: RESTClient, scheduler: None) -> None:
    ns = await new_ns(client)
    pool = uuid.uuid4().hex[:6]
    for i in range(5):
        await create_node(
            client, make_node(f"bulk-{pool}-{i}", cpu="8", memory="16Gi", pods="20", labels={"pool": pool})
        )
    base = f"/api/v1/namespaces/{ns}/pods"
    await asyncio.gather(*(client.create(base, pod(f"p-{i}", pool, cpu="100m")) for i in range(60)))

    async def all_bound() -> bool:
        items = (await client.list(base))["items"]
        return len(items) == 60 and all(p["spec"].get("nodeName") for p in items)

    await eventually(all_bound, 60, "all pods bound")
    items = (await client.list(base))["items"]
    per_node: dict[str, int] = {}
    for p in items:
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
    assert len(per_node) == 5 and max(per_node.values()) <= 20


async def test_leader_elected_scheduler(kyb: KybCluster, client: RESTClient) -> None:
    ns = await new_ns(client)
    pool = uuid.uuid4().hex[:6]
    name = f"le-{pool}"
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_scheduler_with_config(
            load_kubeconfig(kyb.kubeconfig), stop, True, name, lease_namespace=ns, lease_name=name
        )
    )
    try:
        await create_node(client, make_node(f"le-node-{pool}", labels={"pool": pool}))
        p = pod("led", pool)
        p["spec"]["schedulerName"] = name
        await client.create(f"/api/v1/namespaces/{ns}/pods", p)
        await eventually(bound(client, ns, "led"), what="pod bound by the leader")
        lease = await client.get(f"/apis/coordination.k8s.io/v1/namespaces/{ns}/leases/{name}")
        assert lease["spec"]["holderIdentity"]
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
