"""The real kubectl's rollout commands against the Deployment and ReplicaSet controllers."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kybernetes.api.timeutil import format_time, now_utc
from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformerFactory, metadata_only
from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.controllers.base import ControllerContext
from kybernetes.controllers.deployment import DeploymentController
from kybernetes.controllers.replicaset import ReplicaSetController
from kybernetes.testing.cluster import KybCluster

Obj = dict[str, Any]

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


@pytest.fixture(scope="module")
def kyb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    c = KybCluster(
        tmp_path_factory.mktemp("kyb-rollout"),
        extra_args=["--controllers", "*,-replicaset-controller,-deployment-controller"],
    )
    c.start()
    yield c
    c.stop()


@pytest.fixture
async def client(kyb: KybCluster) -> AsyncIterator[RESTClient]:
    c = RESTClient(load_kubeconfig(kyb.kubeconfig))
    informers = SharedInformerFactory(c)
    recorder = EventRecorder(c, "kube-controller-manager")
    ctx = ControllerContext(
        config=load_kubeconfig(kyb.kubeconfig),
        client=c,
        informers=informers,
        recorder=recorder,
        metadata_informers=SharedInformerFactory(c, transform=metadata_only),
    )
    stop = asyncio.Event()
    ctrls = [ReplicaSetController(ctx), DeploymentController(ctx)]
    informers.start()
    tasks = [asyncio.create_task(x.run(stop)) for x in ctrls]
    yield c
    stop.set()
    for t in tasks:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(t, 10)
    await recorder.close()
    await informers.stop()
    await c.close()


async def kubectl(kyb: KybCluster, *args: str, check: bool = True) -> str:
    res = await asyncio.to_thread(kyb.kubectl, *args, check=check)
    return res.stdout


async def keep_pods_ready(client: RESTClient, ns: str, stop: asyncio.Event) -> None:
    """Stand in for the kubelet: every pod becomes Running and Ready."""
    while not stop.is_set():
        for p in (await client.list(f"/api/v1/namespaces/{ns}/pods"))["items"]:
            conds = (p.get("status") or {}).get("conditions") or []
            if p["metadata"].get("deletionTimestamp") or any(
                c["type"] == "Ready" and c["status"] == "True" for c in conds
            ):
                continue
            with contextlib.suppress(ApiError):
                await client.patch(
                    f"/api/v1/namespaces/{ns}/pods/{p['metadata']['name']}/status",
                    {
                        "status": {
                            "phase": "Running",
                            "conditions": [
                                {
                                    "type": "Ready",
                                    "status": "True",
                                    "lastTransitionTime": format_time(now_utc()),
                                }
                            ],
                        }
                    },
                    "merge",
                )
        await asyncio.sleep(0.2)


async def test_kubectl_rollout(kyb: KybCluster, client: RESTClient) -> None:
    ns = "ko-" + uuid.uuid4().hex[:8]
    await kubectl(kyb, "create", "namespace", ns)
    for _ in range(100):
        try:
            await client.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default")
            break
        except ApiError:
            await asyncio.sleep(0.1)
    stop = asyncio.Event()
    readier = asyncio.create_task(keep_pods_ready(client, ns, stop))
    try:
        await kubectl(kyb, "-n", ns, "create", "deployment", "web", "--image=nginx:1", "--replicas=3")
        out = await kubectl(kyb, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
        assert 'deployment "web" successfully rolled out' in out
        await kubectl(kyb, "-n", ns, "set", "image", "deployment/web", "nginx=nginx:2")
        out = await kubectl(kyb, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
        assert 'deployment "web" successfully rolled out' in out
        history = await kubectl(kyb, "-n", ns, "rollout", "history", "deployment/web")
        assert "REVISION" in history and "1" in history and "2" in history
        await kubectl(kyb, "-n", ns, "rollout", "undo", "deployment/web")
        await kubectl(kyb, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
        image = await kubectl(
            kyb, "-n", ns, "get", "deployment/web", "-o", "jsonpath={.spec.template.spec.containers[0].image}"
        )
        assert image == "nginx:1"
        rev = await kubectl(
            kyb,
            "-n",
            ns,
            "get",
            "deployment/web",
            "-o",
            "jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}",
        )
        assert rev == "3"
        # the first replica set is back in service (revision 3), the second is scaled to 0
        rs_out = await kubectl(
            kyb, "-n", ns, "get", "rs", "-o", "jsonpath={range .items[*]}{.spec.replicas} {end}"
        )
        assert sorted(rs_out.split()) == ["0", "3"]
        await kubectl(kyb, "-n", ns, "scale", "deployment/web", "--replicas=5")
        await kubectl(kyb, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
        ready = await kubectl(
            kyb, "-n", ns, "get", "deployment/web", "-o", "jsonpath={.status.readyReplicas}"
        )
        assert ready == "5"
        await kubectl(kyb, "-n", ns, "rollout", "restart", "deployment/web")
        await kubectl(kyb, "-n", ns, "rollout", "status", "deployment/web", "--timeout=60s")
        rs_out = await kubectl(
            kyb, "-n", ns, "get", "rs", "-o", "jsonpath={range .items[*]}{.spec.replicas} {end}"
        )
        assert sorted(rs_out.split()) == ["0", "0", "5"]
    finally:
        stop.set()
        await readier
