"""Simulated nodes (kwok-style) against a real `kyb up`."""

from __future__ import annotations

import asyncio
import ipaddress
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.kubelet.simulated import (
    NodeSimulator,
    SimulatedNode,
    default_pod_cidr,
    node_internal_ip,
    run_duration,
    run_simulated_nodes,
)
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]


# --- pure helpers ------------------------------------------------------------------------------------
def test_pod_cidrs_and_node_ips_are_distinct() -> None:
    assert default_pod_cidr(0) == "10.244.0.0/24"
    assert default_pod_cidr(7) == "10.244.7.0/24"
    assert default_pod_cidr(256) == "10.245.0.0/24"
    assert len({default_pod_cidr(i) for i in range(2000)}) == 2000
    assert len({node_internal_ip(i) for i in range(2000)}) == 2000
    assert node_internal_ip(0) == "10.0.0.1"


def test_ip_allocation_is_stable_and_released() -> None:
    n = SimulatedNode("n", 3, default_pod_cidr(3), node_internal_ip(3))
    a = n.allocate_ip("a")
    b = n.allocate_ip("b")
    assert a != b and n.allocate_ip("a") == a
    assert ipaddress.ip_address(a) in ipaddress.ip_network("10.244.3.0/24")
    assert a != "10.244.3.1"  # the gateway is never given out
    n.release_ip("a")
    assert n.allocate_ip("c") == a


def test_run_duration() -> None:
    job_pod: Obj = {
        "metadata": {"ownerReferences": [{"kind": "Job", "name": "j"}]},
        "spec": {"restartPolicy": "Never"},
    }
    assert run_duration(job_pod) == 1.0
    job_pod["metadata"]["annotations"] = {"kyb.io/simulated-duration": "2.5"}
    assert run_duration(job_pod) == 2.5
    plain: Obj = {
        "metadata": {"annotations": {"kyb.io/simulated-duration": "3"}},
        "spec": {"restartPolicy": "Never"},
    }
    assert run_duration(plain) == 3.0
    plain["spec"]["restartPolicy"] = "Always"
    assert run_duration(plain) is None
    assert run_duration({"metadata": {}, "spec": {"restartPolicy": "OnFailure"}}) is None


# --- against a cluster -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(tmp_path_factory.mktemp("kyb-simulated"))
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def client(kyb: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(kyb.kubeconfig))
    yield c
    await c.close()


async def eventually(fn: Callable[[], Awaitable[bool]], timeout: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if await fn():
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def get_or_none(client: RESTClient, path: str) -> Obj | None:
    try:
        return await client.get(path)
    except ApiError as e:
        if e.code == 404:
            return None
        raise


async def make_namespace(client: RESTClient) -> str:
    ns = "sim-" + uuid.uuid4().hex[:8]
    await client.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
    )

    async def has_sa() -> bool:
        return await get_or_none(client, f"/api/v1/namespaces/{ns}/serviceaccounts/default") is not None

    await eventually(has_sa, 30, "the default ServiceAccount")
    return ns


def pod_body(name: str, node: str, **meta: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **meta},
        "spec": {
            "nodeName": node,
            "restartPolicy": "Always",
            "containers": [{"name": "app", "image": "busybox:1.36"}],
        },
    }


def condition(obj: Obj, type_: str) -> Obj:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return {}


async def test_simulated_nodes_lifecycle(kyb: KybCluster, client: RESTClient) -> None:
    prefix = "sim-" + uuid.uuid4().hex[:5] + "-"
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_simulated_nodes(
            kyb.kubeconfig, stop, 3, prefix=prefix, labels={"pool": "sim"}, heartbeat_interval=2.0
        )
    )
    names = [f"{prefix}{i}" for i in range(3)]
    try:
        # nodes register Ready, with capacity, addresses, node info and labels
        async def nodes_ready() -> bool:
            for n in names:
                node = await get_or_none(client, f"/api/v1/nodes/{n}")
                if node is None or condition(node, "Ready").get("status") != "True":
                    return False
            return True

        await eventually(nodes_ready, 20, "simulated nodes Ready")
        node = await client.get(f"/api/v1/nodes/{names[1]}")
        st = node["status"]
        assert st["capacity"]["cpu"] == "4" and st["allocatable"]["memory"] == "16Gi"
        assert st["capacity"]["pods"] == "110" and "ephemeral-storage" in st["capacity"]
        assert condition(node, "Ready")["reason"] == "KubeletReady"
        assert condition(node, "Ready")["message"] == "kubelet is posting ready status"
        for t in ("MemoryPressure", "DiskPressure", "PIDPressure"):
            assert condition(node, t)["status"] == "False"
        assert {"type": "InternalIP", "address": "10.0.0.2"} in st["addresses"]
        assert {"type": "Hostname", "address": names[1]} in st["addresses"]
        assert st["nodeInfo"]["kubeletVersion"] == "v1.32.0"
        assert st["nodeInfo"]["containerRuntimeVersion"] == "kyb-simulated://0.1"
        assert st["nodeInfo"]["architecture"] == "amd64" and st["nodeInfo"]["operatingSystem"] == "linux"
        assert st["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
        labels = node["metadata"]["labels"]
        assert labels["kubernetes.io/hostname"] == names[1]
        assert labels["kubernetes.io/os"] == "linux" and labels["kubernetes.io/arch"] == "amd64"
        assert "node.kubernetes.io/instance-type" in labels and labels["pool"] == "sim"

        # each node holds a Lease in kube-node-lease
        lease_path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{names[0]}"
        lease = await client.get(lease_path)
        assert lease["spec"]["holderIdentity"] == names[0]
        assert lease["spec"]["leaseDurationSeconds"] == 40
        assert lease["metadata"]["ownerReferences"][0]["kind"] == "Node"

        ns = await make_namespace(client)
        pods = f"/api/v1/namespaces/{ns}/pods"

        # a pod bound to a simulated node runs, Ready, with an IP from the node's range
        await client.create(pods, pod_body("web", names[2]))

        async def running() -> bool:
            p = await client.get(f"{pods}/web")
            return (
                p.get("status", {}).get("phase") == "Running"
                and condition(p, "Ready").get("status") == "True"
            )

        await eventually(running, 20, "pod Running")
        pod = await client.get(f"{pods}/web")
        pst = pod["status"]
        assert ipaddress.ip_address(pst["podIP"]) in ipaddress.ip_network("10.244.2.0/24")
        assert pst["podIPs"] == [{"ip": pst["podIP"]}]
        assert pst["hostIP"] == "10.0.0.3" and pst["startTime"]
        for t in ("PodScheduled", "Initialized", "ContainersReady", "Ready"):
            assert condition(pod, t)["status"] == "True", t
        (cs,) = pst["containerStatuses"]
        assert cs["ready"] is True and cs["started"] is True and cs["restartCount"] == 0
        assert "running" in cs["state"] and cs["imageID"]
        assert cs["containerID"].startswith("kyb-simulated://")

        # a Job's pod succeeds after its (default 1 s) run; the owner must exist or the garbage
        # collector deletes the pod (a suspended Job, so no Job controller makes pods of its own)
        job = await client.create(
            f"/apis/batch/v1/namespaces/{ns}/jobs",
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "metadata": {"name": "x"},
                "spec": {
                    "suspend": True,
                    "template": {
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [{"name": "c", "image": "busybox:1.36"}],
                        }
                    },
                },
            },
        )
        job_pod = pod_body(
            "job-x",
            names[0],
            ownerReferences=[
                {"apiVersion": "batch/v1", "kind": "Job", "name": "x", "uid": job["metadata"]["uid"]}
            ],
        )
        job_pod["spec"]["restartPolicy"] = "Never"
        await client.create(pods, job_pod)

        async def succeeded() -> bool:
            p = await client.get(f"{pods}/job-x")
            return bool(p.get("status", {}).get("phase") == "Succeeded")

        await eventually(succeeded, 20, "job pod Succeeded")
        done = await client.get(f"{pods}/job-x")
        term = done["status"]["containerStatuses"][0]["state"]["terminated"]
        assert term["reason"] == "Completed" and term["exitCode"] == 0
        assert condition(done, "Ready")["status"] == "False"

        # a restartPolicy Never pod with a simulated duration succeeds; init containers complete;
        # a host-network pod gets the node's IP
        batch = pod_body("batch", names[1], annotations={"kyb.io/simulated-duration": "0"})
        batch["spec"]["restartPolicy"] = "Never"
        batch["spec"]["initContainers"] = [{"name": "init", "image": "busybox:1.36"}]
        await client.create(pods, batch)
        host = pod_body("host", names[1])
        host["spec"]["hostNetwork"] = True
        await client.create(pods, host)

        async def batch_done() -> bool:
            p = await client.get(f"{pods}/batch")
            h = await client.get(f"{pods}/host")
            return bool(p["status"].get("phase") == "Succeeded" and h["status"].get("phase") == "Running")

        await eventually(batch_done, 20, "batch pod Succeeded, host pod Running")
        b = await client.get(f"{pods}/batch")
        init = b["status"]["initContainerStatuses"][0]
        assert init["state"]["terminated"]["reason"] == "Completed" and init["ready"] is True
        h = await client.get(f"{pods}/host")
        assert h["status"]["podIP"] == h["status"]["hostIP"] == "10.0.0.2"

        # readiness gates: Ready waits for the gate's condition, which the simulator keeps
        gated = pod_body("gated", names[0])
        gated["spec"]["readinessGates"] = [{"conditionType": "example.com/lb"}]
        await client.create(pods, gated)

        async def gated_running() -> bool:
            return bool((await client.get(f"{pods}/gated"))["status"].get("phase") == "Running")

        await eventually(gated_running, 20, "gated pod Running")
        g = await client.get(f"{pods}/gated")
        assert condition(g, "ContainersReady")["status"] == "True"
        assert condition(g, "Ready")["status"] == "False"
        assert condition(g, "Ready")["reason"] == "ReadinessGatesNotReady"
        conds = g["status"]["conditions"] + [{"type": "example.com/lb", "status": "True"}]
        await client.patch(f"{pods}/gated/status", {"status": {"conditions": conds}})

        async def gated_ready() -> bool:
            return condition(await client.get(f"{pods}/gated"), "Ready").get("status") == "True"

        await eventually(gated_ready, 20, "gated pod Ready")
        assert condition(await client.get(f"{pods}/gated"), "example.com/lb")["status"] == "True"

        # deleting a running pod (graceful) removes it: the simulated kubelet finishes it
        await client.delete(f"{pods}/web")

        async def gone() -> bool:
            return await get_or_none(client, f"{pods}/web") is None

        await eventually(gone, 20, "pod deleted")

        # the lease renews, and Ready is re-posted (heartbeat every 2 s here, 10 s by default)
        first = lease["spec"]["renewTime"]

        async def renewed() -> bool:
            cur = await client.get(lease_path)
            return bool(cur["spec"]["renewTime"] != first)

        await eventually(renewed, 25, "lease renewed")
        first_hb = condition(node, "Ready")["lastHeartbeatTime"]

        async def reposted() -> bool:
            cur = await client.get(f"/api/v1/nodes/{names[1]}")
            return bool(condition(cur, "Ready")["lastHeartbeatTime"] != first_hb)

        await eventually(reposted, 25, "Ready re-posted")
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)

    # after stop: no more renewals, and the nodes stay (a lost machine)
    lease = await client.get(lease_path)
    await asyncio.sleep(4.5)
    assert (await client.get(lease_path))["spec"]["renewTime"] == lease["spec"]["renewTime"]
    assert await get_or_none(client, f"/api/v1/nodes/{names[0]}") is not None


async def test_restart_takes_nodes_back(kyb: KybCluster, client: RESTClient) -> None:
    """A restarted simulator takes its nodes back and keeps the pod IPs it gave out."""
    prefix = "simr-" + uuid.uuid4().hex[:5] + "-"
    ns = await make_namespace(client)
    pods = f"/api/v1/namespaces/{ns}/pods"
    ips: list[str] = []
    for i in range(2):
        stop = asyncio.Event()
        sim = NodeSimulator(
            client, 2, prefix=prefix, taints=[{"key": "sim", "value": "x", "effect": "NoSchedule"}]
        )
        task = asyncio.create_task(sim.run(stop))
        try:
            assert await sim.pods.wait_for_sync(20), "simulator did not start"
            await client.create(pods, pod_body(f"p{i}", f"{prefix}1"))

            async def has_ip(name: str = f"p{i}") -> bool:
                return bool((await client.get(f"{pods}/{name}")).get("status", {}).get("podIP"))

            await eventually(has_ip, 20, "pod IP")
            ips.append((await client.get(f"{pods}/p{i}"))["status"]["podIP"])
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
    assert ips[0] != ips[1]
    node = await client.get(f"/api/v1/nodes/{prefix}1")
    assert node["spec"]["taints"] == [{"key": "sim", "value": "x", "effect": "NoSchedule"}]
    assert condition(node, "Ready")["status"] == "True"


async def test_two_hundred_nodes_register_quickly(kyb: KybCluster, client: RESTClient) -> None:
    prefix = "simscale-" + uuid.uuid4().hex[:4] + "-"
    sim = NodeSimulator(client, 200, prefix=prefix)
    t0 = time.monotonic()
    await sim.register()
    elapsed = time.monotonic() - t0
    nodes = await client.list("/api/v1/nodes")
    ours = [n for n in nodes["items"] if n["metadata"]["name"].startswith(prefix)]
    assert len(ours) == 200
    assert all(condition(n, "Ready").get("status") == "True" for n in ours)
    leases = await client.list("/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases")
    assert sum(1 for lz in leases["items"] if lz["metadata"]["name"].startswith(prefix)) == 200
    assert elapsed < 10.0, f"200 nodes took {elapsed:.1f}s to register"
