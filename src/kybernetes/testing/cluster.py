"""A `kyb up` cluster in a subprocess, for tests and benchmarks."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import yaml


class ClusterStartError(RuntimeError):
    pass


class KybCluster:
    """Runs `python -m kybernetes up` on a free port with its own data dir."""

    def __init__(self, data_dir: Path | None = None, extra_args: list[str] | None = None, port: int = 0) -> None:
        self._own_dir = data_dir is None
        self.data_dir = Path(data_dir or tempfile.mkdtemp(prefix="kyb-test-"))
        self.extra_args = list(extra_args or [])
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.kubeconfig = self.data_dir / "kubeconfig.yaml"
        self.server = ""
        self.startup_seconds = 0.0
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "kyb-test.log"

    def start(self, timeout: float = 60.0) -> KybCluster:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        cmd = [sys.executable, "-m", "kybernetes", "up", "--data-dir", str(self.data_dir), "--port", str(self.port),
               *self.extra_args]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, env=self.env())
        assert self.proc.stdout is not None
        deadline = t0 + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith(b"export KUBECONFIG="):
                break
        if not line.startswith(b"export KUBECONFIG="):
            self.stop()
            raise ClusterStartError(f"kyb up did not start: {self.log_path.read_text(errors='replace')[-3000:]}")
        self.startup_seconds = time.monotonic() - t0
        self.kubeconfig = Path(line.decode().strip().split("=", 1)[1])
        cfg = yaml.safe_load(self.kubeconfig.read_text())
        self.server = cfg["clusters"][0]["cluster"]["server"]
        self.port = int(self.server.rsplit(":", 1)[1])
        return self

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env.pop("HTTPS_PROXY", None)
        env.pop("https_proxy", None)
        env["NO_PROXY"] = "127.0.0.1,localhost"
        return env

    def kubectl(
        self, *args: str, input: str | bytes | None = None, check: bool = True, timeout: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        e = self.env()
        if env:
            e.update(env)
        data = input.decode() if isinstance(input, bytes) else input
        res = subprocess.run(
            ["kubectl", *args], input=data, capture_output=True, text=True, env=e, timeout=timeout, check=False
        )
        if check and res.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({res.returncode}):\nstdout: {res.stdout}\nstderr: {res.stderr}"
            )
        return res

    def api_client(self) -> Any:
        from kubernetes import config

        return config.new_client_from_config(str(self.kubeconfig))  # type: ignore[no-untyped-call]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
        rc = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    rc = self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    rc = self.proc.wait(timeout)
            else:
                rc = self.proc.returncode
            if self.proc.stdout:
                self.proc.stdout.close()
            self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return rc

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> KybCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()
