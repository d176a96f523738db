"""`kyb up --simulated-nodes N`: nodes register and run the pods bound to them (real kubectl)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from kybernetes.testing.cluster import KybCluster

pytestmark = pytest.mark.kubectl


def _wait(pred, timeout: float = 30.0, what: str = "") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_up_with_simulated_nodes(tmp_path: Path) -> None:
    with KybCluster(tmp_path / "d", ["--simulated-nodes", "2"]) as c:
        def nodes_ready() -> bool:
            out = c.kubectl("get", "nodes", "-o", "json", check=False).stdout
            items = json.loads(out)["items"] if out else []
            ready = [n for n in items
                     if any(cd["type"] == "Ready" and cd["status"] == "True" for cd in n["status"]["conditions"])]
            return len(ready) == 2

        _wait(nodes_ready, what="2 Ready nodes")
        table = c.kubectl("get", "nodes").stdout
        assert "sim-node-0" in table and "Ready" in table
        _wait(lambda: c.kubectl("get", "sa", "default", check=False).returncode == 0, what="default SA")
        c.kubectl("run", "p", "--image=nginx", '--overrides={"spec":{"nodeName":"sim-node-1"}}')

        def running() -> bool:
            pod = json.loads(c.kubectl("get", "pod", "p", "-o", "json").stdout)
            return pod["status"].get("phase") == "Running" and pod["status"].get("podIP", "").startswith("10.244.")

        _wait(running, what="pod Running on a simulated node")
        c.kubectl("delete", "pod", "p", "--timeout=30s")
        # without a nodeName the scheduler places the pod, and the node runs it
        c.kubectl("run", "q", "--image=nginx")

        def scheduled_and_running() -> bool:
            pod = json.loads(c.kubectl("get", "pod", "q", "-o", "json").stdout)
            return pod["spec"].get("nodeName", "").startswith("sim-node-") and pod["status"].get("phase") == "Running"

        _wait(scheduled_and_running, what="pod scheduled onto a simulated node and Running")
        events = c.kubectl("get", "events", "--field-selector", "involvedObject.name=q,reason=Scheduled").stdout
        assert "Successfully assigned default/q to sim-node-" in events
        leases = c.kubectl("get", "lease", "-n", "kube-node-lease", "-o", "name").stdout.split()
        assert sorted(leases) == ["lease.coordination.k8s.io/sim-node-0", "lease.coordination.k8s.io/sim-node-1"]
