"""API server benchmarks of issue 2. Prints each figure with the target it is compared against.

    python bench/bench_apiserver.py [--quick]

- startup: `kyb up` until `kubectl get ns` answers (median of 5 fresh data dirs, and of 5 restarts)
- creates: 1 KiB ConfigMaps with generateName over HTTPS from wrk, beside the raw SqliteStore insert rate
- list: LIST of 10,000 pods of about 2 KiB
- memory: RSS idle, and holding 10,000 pods
- watch: 500 watchers, 200 writes/s; every watcher gets every event; p99 delivery latency
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kybernetes.testing.cluster import KybCluster

TOKEN = "bench-token-0123456789"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def startup(runs: int) -> tuple[float, float]:
    fresh: list[float] = []
    restart: list[float] = []
    for _ in range(runs):
        d = Path(tempfile.mkdtemp(prefix="kyb-bench-"))
        for bucket in (fresh, restart):
            t0 = time.monotonic()
            c = KybCluster(d).start()
            while c.kubectl("get", "ns", check=False).returncode != 0:
                time.sleep(0.01)
            bucket.append(time.monotonic() - t0)
            c.stop()
        shutil.rmtree(d, ignore_errors=True)
    return statistics.median(fresh), statistics.median(restart)


class Conn:
    def __init__(self, c: KybCluster) -> None:
        host, port = c.server.removeprefix("https://").rsplit(":", 1)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=120)

    def req(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=data, headers={"Authorization": f"Bearer {TOKEN}",
                                                            "Content-Type": "application/json"})
        r = self.conn.getresponse()
        return r.status, r.read()


def wrk_creates(c: KybCluster, seconds: int, connections: int) -> float:
    lua = Path(tempfile.mkdtemp()) / "post.lua"
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "cm-"},
                       "data": {"payload": "x" * 1000}})
    lua.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = [[{body}]]\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n'
        "done = function(summary, latency, requests)\n"
        "  local codes = 0\n"
        '  io.write(string.format("non2xx=%d\\n", summary.errors.status))\n'
        "end\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(lua), f"{c.server}/api/v1/namespaces/bench/configmaps"],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = 0.0
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            rate = float(line.split()[1])
        if line.startswith("non2xx=") and int(line.split("=")[1]) > 0:
            print(f"  wrk saw non-2xx responses: {line}")
    return rate


def pod(i: int) -> dict:
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"pod-{i:05d}", "labels": {"app": "bench", "shard": str(i % 10)},
                     "annotations": {"note": "n" * 100}},
        "spec": {"nodeName": f"node-{i % 100}", "containers": [
            {"name": "main", "image": "registry.example/bench/app:1.0", "args": ["--flag"] * 10,
             "env": [{"name": f"VAR_{k}", "value": "v" * 20} for k in range(4)],
             "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
             "ports": [{"containerPort": 8080, "name": "http"}]}]},
    }


async def create_pods(c: KybCluster, n: int) -> None:
    import aiohttp

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = aiohttp.TCPConnector(ssl=ctx, limit=32)
    async with aiohttp.ClientSession(connector=conn, headers={"Authorization": f"Bearer {TOKEN}"}) as s:
        sem = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            async with sem, s.post(f"{c.server}/api/v1/namespaces/bench/pods", json=pod(i)) as r:
                if r.status != 201:
                    raise RuntimeError(await r.text())
                await r.read()

        await asyncio.gather(*(one(i) for i in range(n)))


def list_pods(c: KybCluster, runs: int) -> tuple[float, int]:
    conn = Conn(c)
    times = []
    size = 0
    for _ in range(runs):
        t0 = time.monotonic()
        status, body = conn.req("GET", "/api/v1/namespaces/bench/pods")
        times.append(time.monotonic() - t0)
        assert status == 200
        size = len(body)
    return statistics.median(times), size


class _WatchStream(asyncio.Protocol):
    """A watch read as raw bytes: the client must cost far less than the server it measures, so it
    scans the stream for each event's timestamp instead of parsing HTTP and JSON."""

    MARK = b'"t":"'

    def __init__(self, latencies: list[float], want: int, done: asyncio.Future[None]) -> None:
        self.latencies = latencies
        self.want = want
        self.count = 0
        self.tail = b""
        self.done = done
        self.opened = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self.opened.done():
            self.opened.set_result(None)
        buf = self.tail + data
        i = buf.find(self.MARK)
        end = 0
        while i >= 0:
            j = buf.find(b'"', i + 5)
            if j < 0:
                break
            self.latencies.append(now - float(buf[i + 5 : j]))
            self.count += 1
            end = j
            i = buf.find(self.MARK, j)
        self.tail = buf[max(end, len(buf) - 64):]
        if self.count >= self.want and not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def watchers(c: KybCluster, n_watchers: int, rate: int, seconds: float) -> tuple[int, int, float, float]:
    import aiohttp

    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    host, port = c.server.removeprefix("https://").rsplit(":", 1)
    latencies: list[float] = []
    total_writes = int(rate * seconds)
    loop = asyncio.get_running_loop()
    conn = aiohttp.TCPConnector(ssl=ctx, limit=64)
    async with aiohttp.ClientSession(connector=conn, headers={"Authorization": f"Bearer {TOKEN}"}) as s:
        async with s.get(f"{c.server}/api/v1/namespaces/watch/configmaps") as r:
            rv = (await r.json())["metadata"]["resourceVersion"]
        streams: list[_WatchStream] = []
        request = (
            f"GET /api/v1/namespaces/watch/configmaps?watch=true&resourceVersion={rv}&timeoutSeconds=120 HTTP/1.1\r\n"
            f"Host: {host}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json\r\n\r\n"
        ).encode()
        for _ in range(n_watchers):
            done: asyncio.Future[None] = loop.create_future()
            transport, proto = await loop.create_connection(
                lambda d=done: _WatchStream(latencies, total_writes, d), host, int(port), ssl=ctx)
            transport.write(request)
            streams.append(proto)
        await asyncio.wait_for(asyncio.gather(*(p.opened for p in streams)), 60)
        await asyncio.sleep(0.5)
        interval = 1.0 / rate
        t_start = time.monotonic()

        async def write(i: int) -> None:
            body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"w-{i}"},
                    "data": {"t": repr(time.time())}}
            async with s.post(f"{c.server}/api/v1/namespaces/watch/configmaps", json=body) as r:
                await r.read()

        writers = []
        for i in range(total_writes):
            delay = t_start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            # writes are issued on schedule, not after the previous one returns
            writers.append(asyncio.create_task(write(i)))
        await asyncio.gather(*writers)
        achieved = total_writes / (time.monotonic() - t_start)
        try:
            await asyncio.wait_for(asyncio.gather(*(p.done for p in streams)), 60)
        except TimeoutError:
            pass
    complete = sum(1 for p in streams if p.count >= total_writes)
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return complete, total_writes, achieved, p99


def _run(coro: Any) -> Any:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller runs")
    args = ap.parse_args()
    quick = args.quick
    print("== kyb up until `kubectl get ns` answers")
    fresh, restart = startup(3 if quick else 5)
    print(f"  median fresh data dir: {fresh:.2f} s   median restart: {restart:.2f} s   (target <= 1 s; k3d ~20 s, kind ~33 s)")

    from kybernetes.storage.sqlite import measure_sqlite_insert_rate

    d = Path(tempfile.mkdtemp(prefix="kyb-bench-"))
    tokens = d / "tokens.csv"
    tokens.write_text(f'{TOKEN},bench,bench-uid,"system:masters"\n')
    c = KybCluster(d / "data", ["--token-auth-file", str(tokens)]).start()
    try:
        conn = Conn(c)
        for ns in ("bench", "watch"):
            conn.req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        conn.req("POST", "/api/v1/namespaces/bench/serviceaccounts",
                 {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}})
        time.sleep(1.0)
        idle = rss_mib(c.proc.pid)  # type: ignore[union-attr]
        print(f"== memory idle: {idle:.1f} MiB RSS   (target <= 80 MiB)")

        print("== 1 KiB ConfigMap creates over HTTPS (wrk, generateName)")
        rate = wrk_creates(c, 5 if quick else 10, 32)
        raw = measure_sqlite_insert_rate(20000, 64)
        print(f"  API creates: {rate:,.0f}/s   raw SqliteStore inserts (same run, 64 writers): {raw:,.0f}/s   "
              "(target >= 2,000/s)")

        n = 2000 if quick else 10000
        print(f"== LIST of {n:,} pods of ~2 KiB")
        t0 = time.monotonic()
        asyncio.run(create_pods(c, n))
        print(f"  created {n:,} pods in {time.monotonic() - t0:.1f} s")
        held_before_list = rss_mib(c.proc.pid)  # type: ignore[union-attr]
        med, size = list_pods(c, 5)
        print(f"  LIST median {med * 1000:.0f} ms for {size / 1e6:.1f} MB ({size / n / 1024:.1f} KiB a pod)   "
              "(target <= 300 ms for 10,000 of ~2 KiB)")
        held = max(held_before_list, rss_mib(c.proc.pid))  # type: ignore[union-attr]
        print(f"== memory holding {n:,} pods: {held:.1f} MiB RSS (before the lists: {held_before_list:.1f})   "
              "(target <= 400 MiB for 10,000)")

        nw = 100 if quick else 500
        print(f"== {nw} watchers, 200 writes/s")
        complete, writes, achieved, p99 = _run(watchers(c, nw, 200, 5 if quick else 10))
        print(f"  watchers with every event: {complete}/{nw} ({writes} writes at {achieved:.0f}/s); "
              f"p99 delivery {p99 * 1000:.0f} ms   (target: all, p99 <= 100 ms)")
    finally:
        c.stop()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
