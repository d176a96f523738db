"""`kyb controller-manager` as a separate process: only the API in between."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kybernetes.testing.cluster import KybCluster


def test_controller_manager_process(tmp_path: Path) -> None:
    with KybCluster(tmp_path / "cm-cli") as c:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kybernetes",
                "-v",
                "controller-manager",
                "--kubeconfig",
                str(c.kubeconfig),
                "--leader-elect-retry-period",
                "200ms",
                "--leader-elect-resource-name",
                "kcm-cli-test",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=c.env(),
        )
        try:
            ns = "cli-" + uuid.uuid4().hex[:6]
            c.kubectl(
                "create",
                "-f",
                "-",
                input=f'{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"{ns}"}}}}',
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                res = c.kubectl("get", "sa", "default", "-n", ns, check=False)
                if res.returncode == 0:
                    break
                time.sleep(0.2)
            else:
                pytest.fail("no default service account")
            lease = c.kubectl(
                "get",
                "lease",
                "-n",
                "kube-system",
                "kcm-cli-test",
                "-o",
                "jsonpath={.spec.holderIdentity}",
            ).stdout
            assert lease
            c.kubectl("delete", "ns", ns, timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait(5)
            err = proc.stderr.read().decode() if proc.stderr else ""
        assert rc == 0, err[-3000:]
        # the lease was released on shutdown
        holder = c.kubectl(
            "get",
            "lease",
            "-n",
            "kube-system",
            "kcm-cli-test",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ).stdout
        assert holder == ""


def test_unknown_controller_is_rejected(tmp_path: Path) -> None:
    kc = tmp_path / "kc.yaml"
    kc.write_text(
        "apiVersion: v1\nkind: Config\nclusters: [{name: a, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: a, user: {}}]\ncontexts: [{name: a, context: {cluster: a, user: a}}]\ncurrent-context: a\n"
    )
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "kybernetes",
            "controller-manager",
            "--kubeconfig",
            str(kc),
            "--controllers",
            "*,-bogus",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.returncode == 1
    assert '"bogus" is not in the list of known controllers' in res.stderr
