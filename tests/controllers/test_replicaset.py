"""The ReplicaSet controller in-process against a real `kyb up` (whose own RS/Deployment
controllers are switched off)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from kybernetes.api.timeutil import format_time, now_utc
from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformerFactory, metadata_only
from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.replicaset import (
    ControllerExpectations,
    ReplicaSetController,
    pod_available,
    pods_to_delete,
    slow_start_batch,
)
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(
        tmp_path_factory.mktemp("kyb-rs"),
        extra_args=["--controllers", "*,-replicaset-controller,-deployment-controller"],
    )
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def client(kyb: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(kyb.kubeconfig))
    yield c
    await c.close()


@pytest.fixture
async def ctx(kyb: KybCluster, client: RESTClient) -> AsyncIterator[ControllerContext]:
    informers = SharedInformerFactory(client)
    recorder = EventRecorder(client, "kube-controller-manager")
    c = ControllerContext(
        config=load_kubeconfig(kyb.kubeconfig),
        client=client,
        informers=informers,
        recorder=recorder,
        metadata_informers=SharedInformerFactory(client, transform=metadata_only),
    )
    yield c
    await recorder.close()
    await informers.stop()


@contextlib.asynccontextmanager
async def running(ctx: ControllerContext) -> AsyncIterator[ReplicaSetController]:
    ctrl = ReplicaSetController(ctx)
    stop = asyncio.Event()
    ctx.informers.start()
    task = asyncio.create_task(ctrl.run(stop))
    try:
        yield ctrl
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def eventually(fn: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await fn():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or fn}")
        await asyncio.sleep(0.05)


async def new_ns(client: RESTClient) -> str:
    name = "rs-" + uuid.uuid4().hex[:8]
    await client.create("/api/v1/namespaces", {"metadata": {"name": name}})

    async def has_sa() -> bool:
        try:
            await client.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")
            return True
        except ApiError:
            return False

    await eventually(has_sa, what="default service account")
    return name


def rs_body(name: str, replicas: int, app: str = "web") -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app, "tier": "fe"}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        },
    }


async def pods(client: RESTClient, ns: str) -> list[Obj]:
    items: list[Obj] = (await client.list(f"/api/v1/namespaces/{ns}/pods"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def make_ready(client: RESTClient, ns: str, name: str, node: str = "") -> None:
    if node:
        # stand in for the scheduler: bind through the binding subresource
        await client.create(
            f"/api/v1/namespaces/{ns}/pods/{name}/binding",
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            },
        )
    now = format_time(now_utc())
    await client.patch(
        f"/api/v1/namespaces/{ns}/pods/{name}/status",
        {
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": now}],
            }
        },
        "merge",
    )


# --- unit tests ----------------------------------------------------------------------------------
def test_expectations() -> None:
    e = ControllerExpectations()
    assert e.satisfied("a")
    e.expect_creations("a", 2)
    assert not e.satisfied("a")
    e.creation_observed("a")
    assert not e.satisfied("a")
    e.creation_observed("a")
    assert e.satisfied("a")
    e.expect_deletions("a", ["ns/p1", "ns/p2"])
    e.deletion_observed("a", "ns/p1")
    e.deletion_observed("a", "ns/p1")  # observing twice counts once
    assert not e.satisfied("a")
    e.deletion_observed("a", "ns/p2")
    assert e.satisfied("a")
    expired = ControllerExpectations(timeout=-1.0)
    expired.expect_creations("b", 5)
    assert expired.pending("b") == (5, 0)
    assert expired.satisfied("b")  # expectations that time out stop blocking syncs


async def test_slow_start_batches() -> None:
    sizes: list[int] = []
    inflight = 0

    async def fn() -> None:
        nonlocal inflight
        inflight += 1
        await asyncio.sleep(0.01)
        sizes.append(inflight)
        inflight -= 1

    ok, err = await slow_start_batch(10, 1, fn)
    assert (ok, err) == (10, None)
    assert max(sizes) == 4  # 1, 2, 4, then the 3 remaining

    calls = 0

    async def failing() -> None:
        nonlocal calls
        calls += 1
        if calls >= 2:
            raise RuntimeError("quota")

    ok, err = await slow_start_batch(10, 1, failing)
    assert ok == 1 and isinstance(err, RuntimeError) and calls == 3  # the batch of 2 failed: stop


def _pod(
    name: str,
    node: str = "",
    phase: str = "Pending",
    ready: bool = False,
    restarts: int = 0,
    created: str = "2024-01-01T00:00:00Z",
) -> Obj:
    return {
        "metadata": {"name": name, "uid": name, "creationTimestamp": created},
        "spec": {"nodeName": node},
        "status": {
            "phase": phase,
            "conditions": [
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": created}
            ],
            "containerStatuses": [{"restartCount": restarts}],
        },
    }


def test_deletion_ranking() -> None:
    ready_old = _pod("ready-old", "n1", "Running", True, created="2024-01-01T00:00:00Z")
    ready_new = _pod("ready-new", "n1", "Running", True, created="2024-01-02T00:00:00Z")
    running_not_ready = _pod("nr", "n1", "Running", False)
    crashy = _pod("crashy", "n1", "Running", False, restarts=5)
    pending = _pod("pending", "n1", "Pending")
    unscheduled = _pod("unscheduled")
    pool = [ready_old, ready_new, running_not_ready, crashy, pending, unscheduled]
    order = [p["metadata"]["name"] for p in pods_to_delete(pool, len(pool))]
    assert order == ["unscheduled", "pending", "crashy", "nr", "ready-new", "ready-old"]
    assert [p["metadata"]["name"] for p in pods_to_delete(pool, 2)] == ["unscheduled", "pending"]


# --- against the API server ----------------------------------------------------------------------
async def test_creates_replaces_and_reports_status(client: RESTClient, ctx: ControllerContext) -> None:
    ns = await new_ns(client)
    rs = await client.create(f"/apis/apps/v1/namespaces/{ns}/replicasets", rs_body("web", 3))
    async with running(ctx):

        async def three() -> bool:
            return len(await pods(client, ns)) == 3

        await eventually(three, what="3 pods")
        ps = await pods(client, ns)
        for p in ps:
            meta = p["metadata"]
            assert meta["name"].startswith("web-") and meta["generateName"] == "web-"
            assert meta["labels"] == {"app": "web", "tier": "fe"}
            assert meta["ownerReferences"] == [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web",
                    "uid": rs["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ]

        async def status_ok() -> bool:
            st = (await client.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/web")).get("status") or {}
            return (
                st.get("replicas") == 3
                and st.get("fullyLabeledReplicas") == 3
                and st.get("observedGeneration") == rs["metadata"]["generation"]
            )

        await eventually(status_ok, what="status replicas=3")
        # readiness drives readyReplicas / availableReplicas
        for p in ps[:2]:
            await make_ready(client, ns, p["metadata"]["name"])

        async def ready2() -> bool:
            st = (await client.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/web")).get("status") or {}
            return st.get("readyReplicas") == 2 and st.get("availableReplicas") == 2

        await eventually(ready2, what="2 ready")
        # a deleted pod is replaced
        victim = ps[0]["metadata"]["name"]
        await client.delete(f"/api/v1/namespaces/{ns}/pods/{victim}", grace_period_seconds=0)

        async def replaced() -> bool:
            names = {p["metadata"]["name"] for p in await pods(client, ns)}
            return len(names) == 3 and victim not in names

        await eventually(replaced, what="replacement pod")

        # events
        async def events() -> bool:
            evs = (await client.list(f"/api/v1/namespaces/{ns}/events"))["items"]
            return any(
                e["reason"] == "SuccessfulCreate" and e["message"].startswith("Created pod: web-")
                for e in evs
            )

        await eventually(events, what="SuccessfulCreate event")


async def test_scale_down_ranks_and_adoption(client: RESTClient, ctx: ControllerContext) -> None:
    ns = await new_ns(client)
    # an orphan that matches is adopted; one that does not is left alone
    for name, app in (("orphan", "web"), ("other", "db")):
        await client.create(
            f"/api/v1/namespaces/{ns}/pods",
            {
                "metadata": {"name": name, "labels": {"app": app}},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        )
    await client.create(f"/apis/apps/v1/namespaces/{ns}/replicasets", rs_body("web", 4))
    async with running(ctx):

        async def four() -> bool:
            return (
                len([p for p in await pods(client, ns) if p["metadata"]["labels"].get("app") == "web"]) == 4
            )

        await eventually(four, what="4 web pods")
        orphan = await client.get(f"/api/v1/namespaces/{ns}/pods/orphan")
        assert orphan["metadata"]["ownerReferences"][0]["name"] == "web"
        other = await client.get(f"/api/v1/namespaces/{ns}/pods/other")
        assert not other["metadata"].get("ownerReferences")
        web = sorted(
            p["metadata"]["name"] for p in await pods(client, ns) if p["metadata"]["name"] != "other"
        )
        # 2 ready + scheduled, 1 scheduled not ready, 1 unscheduled
        await make_ready(client, ns, web[0], node="n1")
        await make_ready(client, ns, web[1], node="n1")
        await client.create(
            f"/api/v1/namespaces/{ns}/pods/{web[2]}/binding",
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": web[2]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": "n1"},
            },
        )
        await asyncio.sleep(0.5)
        await client.patch(f"/apis/apps/v1/namespaces/{ns}/replicasets/web", {"spec": {"replicas": 2}})

        async def two() -> bool:
            return {p["metadata"]["name"] for p in await pods(client, ns)} == {web[0], web[1], "other"}

        await eventually(two, what="the two ready pods survive")
        # releasing: a pod whose labels stop matching loses its controller reference
        await client.patch(f"/api/v1/namespaces/{ns}/pods/{web[0]}", {"metadata": {"labels": {"app": "x"}}})

        async def released() -> bool:
            p = await client.get(f"/api/v1/namespaces/{ns}/pods/{web[0]}")
            return not p["metadata"].get("ownerReferences")

        await eventually(released, what="pod released")

        async def replaced() -> bool:
            return (
                len([p for p in await pods(client, ns) if p["metadata"]["labels"].get("app") == "web"]) == 2
            )

        await eventually(replaced, what="a replacement for the released pod")


async def test_no_duplicates_under_rapid_syncs(client: RESTClient, ctx: ControllerContext) -> None:
    ns = await new_ns(client)
    ctrl = ReplicaSetController(ctx)  # no workers: we drive sync() ourselves
    ctx.informers.start()
    for inf in ctrl.informers():
        assert await inf.wait_for_sync(10)
    await client.create(f"/apis/apps/v1/namespaces/{ns}/replicasets", rs_body("burst", 5))
    key = f"{ns}/burst"

    async def cached() -> bool:
        return ctrl.rs_informer.get(ns, "burst") is not None

    await eventually(cached, what="rs in cache")
    await ctrl.sync(key)
    # the informer has not necessarily seen the new pods: expectations stop a second round
    for _ in range(3):
        await ctrl.sync(key)
    assert len(await pods(client, ns)) == 5

    async def observed() -> bool:
        return ctrl.expectations.satisfied(key)

    await eventually(observed, what="creations observed")
    await ctrl.sync(key)
    await asyncio.sleep(0.3)
    assert len(await pods(client, ns)) == 5


async def test_replica_failure_condition(client: RESTClient, ctx: ControllerContext) -> None:
    ns = await new_ns(client)
    body = rs_body("broken", 2)
    body["spec"]["template"]["spec"]["serviceAccountName"] = "missing"
    await client.create(f"/apis/apps/v1/namespaces/{ns}/replicasets", body)
    async with running(ctx):

        async def failed() -> bool:
            rs = await client.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/broken")
            conds = (rs.get("status") or {}).get("conditions") or []
            return any(c["type"] == "ReplicaFailure" and c["reason"] == "FailedCreate" for c in conds)

        await eventually(failed, what="ReplicaFailure condition")

        async def warned() -> bool:
            evs = (await client.list(f"/api/v1/namespaces/{ns}/events"))["items"]
            return any(e["reason"] == "FailedCreate" and e["type"] == "Warning" for e in evs)

        await eventually(warned, what="FailedCreate event")
        # once pods can be created the condition goes away
        await client.create(f"/api/v1/namespaces/{ns}/serviceaccounts", {"metadata": {"name": "missing"}})

        async def healed() -> bool:
            rs = await client.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/broken")
            st = rs.get("status") or {}
            return st.get("replicas") == 2 and not [
                c for c in st.get("conditions") or [] if c["type"] == "ReplicaFailure"
            ]

        await eventually(healed, timeout=30, what="ReplicaFailure cleared")


def test_pod_available_honours_min_ready_seconds() -> None:
    now = now_utc()
    pod = _pod("p", "n1", "Running", True, created=format_time(now))
    assert pod_available(pod, 0, now)
    assert not pod_available(pod, 10, now)
    assert pod_available(pod, 10, now + timedelta(seconds=11))
    assert not pod_available(_pod("q", "n1", "Running", False), 0, now)
