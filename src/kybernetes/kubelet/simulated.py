"""Simulated nodes, as kwok does: many fake kubelets in one process.

:func:`run_simulated_nodes` registers N Nodes, keeps one Lease per node in
``kube-node-lease`` renewed and re-posts the Ready status (the kubelet heartbeat), and
takes the pods bound to those nodes through their life by writing ``pods/status``:
Pending (ContainerCreating) -> Running and Ready with a pod IP from the node's range,
or -> Succeeded for run-to-completion pods. Pods being deleted are finished with a
zero grace period. Nothing runs: no image is pulled, no process started.

One process carries many nodes: a single heartbeat loop serves every node (requests
are spread over a bounded number of concurrent calls), and one pod informer watches all
pods, keeping those whose ``spec.nodeName`` is a simulated node.

Components talk to the cluster only through the API (:class:`RESTClient`, informers).
When ``stop`` is set the heartbeat stops and the nodes stay: a stopped simulator looks
like a lost machine, and the node lifecycle controller treats it so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kybernetes.client.informer import SharedInformer, meta_namespace_key, split_meta_namespace_key
from kybernetes.client.kubeconfig import load_kubeconfig
from kybernetes.client.rest import ApiError, Obj, RESTClient, is_already_exists, is_not_found, resource_path
from kybernetes.client.workqueue import ItemExponentialFailureRateLimiter, RateLimitingQueue

log = logging.getLogger(__name__)

KUBELET_VERSION: Final = "v1.32.0"
RUNTIME_VERSION: Final = "kyb-simulated://0.1"
CONTAINER_ID_SCHEME: Final = "kyb-simulated"
INSTANCE_TYPE: Final = "kyb-simulated"
NODE_LEASE_NAMESPACE: Final = "kube-node-lease"
LEASE_DURATION_SECONDS: Final = 40
HEARTBEAT_INTERVAL: Final = 10.0
DURATION_ANNOTATION: Final = "kyb.io/simulated-duration"
DEFAULT_JOB_DURATION: Final = 1.0
EPHEMERAL_STORAGE: Final = "100Gi"


def now_time() -> str:
    """metav1.Time: RFC 3339 in whole seconds."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    """metav1.MicroTime: RFC 3339 with microseconds (Lease renewTime)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(s: str) -> float:
    """Seconds since the epoch of an RFC 3339 timestamp (``Z`` or offset)."""
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def node_internal_ip(index: int) -> str:
    """A node's InternalIP in 10.0.0.0/16 (documentation only: no traffic goes there)."""
    return f"10.0.{(index // 254) % 256}.{index % 254 + 1}"


def default_pod_cidr(index: int) -> str:
    """The per-node pod range used when the node has no ``spec.podCIDR``: 10.244.<i>.0/24,
    continuing into 10.245.x.0/24 and beyond past 256 nodes."""
    return f"10.{244 + index // 256}.{index % 256}.0/24"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _owned_by_job(pod: Obj) -> bool:
    return any(ref.get("kind") == "Job" for ref in (pod.get("metadata") or {}).get("ownerReferences") or [])


def run_duration(pod: Obj) -> float | None:
    """How long a run-to-completion pod runs before it succeeds, or None for pods that run
    until deleted: Job pods (default 1 s) and pods with restartPolicy Never/OnFailure that
    carry the ``kyb.io/simulated-duration`` annotation."""
    ann = (pod.get("metadata") or {}).get("annotations") or {}
    raw = ann.get(DURATION_ANNOTATION)
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    job = _owned_by_job(pod)
    if not job and (raw is None or policy == "Always"):
        return None
    if raw is not None:
        try:
            return max(0.0, float(raw))
        except ValueError:
            log.warning("pod %s: bad %s annotation %r", meta_namespace_key(pod), DURATION_ANNOTATION, raw)
    return DEFAULT_JOB_DURATION if job else None


@dataclass
class SimulatedNode:
    name: str
    index: int
    pod_cidr: str
    internal_ip: str
    uid: str = ""
    ready_since: str = field(default_factory=now_time)
    pod_ips: dict[str, str] = field(default_factory=dict)  # pod uid -> IP

    def allocate_ip(self, pod_uid: str) -> str:
        ip = self.pod_ips.get(pod_uid)
        if ip is not None:
            return ip
        used = set(self.pod_ips.values())
        net = ipaddress.ip_network(self.pod_cidr, strict=False)
        gateway = next(net.hosts())
        for host in net.hosts():
            if host == gateway:
                continue
            s = str(host)
            if s not in used:
                self.pod_ips[pod_uid] = s
                return s
        raise RuntimeError(f"node {self.name}: pod range {self.pod_cidr} is exhausted")

    def release_ip(self, pod_uid: str) -> None:
        self.pod_ips.pop(pod_uid, None)


class NodeSimulator:
    """A set of simulated nodes sharing one client, one pod informer and one heartbeat loop."""

    def __init__(
        self,
        client: RESTClient,
        nodes: int,
        *,
        prefix: str = "sim-node-",
        cpu: str = "4",
        memory: str = "16Gi",
        pods: int = 110,
        labels: dict[str, str] | None = None,
        taints: list[dict[str, Any]] | None = None,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        concurrency: int = 64,
        workers: int = 16,
    ) -> None:
        self.client = client
        self.cpu, self.memory, self.max_pods = cpu, memory, pods
        self.labels = dict(labels or {})
        self.taints = list(taints or [])
        self.heartbeat_interval = heartbeat_interval
        self.workers = workers
        self._sem = asyncio.Semaphore(concurrency)
        self.nodes: dict[str, SimulatedNode] = {
            f"{prefix}{i}": SimulatedNode(f"{prefix}{i}", i, default_pod_cidr(i), node_internal_ip(i))
            for i in range(nodes)
        }
        self.pods = SharedInformer(client, "", "v1", "pods")
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(
            ItemExponentialFailureRateLimiter(0.05, 5.0), name="simulated-pods"
        )
        self.heartbeats = 0  # completed heartbeat rounds

    # --- helpers ------------------------------------------------------------------------------------
    async def _bounded(self, coro: Awaitable[None]) -> None:
        async with self._sem:
            await coro

    async def _each(
        self, fn: Callable[[SimulatedNode], Awaitable[None]], nodes: Iterable[SimulatedNode]
    ) -> None:
        async def one(n: SimulatedNode) -> None:
            try:
                await self._bounded(fn(n))
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("simulated node %s: %s", n.name, e)

        await asyncio.gather(*(one(n) for n in nodes))

    # --- nodes --------------------------------------------------------------------------------------
    def node_labels(self, node: SimulatedNode) -> dict[str, str]:
        return {
            "kubernetes.io/hostname": node.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": INSTANCE_TYPE,
            **self.labels,
        }

    def node_conditions(self, node: SimulatedNode) -> list[Obj]:
        hb = now_time()
        since = node.ready_since

        def cond(type_: str, status: str, reason: str, message: str) -> Obj:
            return {
                "type": type_,
                "status": status,
                "lastHeartbeatTime": hb,
                "lastTransitionTime": since,
                "reason": reason,
                "message": message,
            }

        return [
            cond(
                "MemoryPressure",
                "False",
                "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available",
            ),
            cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]

    def node_status(self, node: SimulatedNode) -> Obj:
        resources = {
            "cpu": self.cpu,
            "memory": self.memory,
            "pods": str(self.max_pods),
            "ephemeral-storage": EPHEMERAL_STORAGE,
        }
        machine = _digest("machine", node.name)[:32]
        return {
            "capacity": dict(resources),
            "allocatable": dict(resources),
            "conditions": self.node_conditions(node),
            "addresses": [
                {"type": "InternalIP", "address": node.internal_ip},
                {"type": "Hostname", "address": node.name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": machine,
                "systemUUID": f"{machine[:8]}-{machine[8:12]}-{machine[12:16]}-{machine[16:20]}-{machine[20:32]}",
                "bootID": _digest("boot", node.name)[:32],
                "kernelVersion": "6.1.0-kyb-simulated",
                "osImage": "kybernetes simulated node",
                "containerRuntimeVersion": RUNTIME_VERSION,
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
            "phase": "Running",
        }

    def node_object(self, node: SimulatedNode) -> Obj:
        spec: Obj = {}
        if self.taints:
            spec["taints"] = [dict(t) for t in self.taints]
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": node.name,
                "labels": self.node_labels(node),
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "kwok.x-k8s.io/node": "fake",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": spec,
            "status": self.node_status(node),
        }

    def _adopt(self, node: SimulatedNode, obj: Obj) -> None:
        node.uid = str((obj.get("metadata") or {}).get("uid") or "")
        cidr = (obj.get("spec") or {}).get("podCIDR")
        if cidr:
            node.pod_cidr = str(cidr)

    async def register_node(self, node: SimulatedNode) -> None:
        path = resource_path("", "v1", "nodes")
        body = self.node_object(node)
        try:
            obj = await self.client.create(path, body)
        except ApiError as e:
            if not is_already_exists(e):
                raise
            # a restarted simulator takes its nodes back: labels/taints as configured now
            patch: Obj = {"metadata": {"labels": body["metadata"]["labels"]}}
            if self.taints:
                patch["spec"] = {"taints": body["spec"]["taints"]}
            obj = await self.client.patch(resource_path("", "v1", "nodes", name=node.name), patch)
            self._adopt(node, obj)
            await self.post_status(node)
            return
        self._adopt(node, obj)
        if not (obj.get("status") or {}).get("conditions"):
            await self.post_status(node)

    async def post_status(self, node: SimulatedNode) -> None:
        path = resource_path("", "v1", "nodes", name=node.name, subresource="status")
        obj = await self.client.patch(path, {"status": self.node_status(node)})
        self._adopt(node, obj)

    # --- leases -------------------------------------------------------------------------------------
    def lease_object(self, node: SimulatedNode) -> Obj:
        meta: Obj = {"name": node.name, "namespace": NODE_LEASE_NAMESPACE}
        if node.uid:
            meta["ownerReferences"] = [
                {"apiVersion": "v1", "kind": "Node", "name": node.name, "uid": node.uid}
            ]
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": meta,
            "spec": {
                "holderIdentity": node.name,
                "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                "renewTime": now_micro(),
            },
        }

    async def renew_lease(self, node: SimulatedNode) -> None:
        path = resource_path("coordination.k8s.io", "v1", "leases", NODE_LEASE_NAMESPACE, node.name)
        spec = {
            "holderIdentity": node.name,
            "leaseDurationSeconds": LEASE_DURATION_SECONDS,
            "renewTime": now_micro(),
        }
        try:
            await self.client.patch(path, {"spec": spec})
        except ApiError as e:
            if not is_not_found(e):
                raise
            coll = resource_path("coordination.k8s.io", "v1", "leases", NODE_LEASE_NAMESPACE)
            try:
                await self.client.create(coll, self.lease_object(node))
            except ApiError as e2:
                if not is_already_exists(e2):
                    raise

    async def heartbeat(self, node: SimulatedNode) -> None:
        if not node.uid:  # registration failed earlier (API server unreachable): try again
            await self.register_node(node)
        await self.renew_lease(node)
        await self.post_status(node)

    async def _heartbeat_loop(self, stop: asyncio.Event) -> None:
        """One loop for every node, at a fixed rate: a round starts every ``heartbeat_interval``
        seconds (at once if the previous round took longer)."""
        loop = asyncio.get_running_loop()
        next_round = loop.time() + self.heartbeat_interval
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, next_round - loop.time()))
                return
            except TimeoutError:
                pass
            next_round = max(next_round + self.heartbeat_interval, loop.time())
            await self._each(self.heartbeat, list(self.nodes.values()))
            self.heartbeats += 1

    # --- pods ---------------------------------------------------------------------------------------
    def _on_pod(self, pod: Obj) -> None:
        if (pod.get("spec") or {}).get("nodeName") in self.nodes:
            self.queue.add(meta_namespace_key(pod))

    def _on_pod_update(self, old: Obj, new: Obj) -> None:
        self._on_pod(new)

    def _on_pod_delete(self, pod: Obj) -> None:
        node = self.nodes.get(str((pod.get("spec") or {}).get("nodeName") or ""))
        if node is not None:
            node.release_ip(str((pod.get("metadata") or {}).get("uid") or ""))

    def _recover_ips(self) -> None:
        """After a restart, keep the IPs already given to pods on our nodes."""
        for pod in self.pods.list():
            node = self.nodes.get(str((pod.get("spec") or {}).get("nodeName") or ""))
            ip = (pod.get("status") or {}).get("podIP")
            uid = (pod.get("metadata") or {}).get("uid")
            if node is None or not ip or not uid or (pod.get("spec") or {}).get("hostNetwork"):
                continue
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                node.pod_ips[str(uid)] = str(ip)

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                await self.sync_pod(key)
                self.queue.forget(key)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if not (isinstance(e, ApiError) and e.code == 409):
                    log.warning("simulated pod %s: %s", key, e)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    def _status_path(self, pod: Obj) -> str:
        meta = pod["metadata"]
        return resource_path("", "v1", "pods", meta["namespace"], meta["name"], "status")

    async def _patch_status(self, pod: Obj, status: Obj) -> None:
        """Write ``status`` (merge patch, guarded by the pod's uid and resourceVersion); a condition
        whose status did not change keeps its lastTransitionTime."""
        meta = pod["metadata"]
        old = {c.get("type"): c for c in (pod.get("status") or {}).get("conditions") or []}
        for c in status.get("conditions") or []:
            prev = old.get(c["type"])
            if prev is not None and prev.get("status") == c["status"] and prev.get("lastTransitionTime"):
                c["lastTransitionTime"] = prev["lastTransitionTime"]
        if "conditions" in status:
            # conditions others own (readiness gates, DisruptionTarget, ...) are kept
            ours = {c["type"] for c in status["conditions"]}
            status["conditions"] = status["conditions"] + [c for t, c in old.items() if t not in ours]
        body = {
            "metadata": {"uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")},
            "status": status,
        }
        await self.client.patch(self._status_path(pod), body)

    async def sync_pod(self, key: str) -> None:
        pod = self.pods.get_by_key(key)
        if pod is None:
            return
        node = self.nodes.get(str((pod.get("spec") or {}).get("nodeName") or ""))
        if node is None:
            return
        meta = pod.get("metadata") or {}
        status = pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        if meta.get("deletionTimestamp"):
            await self._finish_deletion(pod, node)
            return
        if phase in ("Succeeded", "Failed"):
            node.release_ip(str(meta.get("uid") or ""))
            return
        statuses = status.get("containerStatuses") or []
        if phase == "Pending" and not statuses:
            await self._patch_status(pod, self.creating_status(pod, node))
            return
        if phase == "Pending":
            await self._patch_status(pod, self.running_status(pod, node))
            return
        duration = run_duration(pod)
        if phase == "Running":
            gates = readiness_gates_pass(pod)
            ready = any(
                c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or []
            )
            if gates != ready:  # a readiness gate changed: re-post Ready
                conds = self._conditions(gates, containers_ready=True, gates_reason=not gates)
                await self._patch_status(pod, {"conditions": conds})
                return
        if phase == "Running" and duration is not None:
            started = status.get("startTime")
            elapsed = dt.datetime.now(dt.UTC).timestamp() - parse_time(started) if started else duration
            if elapsed < duration:
                self.queue.add_after(key, duration - elapsed + 0.01)
                return
            await self._patch_status(pod, self.succeeded_status(pod, node))
            node.release_ip(str(meta.get("uid") or ""))

    async def _finish_deletion(self, pod: Obj, node: SimulatedNode) -> None:
        meta = pod["metadata"]
        status = pod.get("status") or {}
        uid = str(meta.get("uid") or "")
        if status.get("phase") not in ("Succeeded", "Failed") and status.get("containerStatuses"):
            statuses = [
                self._terminated(c, status, "Completed", 0) for c in status.get("containerStatuses") or []
            ]
            try:
                await self._patch_status(
                    pod, {"containerStatuses": statuses, "conditions": self._conditions(False)}
                )
            except ApiError as e:
                if not (is_not_found(e) or e.code == 409):
                    raise
        ns, name = split_meta_namespace_key(meta_namespace_key(pod))
        try:
            await self.client.delete(
                resource_path("", "v1", "pods", ns, name), grace_period_seconds=0, preconditions={"uid": uid}
            )
        except ApiError as e:
            if not is_not_found(e) and e.code != 409:
                raise
        node.release_ip(uid)

    # --- pod status documents -----------------------------------------------------------------------
    @staticmethod
    def _conditions(
        ready: bool, containers_ready: bool | None = None, gates_reason: bool = False
    ) -> list[Obj]:
        t = now_time()
        r = "True" if ready else "False"
        cr = r if containers_ready is None else ("True" if containers_ready else "False")

        def cond(type_: str, status: str, reason: str | None = None) -> Obj:
            c: Obj = {"type": type_, "status": status, "lastProbeTime": None, "lastTransitionTime": t}
            if reason and status == "False":
                c["reason"] = reason
            return c

        return [
            cond("PodReadyToStartContainers", "True"),
            cond("Initialized", "True"),
            cond("Ready", r, "ReadinessGatesNotReady" if gates_reason else "ContainersNotReady"),
            cond("ContainersReady", cr, "ContainersNotReady"),
            cond("PodScheduled", "True"),
        ]

    @staticmethod
    def _image_id(image: str) -> str:
        repo = image.split("@", 1)[0]
        last = repo.rsplit("/", 1)[-1]
        if ":" in last:
            repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
        return f"{repo}@sha256:{_digest('image', image)}"

    def _container_id(self, pod: Obj, name: str) -> str:
        return f"{CONTAINER_ID_SCHEME}://{_digest('container', str(pod['metadata'].get('uid')), name)}"

    def _base_status(self, pod: Obj, node: SimulatedNode, phase: str) -> Obj:
        status = pod.get("status") or {}
        host_network = bool((pod.get("spec") or {}).get("hostNetwork"))
        pod_ip = node.internal_ip if host_network else node.allocate_ip(str(pod["metadata"].get("uid") or ""))
        return {
            "phase": phase,
            "hostIP": node.internal_ip,
            "hostIPs": [{"ip": node.internal_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": status.get("startTime") or now_time(),
            "qosClass": status.get("qosClass") or _qos_class(pod),
        }

    def creating_status(self, pod: Obj, node: SimulatedNode) -> Obj:
        spec = pod.get("spec") or {}
        out = self._base_status(pod, node, "Pending")
        out["conditions"] = self._conditions(False)
        out["containerStatuses"] = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ContainerCreating"}},
                "lastState": {},
            }
            for c in spec.get("containers") or []
        ]
        return out

    def running_status(self, pod: Obj, node: SimulatedNode) -> Obj:
        spec = pod.get("spec") or {}
        t = now_time()
        out = self._base_status(pod, node, "Running")
        gates = readiness_gates_pass(pod)
        out["conditions"] = self._conditions(gates, containers_ready=True, gates_reason=not gates)
        if spec.get("initContainers"):
            out["initContainerStatuses"] = [
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": self._image_id(c.get("image", "")),
                    "containerID": self._container_id(pod, c["name"]),
                    "ready": True,
                    "started": False,
                    "restartCount": 0,
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": t,
                            "finishedAt": t,
                            "containerID": self._container_id(pod, c["name"]),
                        }
                    },
                    "lastState": {},
                }
                for c in spec["initContainers"]
            ]
        out["containerStatuses"] = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": self._image_id(c.get("image", "")),
                "containerID": self._container_id(pod, c["name"]),
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": t}},
                "lastState": {},
            }
            for c in spec.get("containers") or []
        ]
        return out

    def _terminated(self, c: Obj, status: Obj, reason: str, code: int) -> Obj:
        t = now_time()
        running = (c.get("state") or {}).get("running") or {}
        cid = c.get("containerID") or ""
        term: Obj = {
            "exitCode": code,
            "reason": reason,
            "startedAt": running.get("startedAt") or status.get("startTime") or t,
            "finishedAt": t,
        }
        if cid:
            term["containerID"] = cid
        return {**c, "ready": False, "started": False, "state": {"terminated": term}}

    def succeeded_status(self, pod: Obj, node: SimulatedNode) -> Obj:
        status = pod.get("status") or {}
        out = self._base_status(pod, node, "Succeeded")
        conds = self._conditions(False)
        for c in conds:
            if c["type"] in ("Ready", "ContainersReady"):
                c["reason"] = "PodCompleted"
            if c["type"] == "PodReadyToStartContainers":
                c["status"] = "False"
        out["conditions"] = conds
        out["containerStatuses"] = [
            self._terminated(c, status, "Completed", 0) for c in status.get("containerStatuses") or []
        ]
        if status.get("initContainerStatuses"):
            out["initContainerStatuses"] = status["initContainerStatuses"]
        return out

    # --- lifecycle ----------------------------------------------------------------------------------
    async def register(self) -> None:
        await self._each(self.register_node, list(self.nodes.values()))
        await self._each(self.renew_lease, list(self.nodes.values()))

    async def run(self, stop: asyncio.Event) -> None:
        await self.register()
        self.pods.add_event_handler(self._on_pod, self._on_pod_update, self._on_pod_delete)
        self.pods.start()
        workers: list[asyncio.Task[None]] = []
        hb: asyncio.Task[None] | None = None
        try:
            while not await self.pods.wait_for_sync(1.0):
                if stop.is_set():
                    return
            self._recover_ips()
            loop = asyncio.get_running_loop()
            workers = [
                loop.create_task(self._worker(), name=f"simulated-nodes/pod-worker-{i}")
                for i in range(self.workers)
            ]
            hb = loop.create_task(self._heartbeat_loop(stop), name="simulated-nodes/heartbeat")
            await stop.wait()
        finally:
            self.queue.shutdown()
            tasks = [*workers, *([hb] if hb is not None else [])]
            for t in tasks:
                t.cancel()
            for t in tasks:
                try:
                    await t
                except (asyncio.CancelledError, Exception):
                    pass
            await self.pods.stop()


def readiness_gates_pass(pod: Obj) -> bool:
    """True when every ``spec.readinessGates`` condition is True in the pod's status."""
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return True
    conds = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or []}
    return all(conds.get(g.get("conditionType")) == "True" for g in gates)


def _qos_class(pod: Obj) -> str:
    containers = list((pod.get("spec") or {}).get("containers") or []) + list(
        (pod.get("spec") or {}).get("initContainers") or []
    )
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or (r in req and req[r] != lim[r]):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


async def run_simulated_nodes(
    kubeconfig: Path,
    stop: asyncio.Event,
    nodes: int,
    prefix: str = "sim-node-",
    cpu: str = "4",
    memory: str = "16Gi",
    pods: int = 110,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    *,
    heartbeat_interval: float = HEARTBEAT_INTERVAL,
) -> None:
    """Run ``nodes`` simulated nodes against the cluster of ``kubeconfig`` until ``stop`` is set.

    Nodes are named ``<prefix><i>``; each has the given capacity, the standard labels plus
    ``labels``, and ``taints``. Leases are renewed and Ready re-posted every
    ``heartbeat_interval`` seconds. On ``stop`` the heartbeat ends and the nodes stay."""
    client = RESTClient(load_kubeconfig(kubeconfig))
    try:
        sim = NodeSimulator(
            client,
            nodes,
            prefix=prefix,
            cpu=cpu,
            memory=memory,
            pods=pods,
            labels=labels,
            taints=taints,
            heartbeat_interval=heartbeat_interval,
        )
        await sim.run(stop)
    finally:
        await client.close()


__all__ = [
    "DURATION_ANNOTATION",
    "NodeSimulator",
    "SimulatedNode",
    "default_pod_cidr",
    "node_internal_ip",
    "run_duration",
    "run_simulated_nodes",
]
