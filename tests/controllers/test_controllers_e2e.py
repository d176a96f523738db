"""The controller manager running in-process against a real `kyb up`."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.controllers.manager import ControllerManager, ControllerManagerOptions
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(tmp_path_factory.mktemp("kyb-controllers"))
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def client(kyb: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(kyb.kubeconfig))
    yield c
    await c.close()


@pytest.fixture
async def manager(kyb: KybCluster) -> AsyncIterator[ControllerManager]:
    m = ControllerManager(load_kubeconfig(kyb.kubeconfig), ControllerManagerOptions(leader_elect=False))
    stop = asyncio.Event()
    task = asyncio.create_task(m.run(stop))
    await asyncio.wait_for(m.leading.wait(), 10)
    yield m
    stop.set()
    await asyncio.wait_for(task, 15)


async def eventually(fn: Callable[[], Awaitable[bool]], timeout: float = 15.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await fn():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or fn}")
        await asyncio.sleep(0.05)


async def exists(client: RESTClient, path: str) -> bool:
    try:
        await client.get(path)
        return True
    except ApiError as e:
        if e.code == 404:
            return False
        raise


async def gone(client: RESTClient, path: str) -> bool:
    return not await exists(client, path)


async def new_ns(client: RESTClient) -> str:
    name = "c-" + uuid.uuid4().hex[:8]
    await client.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    return name


def owner_ref(obj: Obj, kind: str = "ConfigMap", api_version: str = "v1", **extra: Any) -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        **extra,
    }


async def test_new_namespace_gets_default_sa_and_root_ca(
    client: RESTClient, manager: ControllerManager, kyb: KybCluster
) -> None:
    ns = await new_ns(client)
    await eventually(
        lambda: exists(client, f"/api/v1/namespaces/{ns}/serviceaccounts/default"), what="default SA"
    )
    cm_path = f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt"
    await eventually(lambda: exists(client, cm_path), what="kube-root-ca.crt")
    cm = await client.get(cm_path)
    ca = load_kubeconfig(kyb.kubeconfig).ca_pem
    assert ca and cm["data"]["ca.crt"] == ca.decode()
    assert cm["metadata"]["annotations"]["kubernetes.io/description"].startswith("Contains a CA bundle")
    # the controllers repair what users break
    await client.patch(cm_path, {"data": {"ca.crt": "junk"}})

    async def repaired() -> bool:
        return bool((await client.get(cm_path))["data"]["ca.crt"] == ca.decode())

    await eventually(repaired, what="kube-root-ca.crt repaired")
    await client.delete(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
    await eventually(
        lambda: exists(client, f"/api/v1/namespaces/{ns}/serviceaccounts/default"), what="SA recreated"
    )
    # pods can now be admitted (they need the default service account)
    await client.create(
        f"/api/v1/namespaces/{ns}/pods",
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
    )


async def test_namespace_deletion_removes_content_then_namespace(
    client: RESTClient, manager: ControllerManager
) -> None:
    ns = await new_ns(client)
    await eventually(
        lambda: exists(client, f"/api/v1/namespaces/{ns}/serviceaccounts/default"), what="default SA"
    )
    for i in range(3):
        await client.create(f"/api/v1/namespaces/{ns}/configmaps", {"metadata": {"name": f"cm{i}"}})
    await client.create(
        f"/api/v1/namespaces/{ns}/secrets", {"metadata": {"name": "s"}, "stringData": {"a": "b"}}
    )
    await client.create(
        f"/api/v1/namespaces/{ns}/pods",
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
    )
    await client.create(
        f"/apis/apps/v1/namespaces/{ns}/deployments",
        {
            "metadata": {"name": "d"},
            "spec": {
                "selector": {"matchLabels": {"a": "b"}},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        },
    )
    # one object held by a finalizer keeps the namespace Terminating
    await client.create(
        f"/api/v1/namespaces/{ns}/configmaps",
        {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}},
    )
    await client.delete(f"/api/v1/namespaces/{ns}")

    async def conditions() -> dict[str, Obj]:
        st = (await client.get(f"/api/v1/namespaces/{ns}")).get("status") or {}
        return {c["type"]: c for c in st.get("conditions") or []}

    async def reports_remaining() -> bool:
        c = await conditions()
        return c.get("NamespaceFinalizersRemaining", {}).get("status") == "True"

    await eventually(reports_remaining, what="NamespaceFinalizersRemaining")
    conds = await conditions()
    assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert (
        conds["NamespaceContentRemaining"]["message"]
        == "Some resources are remaining: configmaps has 1 resource instances"
    )
    assert conds["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    )
    assert conds["NamespaceDeletionDiscoveryFailure"]["status"] == "False"
    assert conds["NamespaceDeletionContentFailure"]["status"] == "False"
    ns_obj = await client.get(f"/api/v1/namespaces/{ns}")
    assert ns_obj["status"]["phase"] == "Terminating"
    assert (await client.list(f"/api/v1/namespaces/{ns}/pods"))["items"] == []
    assert (await client.list(f"/apis/apps/v1/namespaces/{ns}/deployments"))["items"] == []
    assert [
        c["metadata"]["name"] for c in (await client.list(f"/api/v1/namespaces/{ns}/configmaps"))["items"]
    ] == ["held"]
    await client.patch(f"/api/v1/namespaces/{ns}/configmaps/held", {"metadata": {"finalizers": None}})
    await eventually(lambda: gone(client, f"/api/v1/namespaces/{ns}"), what="namespace removed")


async def test_gc_background_deletes_dependents(client: RESTClient, manager: ControllerManager) -> None:
    ns = await new_ns(client)
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    owner = await client.create(coll, {"metadata": {"name": "owner"}})
    await client.create(coll, {"metadata": {"name": "dep1", "ownerReferences": [owner_ref(owner)]}})
    secret = await client.create(
        f"/api/v1/namespaces/{ns}/secrets",
        {"metadata": {"name": "dep2", "ownerReferences": [owner_ref(owner)]}},
    )
    # a grandchild goes too
    await client.create(
        coll, {"metadata": {"name": "grandchild", "ownerReferences": [owner_ref(secret, "Secret")]}}
    )
    # a dependent with a second, living owner only loses the reference
    other = await client.create(coll, {"metadata": {"name": "other"}})
    await client.create(
        coll, {"metadata": {"name": "shared", "ownerReferences": [owner_ref(owner), owner_ref(other)]}}
    )
    await asyncio.sleep(0.3)
    await client.delete(f"{coll}/owner")
    for path in (f"{coll}/dep1", f"/api/v1/namespaces/{ns}/secrets/dep2", f"{coll}/grandchild"):
        await eventually(lambda path=path: gone(client, path), what=path)  # type: ignore[misc]

    async def shared_unowned() -> bool:
        refs = (await client.get(f"{coll}/shared"))["metadata"].get("ownerReferences") or []
        return [r["name"] for r in refs] == ["other"]

    await eventually(shared_unowned, what="shared keeps its living owner")


async def test_gc_dangling_reference_at_creation(client: RESTClient, manager: ControllerManager) -> None:
    ns = await new_ns(client)
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "name": "never", "uid": str(uuid.uuid4())}
    await client.create(coll, {"metadata": {"name": "orphaned", "ownerReferences": [ghost]}})
    await eventually(lambda: gone(client, f"{coll}/orphaned"), what="dependent of a missing owner deleted")


async def test_gc_orphan_keeps_dependents_without_owner_refs(
    client: RESTClient, manager: ControllerManager
) -> None:
    ns = await new_ns(client)
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    owner = await client.create(coll, {"metadata": {"name": "owner"}})
    for i in range(2):
        await client.create(coll, {"metadata": {"name": f"dep{i}", "ownerReferences": [owner_ref(owner)]}})
    await asyncio.sleep(0.3)
    await client.delete(f"{coll}/owner", propagation_policy="Orphan")
    await eventually(lambda: gone(client, f"{coll}/owner"), what="owner removed")
    for i in range(2):
        dep = await client.get(f"{coll}/dep{i}")
        assert not dep["metadata"].get("ownerReferences")
    await asyncio.sleep(0.5)
    assert await exists(client, f"{coll}/dep0")


async def test_gc_foreground_removes_dependents_before_owner(
    client: RESTClient, manager: ControllerManager
) -> None:
    ns = await new_ns(client)
    coll = f"/api/v1/namespaces/{ns}/configmaps"
    owner = await client.create(coll, {"metadata": {"name": "owner"}})
    await client.create(
        coll, {"metadata": {"name": "dep", "ownerReferences": [owner_ref(owner, blockOwnerDeletion=True)]}}
    )
    await client.create(
        coll,
        {
            "metadata": {
                "name": "held",
                "finalizers": ["example.com/hold"],
                "ownerReferences": [owner_ref(owner, blockOwnerDeletion=True)],
            }
        },
    )
    await asyncio.sleep(0.3)
    await client.delete(f"{coll}/owner", propagation_policy="Foreground")
    await eventually(lambda: gone(client, f"{coll}/dep"), what="dependent deleted")

    async def held_deleting() -> bool:
        return bool((await client.get(f"{coll}/held"))["metadata"].get("deletionTimestamp"))

    await eventually(held_deleting, what="blocking dependent being deleted")
    # the owner waits for its blocking dependent
    await asyncio.sleep(0.5)
    o = await client.get(f"{coll}/owner")
    assert o["metadata"]["deletionTimestamp"] and "foregroundDeletion" in o["metadata"]["finalizers"]
    await client.patch(f"{coll}/held", {"metadata": {"finalizers": None}})
    await eventually(lambda: gone(client, f"{coll}/held"), what="held removed")
    await eventually(lambda: gone(client, f"{coll}/owner"), what="owner removed after its dependents")


async def test_leader_election_between_two_managers(
    kyb: KybCluster, client: RESTClient, tmp_path: Path
) -> None:
    lease = "kcm-" + uuid.uuid4().hex[:8]

    def opts(identity: str) -> ControllerManagerOptions:
        return ControllerManagerOptions(
            controllers="serviceaccount",
            identity=identity,
            lease_name=lease,
            lease_duration=2.0,
            renew_deadline=1.5,
            retry_period=0.2,
        )

    cfg = load_kubeconfig(kyb.kubeconfig)
    a, b = ControllerManager(cfg, opts("a")), ControllerManager(cfg, opts("b"))
    stop_a, stop_b = asyncio.Event(), asyncio.Event()
    ta = asyncio.create_task(a.run(stop_a))
    await asyncio.wait_for(a.leading.wait(), 10)
    tb = asyncio.create_task(b.run(stop_b))
    await asyncio.sleep(1.0)
    assert a.leading.is_set() and not b.leading.is_set()
    lease_path = f"/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/{lease}"
    assert (await client.get(lease_path))["spec"]["holderIdentity"] == "a"
    stop_a.set()
    await asyncio.wait_for(ta, 10)
    await asyncio.wait_for(b.leading.wait(), 10)
    assert (await client.get(lease_path))["spec"]["holderIdentity"] == "b"
    # the new leader's controllers work
    ns = await new_ns(client)
    await eventually(
        lambda: exists(client, f"/api/v1/namespaces/{ns}/serviceaccounts/default"), what="default SA"
    )
    events = (await client.list("/api/v1/namespaces/kube-system/events"))["items"]
    assert any(
        e["reason"] == "LeaderElection"
        and e["involvedObject"]["name"] == lease
        and e["message"] == "b became leader"
        for e in events
    )
    stop_b.set()
    await asyncio.wait_for(tb, 10)
