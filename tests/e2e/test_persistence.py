"""Objects and resourceVersions survive a restart and a kill -9; a data dir serves one kyb at a time."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client

from kybernetes.testing.cluster import KybCluster


def _snapshot(c: KybCluster) -> dict[str, str]:
    core = client.CoreV1Api(c.api_client())
    return {cm.metadata.name: cm.metadata.resource_version for cm in core.list_namespaced_config_map("default").items}


def test_restart_keeps_objects_and_resource_versions(tmp_path: Path) -> None:
    c = KybCluster(tmp_path / "d").start()
    try:
        core = client.CoreV1Api(c.api_client())
        for i in range(5):
            core.create_namespaced_config_map(
                "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"keep-{i}"), data={"i": str(i)})
            )
        core.patch_namespaced_config_map("keep-0", "default", {"data": {"i": "patched"}})
        before = _snapshot(c)
        ns_before = core.read_namespace("kube-system").metadata.uid
        list_rv = int(core.list_namespaced_config_map("default").metadata.resource_version)
    finally:
        assert c.stop() == 0
    c2 = KybCluster(tmp_path / "d").start()
    try:
        assert _snapshot(c2) == before
        core = client.CoreV1Api(c2.api_client())
        assert core.read_namespace("kube-system").metadata.uid == ns_before
        assert core.read_namespaced_config_map("keep-0", "default").data == {"i": "patched"}
        created = core.create_namespaced_config_map(
            "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="after"))
        )
        assert int(created.metadata.resource_version) > list_rv
    finally:
        c2.cleanup()


def _children_of(kubeconfig: Path) -> list[int]:
    """PIDs of component processes started for this cluster (their command line names its kubeconfig)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if str(kubeconfig).encode() in cmd and b"kybernetes" in cmd:
            pids.append(int(d.name))
    return pids


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    c = KybCluster(tmp_path / "d").start()
    acked: list[str] = []
    deadline = time.monotonic() + 20
    while not _children_of(c.kubeconfig):
        assert time.monotonic() < deadline, "kyb up started no components"
        time.sleep(0.1)
    try:
        core = client.CoreV1Api(c.api_client())
        for i in range(30):
            core.create_namespaced_config_map(
                "default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=f"k9-{i}"), data={"i": str(i)})
            )
            acked.append(f"k9-{i}")
    finally:
        c.kill9()
    # the components die with their parent, even when it is SIGKILLed
    deadline = time.monotonic() + 15
    while _children_of(c.kubeconfig):
        assert time.monotonic() < deadline, f"orphaned components: {_children_of(c.kubeconfig)}"
        time.sleep(0.2)
    c2 = KybCluster(tmp_path / "d").start()
    try:
        names = set(_snapshot(c2))
        assert set(acked) <= names
    finally:
        c2.cleanup()


def test_second_kyb_up_on_same_dir_fails_at_once(tmp_path: Path) -> None:
    c = KybCluster(tmp_path / "d").start()
    try:
        t0 = time.monotonic()
        res = subprocess.run(
            [sys.executable, "-m", "kybernetes", "up", "--data-dir", str(tmp_path / "d"), "--port", "0"],
            capture_output=True, text=True, timeout=30,
        )
        assert res.returncode != 0
        assert "in use by another kyb" in res.stderr
        assert time.monotonic() - t0 < 10
    finally:
        c.cleanup()


@pytest.mark.parametrize("flag", ["--kubeconfig"])
def test_kubeconfig_path_flag(tmp_path: Path, flag: str) -> None:
    target = tmp_path / "custom" / "kc.yaml"
    c = KybCluster(tmp_path / "d", [flag, str(target)]).start()
    try:
        assert c.kubeconfig == target and target.exists()
        assert oct(target.stat().st_mode & 0o777) == "0o600"
        out = c.kubectl("get", "ns", "default", "-o", "name").stdout.strip()
        assert out == "namespace/default"
    finally:
        c.cleanup()
