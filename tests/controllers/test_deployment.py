"""The Deployment controller (with the ReplicaSet controller) in-process against a real `kyb up`."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from kybernetes.api.timeutil import format_time, now_utc
from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformerFactory, metadata_only
from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.deployment import (
    DeploymentController,
    compute_hash,
    equal_ignore_hash,
    max_surge,
    max_unavailable,
    resolve_fenceposts,
    safe_encode_string,
)
from kybernetes.controllers.replicaset import ReplicaSetController
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(
        tmp_path_factory.mktemp("kyb-deploy"),
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
async def controllers(kyb: KybCluster, client: RESTClient) -> AsyncIterator[DeploymentController]:
    informers = SharedInformerFactory(client)
    recorder = EventRecorder(client, "kube-controller-manager")
    ctx = ControllerContext(
        config=load_kubeconfig(kyb.kubeconfig),
        client=client,
        informers=informers,
        recorder=recorder,
        metadata_informers=SharedInformerFactory(client, transform=metadata_only),
    )
    rsc = ReplicaSetController(ctx)
    dc = DeploymentController(ctx)
    stop = asyncio.Event()
    informers.start()
    tasks = [asyncio.create_task(rsc.run(stop)), asyncio.create_task(dc.run(stop))]
    yield dc
    stop.set()
    for t in tasks:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(t, 10)
    await recorder.close()
    await informers.stop()


async def eventually(fn: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await fn():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or fn}")
        await asyncio.sleep(0.05)


async def new_ns(client: RESTClient) -> str:
    name = "dp-" + uuid.uuid4().hex[:8]
    await client.create("/api/v1/namespaces", {"metadata": {"name": name}})

    async def has_sa() -> bool:
        try:
            await client.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")
            return True
        except ApiError:
            return False

    await eventually(has_sa, what="default service account")
    return name


def deploy_body(
    name: str, replicas: int, image: str = "nginx:1", strategy: Obj | None = None, **spec: Any
) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": strategy
            or {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
            **spec,
        },
    }


async def live_pods(client: RESTClient, ns: str) -> list[Obj]:
    items: list[Obj] = (await client.list(f"/api/v1/namespaces/{ns}/pods"))["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


async def replica_sets(client: RESTClient, ns: str) -> list[Obj]:
    items: list[Obj] = (await client.list(f"/apis/apps/v1/namespaces/{ns}/replicasets"))["items"]
    return items


def is_ready(p: Obj) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (p.get("status") or {}).get("conditions") or []
    )


async def make_ready(client: RESTClient, ns: str, name: str) -> None:
    await client.patch(
        f"/api/v1/namespaces/{ns}/pods/{name}/status",
        {
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "Ready", "status": "True", "lastTransitionTime": format_time(now_utc())}
                ],
            }
        },
        "merge",
    )


async def ready_all(client: RESTClient, ns: str) -> None:
    for p in await live_pods(client, ns):
        if not is_ready(p):
            await make_ready(client, ns, p["metadata"]["name"])


def cond(d: Obj, ctype: str) -> Obj:
    for c in (d.get("status") or {}).get("conditions") or []:
        if c["type"] == ctype:
            return dict(c)
    return {}


# --- unit tests ----------------------------------------------------------------------------------
def test_fenceposts_round_as_upstream() -> None:
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)  # surge rounds up, unavailable down
    assert resolve_fenceposts(0, 0, 3) == (0, 1)  # both zero: one may be unavailable
    assert resolve_fenceposts("10%", "10%", 1) == (1, 0)
    d = deploy_body(
        "x", 4, strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 9}}
    )
    assert (max_surge(d), max_unavailable(d)) == (2, 4)  # unavailable capped at replicas
    recreate = deploy_body("x", 4, strategy={"type": "Recreate"})
    assert (max_surge(recreate), max_unavailable(recreate)) == (0, 0)


def test_hash() -> None:
    t = deploy_body("x", 1)["spec"]["template"]
    h = compute_hash(t)
    assert h == compute_hash(t) and h != compute_hash(t, 1)
    assert set(h) <= set("bcdfghjklmnpqrstvwxz2456789") and 1 <= len(h) <= 10
    assert safe_encode_string("0123") == "4567"  # byte % 27 into the vowel-free alphabet
    with_hash = {"metadata": {"labels": {"app": "x", "pod-template-hash": h}}, "spec": t["spec"]}
    assert equal_ignore_hash(with_hash, t)


# --- against the API server ----------------------------------------------------------------------
async def test_rolling_update(client: RESTClient, controllers: DeploymentController) -> None:
    ns = await new_ns(client)
    dpath = f"/apis/apps/v1/namespaces/{ns}/deployments/web"
    await client.create(
        f"/apis/apps/v1/namespaces/{ns}/deployments", deploy_body("web", 3, revisionHistoryLimit=1)
    )

    async def one_rs() -> bool:
        return len(await replica_sets(client, ns)) == 1

    await eventually(one_rs, what="first replica set")
    rs = (await replica_sets(client, ns))[0]
    d = await client.get(dpath)
    h = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{h}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": h}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": h}
    ann = rs["metadata"]["annotations"]
    assert ann["deployment.kubernetes.io/revision"] == "1"
    assert ann["deployment.kubernetes.io/desired-replicas"] == "3"
    assert ann["deployment.kubernetes.io/max-replicas"] == "4"
    assert rs["metadata"]["ownerReferences"][0]["uid"] == d["metadata"]["uid"]

    async def three_pods() -> bool:
        return len(await live_pods(client, ns)) == 3

    await eventually(three_pods, what="3 pods")
    await ready_all(client, ns)

    async def complete() -> bool:
        d = await client.get(dpath)
        st = d.get("status") or {}
        return (
            st.get("availableReplicas") == 3
            and st.get("updatedReplicas") == 3
            and cond(d, "Progressing").get("reason") == "NewReplicaSetAvailable"
        )

    await eventually(complete, what="deployment complete")
    d = await client.get(dpath)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert d["status"]["observedGeneration"] == d["metadata"]["generation"]
    assert d["status"]["readyReplicas"] == 3 and d["status"].get("unavailableReplicas", 0) == 0
    assert cond(d, "Available") | {"lastUpdateTime": "", "lastTransitionTime": ""} == {
        "type": "Available",
        "status": "True",
        "reason": "MinimumReplicasAvailable",
        "message": "Deployment has minimum availability.",
        "lastUpdateTime": "",
        "lastTransitionTime": "",
    }
    assert cond(d, "Progressing")["message"] == f'ReplicaSet "web-{h}" has successfully progressed.'

    # a template change (as `kubectl set image` does) makes a new replica set and rolls
    old_name = rs["metadata"]["name"]
    await client.patch(
        dpath,
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}},
        "strategic",
    )
    observed_totals: list[int] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    new_name = ""
    while loop.time() < deadline:
        sets = await replica_sets(client, ns)
        total = sum(r["spec"]["replicas"] for r in sets)
        observed_totals.append(total)
        assert total <= 4, (
            f"maxSurge=1 exceeded: {[(r['metadata']['name'], r['spec']['replicas']) for r in sets]}"
        )
        ready = [p for p in await live_pods(client, ns) if is_ready(p)]
        assert len(ready) >= 3, "maxUnavailable=0 violated"
        news = [r for r in sets if r["metadata"]["name"] != old_name]
        if news:
            new_name = news[0]["metadata"]["name"]
            if (
                news[0]["spec"]["replicas"] == 3
                and next(r for r in sets if r["metadata"]["name"] == old_name)["spec"]["replicas"] == 0
            ):
                break
        # mark one new not-ready pod ready per step
        for p in await live_pods(client, ns):
            if not is_ready(p):
                await make_ready(client, ns, p["metadata"]["name"])
                break
        await asyncio.sleep(0.3)
    else:
        raise AssertionError("rollout did not finish")
    assert new_name.startswith("web-") and new_name != old_name
    assert 4 in observed_totals
    await ready_all(client, ns)
    await eventually(complete, what="rollout complete")
    d = await client.get(dpath)
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert cond(d, "Progressing")["message"] == f'ReplicaSet "{new_name}" has successfully progressed.'
    new_rs = await client.get(f"/apis/apps/v1/namespaces/{ns}/replicasets/{new_name}")
    assert new_rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"

    async def scaled_events() -> bool:
        evs = (await client.list(f"/api/v1/namespaces/{ns}/events"))["items"]
        msgs = {e["message"] for e in evs if e["reason"] == "ScalingReplicaSet"}
        return f"Scaled up replica set {old_name} from 0 to 3" in msgs and any(
            m.startswith(f"Scaled down replica set {old_name} from 3 to ") for m in msgs
        )

    await eventually(scaled_events, what="ScalingReplicaSet events")

    # a third revision (as `kubectl rollout restart`): history limit 1 removes the oldest
    await client.patch(
        dpath,
        {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}},
        "merge",
    )

    async def third() -> bool:
        await ready_all(client, ns)
        sets = await replica_sets(client, ns)
        names = {r["metadata"]["name"] for r in sets}
        return (
            len(names) == 2
            and old_name not in names
            and new_name in names
            and all(r["spec"]["replicas"] == (0 if r["metadata"]["name"] == new_name else 3) for r in sets)
        )

    await eventually(third, timeout=40, what="third revision and history cleanup")
    await eventually(complete, what="third rollout complete")


async def test_scale_pause_and_recreate(client: RESTClient, controllers: DeploymentController) -> None:
    ns = await new_ns(client)
    dpath = f"/apis/apps/v1/namespaces/{ns}/deployments/db"
    await client.create(
        f"/apis/apps/v1/namespaces/{ns}/deployments", deploy_body("db", 2, strategy={"type": "Recreate"})
    )

    async def pods_n(n: int) -> bool:
        return len(await live_pods(client, ns)) == n

    await eventually(lambda: pods_n(2), what="2 pods")
    await ready_all(client, ns)
    # scaling changes the replica set and its desired-replicas annotation
    await client.patch(dpath, {"spec": {"replicas": 4}})
    await eventually(lambda: pods_n(4), what="scaled to 4")

    async def annotated() -> bool:
        sets = await replica_sets(client, ns)
        return (
            len(sets) == 1
            and sets[0]["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "4"
        )

    await eventually(annotated, what="desired-replicas=4")
    # paused: a template change makes no new replica set
    await client.patch(dpath, {"spec": {"paused": True}})

    async def paused_cond() -> bool:
        c = cond(await client.get(dpath), "Progressing")
        return c.get("reason") == "DeploymentPaused" and c.get("status") == "Unknown"

    await eventually(paused_cond, what="DeploymentPaused")
    await client.patch(dpath, {"spec": {"template": {"metadata": {"labels": {"app": "db", "v": "2"}}}}})
    await asyncio.sleep(1.0)
    assert len(await replica_sets(client, ns)) == 1
    # resumed: Recreate scales the old set to zero before the new one comes up
    await client.patch(dpath, {"spec": {"paused": False}})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        sets = await replica_sets(client, ns)
        if len(sets) == 2:
            old = next(r for r in sets if "v" not in r["spec"]["template"]["metadata"]["labels"])
            new = next(r for r in sets if "v" in r["spec"]["template"]["metadata"]["labels"])
            if new["spec"]["replicas"] > 0:
                assert old["spec"]["replicas"] == 0
                assert not [p for p in await live_pods(client, ns) if p["metadata"]["labels"].get("v") != "2"]
                break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("recreate did not bring up the new replica set")
    await eventually(lambda: pods_n(4), what="4 new pods")
    await ready_all(client, ns)

    async def done() -> bool:
        d = await client.get(dpath)
        return (
            cond(d, "Progressing").get("reason") == "NewReplicaSetAvailable"
            and cond(d, "Available").get("status") == "True"
            and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
        )

    await eventually(done, what="recreate complete")


async def test_progress_deadline_exceeded(client: RESTClient, controllers: DeploymentController) -> None:
    ns = await new_ns(client)
    dpath = f"/apis/apps/v1/namespaces/{ns}/deployments/slow"
    await client.create(
        f"/apis/apps/v1/namespaces/{ns}/deployments", deploy_body("slow", 2, progressDeadlineSeconds=1)
    )

    async def timed_out() -> bool:
        d = await client.get(dpath)
        c = cond(d, "Progressing")
        return c.get("reason") == "ProgressDeadlineExceeded" and c.get("status") == "False"

    await eventually(timed_out, timeout=30, what="ProgressDeadlineExceeded")
    d = await client.get(dpath)
    rs_name = (await replica_sets(client, ns))[0]["metadata"]["name"]
    assert cond(d, "Progressing")["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.'
    assert cond(d, "Available")["reason"] == "MinimumReplicasUnavailable"
    assert cond(d, "Available")["message"] == "Deployment does not have minimum availability."
    assert d["status"]["unavailableReplicas"] == 2


async def test_proportional_scaling_during_rollout(
    client: RESTClient, controllers: DeploymentController
) -> None:
    ns = await new_ns(client)
    dpath = f"/apis/apps/v1/namespaces/{ns}/deployments/prop"
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    await client.create(
        f"/apis/apps/v1/namespaces/{ns}/deployments", deploy_body("prop", 10, strategy=strategy)
    )

    async def pods_n(n: int) -> bool:
        return len(await live_pods(client, ns)) == n

    await eventually(lambda: pods_n(10), what="10 pods")
    await ready_all(client, ns)

    async def available(n: int) -> bool:
        await ready_all(client, ns)  # the kubelet stand-in readies whatever pods exist
        return int(((await client.get(dpath)).get("status") or {}).get("availableReplicas") or 0) == n

    try:
        await eventually(lambda: available(10), what="10 available")
    except AssertionError:
        sets = [(r["metadata"]["name"], r["spec"], r.get("status")) for r in await replica_sets(client, ns)]
        ps = [(p["metadata"]["name"], is_ready(p)) for p in await live_pods(client, ns)]
        raise AssertionError(f"{(await client.get(dpath)).get('status')}\n{sets}\n{ps}") from None
    first = (await replica_sets(client, ns))[0]["metadata"]["name"]
    await client.patch(dpath, {"spec": {"template": {"metadata": {"labels": {"app": "prop", "v": "2"}}}}})

    async def sizes(old: int, new: int) -> bool:
        sets = await replica_sets(client, ns)
        got = {("old" if r["metadata"]["name"] == first else "new"): r["spec"]["replicas"] for r in sets}
        return got == {"old": old, "new": new}

    # new pods never become ready: the rollout stops at maxSurge/maxUnavailable
    await eventually(lambda: sizes(8, 5), what="old 8 / new 5")
    await asyncio.sleep(0.5)
    assert await sizes(8, 5)
    # scaling mid-rollout spreads the 10 extra replicas in proportion (upstream's example)
    await client.patch(dpath, {"spec": {"replicas": 20}})
    await eventually(lambda: sizes(14, 9), what="old 14 / new 9")
    for rs in await replica_sets(client, ns):
        ann = rs["metadata"]["annotations"]
        assert ann["deployment.kubernetes.io/desired-replicas"] == "20"
        assert ann["deployment.kubernetes.io/max-replicas"] == "23"
