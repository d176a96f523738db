"""The REST client, leader election and the event recorder against a real `kyb up`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformer
from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.leaderelection import LeaderElectionConfig, LeaderElector
from kybernetes.client.rest import ApiError, RESTClient, is_already_exists, is_not_found, resource_path
from kybernetes.testing.cluster import KybCluster


def test_resource_path() -> None:
    assert resource_path("", "v1", "pods") == "/api/v1/pods"
    assert resource_path("", "v1", "pods", "ns1") == "/api/v1/namespaces/ns1/pods"
    assert resource_path("", "v1", "pods", "ns1", "p", "status") == "/api/v1/namespaces/ns1/pods/p/status"
    assert (
        resource_path("apps", "v1", "deployments", "d", "x", "scale")
        == "/apis/apps/v1/namespaces/d/deployments/x/scale"
    )
    # cluster-scoped resources ignore the namespace
    assert resource_path("", "v1", "nodes", "ns1", "n1") == "/api/v1/nodes/n1"
    assert (
        resource_path("", "v1", "namespaces", None, "kube-system", "finalize")
        == "/api/v1/namespaces/kube-system/finalize"
    )
    assert (
        resource_path("example.com", "v1", "widgets", "a", "w", namespaced=True)
        == "/apis/example.com/v1/namespaces/a/widgets/w"
    )
    with pytest.raises(ValueError):
        resource_path("", "v1", "pods", "ns", None, "status")


@pytest.fixture
async def client(cluster: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(cluster.kubeconfig))
    yield c
    await c.close()


@pytest.fixture
def ns(cluster: KybCluster) -> str:
    name = "rc-" + uuid.uuid4().hex[:8]
    cluster.kubectl(
        "create", "-f", "-", input=f'{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{name}"}}}}'
    )
    return name


async def test_crud_patch_and_errors(client: RESTClient, ns: str) -> None:
    coll = resource_path("", "v1", "configmaps", ns)
    created = await client.create(coll, {"metadata": {"name": "a"}, "data": {"k": "v"}})
    assert created["metadata"]["uid"] and created["data"] == {"k": "v"}
    with pytest.raises(ApiError) as ei:
        await client.create(coll, {"metadata": {"name": "a"}})
    assert ei.value.code == 409 and is_already_exists(ei.value)
    assert ei.value.status["kind"] == "Status" and ei.value.details.get("name") == "a"
    got = await client.get(f"{coll}/a")
    got["data"]["k"] = "v2"
    updated = await client.update(f"{coll}/a", got)
    assert updated["data"]["k"] == "v2"
    merged = await client.patch(f"{coll}/a", {"data": {"x": "1"}}, "merge")
    assert merged["data"] == {"k": "v2", "x": "1"}
    jp = await client.patch(f"{coll}/a", [{"op": "remove", "path": "/data/x"}], "json")
    assert jp["data"] == {"k": "v2"}
    sp = await client.patch(f"{coll}/a", {"metadata": {"labels": {"l": "1"}}}, "strategic")
    assert sp["metadata"]["labels"] == {"l": "1"}
    listed = await client.list(coll, {"labelSelector": "l=1"})
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a"]
    # optimistic concurrency: a stale resourceVersion is a 409 Conflict
    with pytest.raises(ApiError) as ei:
        await client.update(f"{coll}/a", got)
    assert ei.value.code == 409 and ei.value.reason == "Conflict"
    await client.delete(f"{coll}/a")
    with pytest.raises(ApiError) as ei:
        await client.get(f"{coll}/a")
    assert is_not_found(ei.value) and ei.value.reason == "NotFound"
    assert 'configmaps "a" not found' in ei.value.message


async def test_list_all_pages(client: RESTClient, ns: str) -> None:
    coll = resource_path("", "v1", "configmaps", ns)
    for i in range(7):
        await client.create(coll, {"metadata": {"name": f"c{i}"}})
    res = await client.list_all(coll, page_size=3)
    # the root-ca publisher adds kube-root-ca.crt to every namespace
    names = sorted(i["metadata"]["name"] for i in res["items"] if i["metadata"]["name"] != "kube-root-ca.crt")
    assert names == [f"c{i}" for i in range(7)]
    assert res["metadata"]["resourceVersion"]


async def test_watch_stream(client: RESTClient, ns: str) -> None:
    coll = resource_path("", "v1", "configmaps", ns)
    rv = (await client.list(coll))["metadata"]["resourceVersion"]
    seen: list[tuple[str, str]] = []

    async def watch() -> None:
        # the root-ca publisher may add kube-root-ca.crt meanwhile: watch only our object
        async for etype, obj in client.watch(coll, rv, timeout=10, params={"fieldSelector": "metadata.name=w"}):
            if etype == "BOOKMARK":
                continue
            seen.append((etype, obj["metadata"]["name"]))
            if etype == "DELETED":
                return

    task = asyncio.create_task(watch())
    await client.create(coll, {"metadata": {"name": "w"}})
    await client.patch(f"{coll}/w", {"data": {"a": "b"}})
    await client.delete(f"{coll}/w")
    await asyncio.wait_for(task, 10)
    assert seen == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]


async def test_watch_too_old_resource_version_is_410_and_informer_relists(tmp_path: Path) -> None:
    with KybCluster(tmp_path / "small-cache", extra_args=["--default-watch-cache-size", "5"]) as c:
        async with RESTClient(load_kubeconfig(c.kubeconfig)) as client:
            coll = resource_path("", "v1", "configmaps", "default")
            # the controllers' own start-up writes in `default` would move the informer's resourceVersion on
            for _ in range(300):
                try:
                    await client.get(f"{coll}/kube-root-ca.crt")
                    break
                except ApiError:
                    await asyncio.sleep(0.1)
            first = await client.create(coll, {"metadata": {"name": "first"}})
            for i in range(20):
                await client.create(coll, {"metadata": {"name": f"c{i}"}})
            with pytest.raises(ApiError) as ei:
                async for _ in client.watch(coll, first["metadata"]["resourceVersion"], timeout=5):
                    pass
            assert ei.value.code == 410 and ei.value.reason in ("Expired", "Gone")
            # an informer whose resourceVersion falls out of the window relists and catches up
            inf = SharedInformer(client, "", "v1", "configmaps", namespace="default", watch_timeout=1.0)
            deleted: list[str] = []
            inf.add_event_handler(on_delete=lambda o: deleted.append(o["metadata"]["name"]))
            inf.start()
            try:
                assert await inf.wait_for_sync(10)
                inf.last_sync_resource_version = first["metadata"]["resourceVersion"]
                inf.indexer.add({"metadata": {"name": "ghost", "namespace": "default"}})
                # the current watch times out; the next one starts from "first": 410, relist
                for _ in range(200):
                    if inf.relists >= 2 and "ghost" in deleted:
                        break
                    await asyncio.sleep(0.05)
                assert inf.relists >= 2
                assert "ghost" in deleted and inf.get("default", "ghost") is None
                assert inf.get("default", "c19") is not None
                await client.delete(f"{coll}/c0")
                for _ in range(100):
                    if inf.get("default", "c0") is None:
                        break
                    await asyncio.sleep(0.05)
                assert inf.get("default", "c0") is None
            finally:
                await inf.stop()


async def test_event_recorder_aggregates_repeats(client: RESTClient, ns: str) -> None:
    cm = await client.create(resource_path("", "v1", "configmaps", ns), {"metadata": {"name": "ev"}})
    cm.setdefault("kind", "ConfigMap")
    cm.setdefault("apiVersion", "v1")
    rec = EventRecorder(client, "test-component", "host1")
    rec.event(cm, "Normal", "Tested", "hello")
    rec.event(cm, "Normal", "Tested", "hello")
    rec.event(cm, "Normal", "Tested", "hello")
    rec.event(cm, "Warning", "Other", "bad %s")
    await rec.flush()
    events = (await client.list(resource_path("", "v1", "events", ns)))["items"]
    by_reason = {e["reason"]: e for e in events}
    assert set(by_reason) == {"Tested", "Other"}
    ev = by_reason["Tested"]
    assert ev["count"] == 3 and ev["type"] == "Normal" and ev["message"] == "hello"
    assert ev["involvedObject"]["uid"] == cm["metadata"]["uid"]
    assert ev["involvedObject"]["kind"] == "ConfigMap"
    assert ev["source"] == {"component": "test-component", "host": "host1"}
    assert ev["metadata"]["name"].startswith("ev.")
    assert by_reason["Other"]["count"] == 1 and by_reason["Other"]["type"] == "Warning"
    await rec.close()


def _cfg(name: str, identity: str, **kw: object) -> LeaderElectionConfig:
    return LeaderElectionConfig(
        lock_namespace="kube-system",
        lock_name=name,
        identity=identity,
        lease_duration=2.0,
        renew_deadline=1.5,
        retry_period=0.2,
        **kw,  # type: ignore[arg-type]
    )


async def test_leader_election_single_leader_and_takeover(client: RESTClient) -> None:
    lease = "le-" + uuid.uuid4().hex[:8]
    leading: list[str] = []
    stopped: list[str] = []

    def make(identity: str) -> LeaderElector:
        async def lead() -> None:
            leading.append(identity)
            await asyncio.Event().wait()

        return LeaderElector(
            client,
            _cfg(
                lease, identity, on_started_leading=lead, on_stopped_leading=lambda: stopped.append(identity)
            ),
        )

    a, b = make("a"), make("b")
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    ta = asyncio.create_task(a.run(stop_a))
    for _ in range(100):
        if leading:
            break
        await asyncio.sleep(0.02)
    tb = asyncio.create_task(b.run(stop_b))
    await asyncio.sleep(1.0)
    assert leading == ["a"] and a.is_leader() and not b.is_leader()
    assert b.get_leader() == "a"
    spec = (await client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}"))["spec"]
    assert spec["holderIdentity"] == "a" and spec["leaseDurationSeconds"] == 2
    assert spec["leaseTransitions"] == 0 and spec["renewTime"] >= spec["acquireTime"]
    stop_a.set()
    await asyncio.wait_for(ta, 5)
    assert stopped == ["a"]
    for _ in range(100):
        if len(leading) == 2:
            break
        await asyncio.sleep(0.05)
    assert leading == ["a", "b"] and b.is_leader()
    spec = (await client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}"))["spec"]
    assert spec["holderIdentity"] == "b" and spec["leaseTransitions"] == 1
    stop_b.set()
    await asyncio.wait_for(tb, 5)


async def test_leader_election_takes_over_an_expired_lease(client: RESTClient) -> None:
    lease = "le-" + uuid.uuid4().hex[:8]
    # a holder that vanished without releasing
    await client.create(
        "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases",
        {
            "metadata": {"name": lease},
            "spec": {
                "holderIdentity": "ghost",
                "leaseDurationSeconds": 1,
                "renewTime": "2020-01-01T00:00:00.000000Z",
                "leaseTransitions": 4,
            },
        },
    )
    started = asyncio.Event()

    async def lead() -> None:
        started.set()
        await asyncio.Event().wait()

    el = LeaderElector(client, _cfg(lease, "new", on_started_leading=lead))
    stop = asyncio.Event()
    t = asyncio.create_task(el.run(stop))
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await asyncio.wait_for(started.wait(), 10)
    # the lease is judged by the local observation time, so it waits out one lease duration
    assert loop.time() - t0 >= 0.9
    spec = (await client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}"))["spec"]
    assert spec["holderIdentity"] == "new" and spec["leaseTransitions"] == 5
    stop.set()
    await asyncio.wait_for(t, 5)
    # released on stop
    spec = (await client.get(f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}"))["spec"]
    assert not spec.get("holderIdentity")


def test_leader_election_config_validation() -> None:
    with pytest.raises(ValueError):
        LeaderElectionConfig("kube-system", "x", "id", lease_duration=5, renew_deadline=6)
    with pytest.raises(ValueError):
        LeaderElectionConfig("kube-system", "x", "id", lease_duration=15, renew_deadline=2, retry_period=2)
