"""kube-scheduler: informers feed the cache and the queue; one synchronous scheduling cycle at a time
(filter, score, assume, reserve, permit) and an asynchronous binding cycle per pod."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformer, SharedInformerFactory
from kybernetes.client.kubeconfig import KubeConfig, load_kubeconfig
from kybernetes.client.leaderelection import LeaderElectionConfig, LeaderElector
from kybernetes.client.rest import ApiError, RESTClient, is_not_found, resource_path
from kybernetes.scheduler.cache import SchedulerCache
from kybernetes.scheduler.framework import (
    Code,
    CycleState,
    Diagnosis,
    FitError,
    Framework,
    NodeInfo,
    Obj,
    PodInfo,
    Status,
    pod_key,
)
from kybernetes.scheduler.plugins import (
    DEFAULT_SCORE_WEIGHTS,
    DefaultBinder,
    InterPodAffinity,
    NodeAffinity,
    NodeName,
    NodePorts,
    NodeResourcesBalancedAllocation,
    NodeResourcesFit,
    NodeUnschedulable,
    PodTopologySpread,
    PrioritySort,
    TaintToleration,
)
from kybernetes.scheduler.preemption import DefaultPreemption
from kybernetes.scheduler.queue import (
    ASSIGNED_POD_ADD,
    ASSIGNED_POD_DELETE,
    NODE_ADD,
    NODE_UPDATE,
    QueuedPodInfo,
    SchedulingQueue,
)

log = logging.getLogger(__name__)

DEFAULT_SCHEDULER_NAME = "default-scheduler"
COMPONENT = "default-scheduler"
ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5

# which plugins' rejections each cluster event can resolve (the QueueingHints of upstream, coarsely)
ALL_PLUGINS = frozenset(
    {
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "InterPodAffinity",
        "PodTopologySpread",
    }
)
EVENT_PLUGINS: dict[str, frozenset[str]] = {
    NODE_ADD: ALL_PLUGINS,
    NODE_UPDATE: ALL_PLUGINS,
    ASSIGNED_POD_ADD: frozenset({"InterPodAffinity", "PodTopologySpread"}),
    ASSIGNED_POD_DELETE: frozenset(
        {"NodeResourcesFit", "NodePorts", "InterPodAffinity", "PodTopologySpread"}
    ),
}


def default_plugins(client: RESTClient | None, namespace_labels: Any = None) -> list[Any]:
    """The default profile's plugins in upstream order (apis/config/v1/default_plugins.go)."""
    return [
        PrioritySort(),
        NodeUnschedulable(),
        NodeName(),
        TaintToleration(),
        NodeAffinity(),
        NodePorts(),
        NodeResourcesFit(),
        PodTopologySpread(),
        InterPodAffinity(namespace_labels),
        DefaultPreemption(client),
        NodeResourcesBalancedAllocation(),
        *([DefaultBinder(client)] if client is not None else []),
    ]


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """How many feasible nodes to look for before scoring (percentageOfNodesToScore, adaptive)."""
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage <= 0:
        percentage = max(50 - num_all_nodes // 125, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    n = num_all_nodes * percentage // 100
    return max(n, MIN_FEASIBLE_NODES_TO_FIND)


@dataclass
class ScheduleResult:
    suggested_host: str
    evaluated_nodes: int
    feasible_nodes: int


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _is_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _assigned(pod: Obj) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _as_pod(pod: Obj) -> Obj:
    if pod.get("kind") and pod.get("apiVersion"):
        return pod
    return {**pod, "kind": "Pod", "apiVersion": "v1"}


class Scheduler:
    def __init__(
        self,
        client: RESTClient | None,
        profiles: dict[str, Framework],
        *,
        recorder: EventRecorder | None = None,
        percentage_of_nodes_to_score: int = 0,
    ) -> None:
        self.client = client
        self.profiles = profiles
        first = next(iter(profiles.values()))
        sort = first.queue_sort or PrioritySort()
        self.queue = SchedulingQueue(sort.less)
        self.cache = SchedulerCache()
        self.recorder = recorder
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.next_start_node_index = 0
        self.pod_lister: SharedInformer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.scheduled = 0
        for fwk in profiles.values():
            pre = fwk.plugin("DefaultPreemption")
            if isinstance(pre, DefaultPreemption):
                pre.framework = fwk
                pre.nodes = self.cache.node_list

    # --- event handlers (informer callbacks; only touch the cache and the queue) ----------------
    def responsible_for(self, pod: Obj) -> bool:
        return str((pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME) in self.profiles

    def _move(self, event: str) -> None:
        self.queue.move_all_to_active_or_backoff(event, EVENT_PLUGINS.get(event))

    def on_node_add(self, node: Obj) -> None:
        self.cache.add_node(node)
        self._move(NODE_ADD)

    def on_node_update(self, old: Obj, new: Obj) -> None:
        self.cache.update_node(new)
        if (
            old.get("spec"),
            (old.get("metadata") or {}).get("labels"),
            (old.get("status") or {}).get("allocatable"),
        ) != (
            new.get("spec"),
            (new.get("metadata") or {}).get("labels"),
            (new.get("status") or {}).get("allocatable"),
        ):
            self._move(NODE_UPDATE)

    def on_node_delete(self, node: Obj) -> None:
        self.cache.remove_node(node)

    def on_pod_add(self, pod: Obj) -> None:
        if _assigned(pod):
            if not _is_terminal(pod):
                self.cache.add_pod(pod)
                self._move(ASSIGNED_POD_ADD)
        elif self.responsible_for(pod) and not (pod.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.add(pod)

    def on_pod_update(self, old: Obj, new: Obj) -> None:
        if _assigned(new):
            if not _assigned(old):
                self.queue.delete(new)
            if _is_terminal(new):
                if self.cache.pod_node(pod_key(new)) is not None:
                    self.cache.remove_pod(new)
                    self._move(ASSIGNED_POD_DELETE)
            else:
                self.cache.update_pod(new)
                if not _assigned(old):
                    self._move(ASSIGNED_POD_ADD)
        elif self.responsible_for(new):
            if (new.get("metadata") or {}).get("deletionTimestamp"):
                self.queue.delete(new)
            else:
                self.queue.update(new)

    def on_pod_delete(self, pod: Obj) -> None:
        if _assigned(pod) or self.cache.pod_node(pod_key(pod)) is not None:
            self.cache.remove_pod(pod)
            self._move(ASSIGNED_POD_DELETE)
        else:
            self.queue.delete(pod)

    def register(self, factory: SharedInformerFactory) -> None:
        nodes = factory.informer_for("", "v1", "nodes")
        nodes.add_event_handler(self.on_node_add, self.on_node_update, self.on_node_delete)
        pods = factory.informer_for("", "v1", "pods")
        pods.add_event_handler(self.on_pod_add, self.on_pod_update, self.on_pod_delete)
        self.pod_lister = pods

    # --- scheduling cycle ----------------------------------------------------------------------
    def framework_for(self, pod: Obj) -> Framework | None:
        return self.profiles.get(str((pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME))

    def _current(self, pod: Obj) -> Obj | None:
        """The pod as the informer sees it now (None if deleted)."""
        if self.pod_lister is None:
            return pod
        meta = pod.get("metadata") or {}
        return self.pod_lister.get(str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    def schedule_pod(self, fwk: Framework, state: CycleState, pi: PodInfo) -> ScheduleResult:
        nodes = self.cache.node_list()
        if not nodes:
            raise FitError(pi.pod, 0, Diagnosis(pre_filter_msg=ERR_NO_NODES_AVAILABLE))
        diagnosis = Diagnosis()
        st = fwk.run_pre_filter_plugins(state, pi, nodes)
        if not st.is_success():
            if st.code == Code.Error:
                raise RuntimeError(st.message())
            diagnosis.pre_filter_msg = st.message()
            for n in nodes:
                diagnosis.node_to_status[n.name] = st
            raise FitError(pi.pod, len(nodes), diagnosis)
        feasible = self.find_nodes_that_pass_filters(fwk, state, pi, nodes, diagnosis)
        if not feasible:
            raise FitError(pi.pod, len(nodes), diagnosis)
        evaluated = len(feasible) + len(diagnosis.node_to_status)
        if len(feasible) == 1:
            return ScheduleResult(feasible[0].name, evaluated, 1)
        st = fwk.run_pre_score_plugins(state, pi, feasible)
        if not st.is_success():
            raise RuntimeError(st.message())
        scores = fwk.run_score_plugins(state, pi, feasible)
        return ScheduleResult(select_host(scores), evaluated, len(feasible))

    def find_nodes_that_pass_filters(
        self, fwk: Framework, state: CycleState, pi: PodInfo, nodes: list[NodeInfo], diagnosis: Diagnosis
    ) -> list[NodeInfo]:
        total = len(nodes)
        want = num_feasible_nodes_to_find(total, self.percentage_of_nodes_to_score)
        feasible: list[NodeInfo] = []
        start = self.next_start_node_index % total
        checked = 0
        for i in range(total):
            ni = nodes[(start + i) % total]
            checked += 1
            st = fwk.run_filter_plugins(state, pi, ni)
            if st.is_success():
                feasible.append(ni)
                if len(feasible) >= want:
                    break
            elif st.code == Code.Error:
                raise RuntimeError(st.message())
            else:
                diagnosis.node_to_status[ni.name] = st
        self.next_start_node_index = (start + checked) % total
        return feasible

    def schedule_one(self, qp: QueuedPodInfo) -> None:
        """One synchronous scheduling cycle; starts the binding cycle as a task."""
        pod = self._current(qp.pod)
        if pod is None or _assigned(pod) or (pod.get("metadata") or {}).get("deletionTimestamp"):
            self.queue.done(qp.key)
            return
        qp.pod = pod
        fwk = self.framework_for(pod)
        if fwk is None:
            self.queue.done(qp.key)
            return
        if self.cache.is_assumed(qp.key):
            self.queue.done(qp.key)
            return
        cycle = self.queue.scheduling_cycle
        state = CycleState()
        pi = PodInfo.of(pod)
        try:
            result = self.schedule_pod(fwk, state, pi)
        except FitError as fe:
            if fe.num_all_nodes > 0 and fwk.post_filter:
                nominated, pst = fwk.run_post_filter_plugins(state, pi, fe.diagnosis.node_to_status)
                if not pst.is_success() and pst.reasons:
                    fe.diagnosis.post_filter_msg = pst.message()
                if nominated:
                    self._spawn(self._set_nominated_node(pod, nominated), f"nominate/{qp.key}")
            qp.unschedulable_plugins = {s.plugin for s in fe.diagnosis.node_to_status.values() if s.plugin}
            self.handle_scheduling_failure(fwk, qp, Status(Code.Unschedulable, [str(fe)]), cycle)
            return
        except Exception as e:
            log.exception("scheduling %s failed", qp.key)
            self.handle_scheduling_failure(fwk, qp, Status.error(str(e)), cycle)
            return
        host = result.suggested_host
        self.cache.assume_pod(pi, host)
        st = fwk.run_reserve_plugins_reserve(state, pi, host)
        if st.is_success():
            st = fwk.run_permit_plugins(state, pi, host)
        if not st.is_success():
            fwk.run_reserve_plugins_unreserve(state, pi, host)
            self.cache.forget_pod(qp.key)
            self._move(ASSIGNED_POD_DELETE)
            self.handle_scheduling_failure(fwk, qp, st, cycle)
            return
        self._spawn(self.binding_cycle(fwk, state, qp, pi, host), f"bind/{qp.key}")

    async def binding_cycle(
        self, fwk: Framework, state: CycleState, qp: QueuedPodInfo, pi: PodInfo, host: str
    ) -> None:
        st = await fwk.run_bind_plugins(state, pi.pod, host)
        if st.is_success():
            self.scheduled += 1
            self.queue.done(qp.key)
            meta = pi.pod.get("metadata") or {}
            if self.recorder is not None:
                self.recorder.event(
                    _as_pod(pi.pod),
                    "Normal",
                    "Scheduled",
                    f"Successfully assigned {meta.get('namespace')}/{meta.get('name')} to {host}",
                )
            return
        fwk.run_reserve_plugins_unreserve(state, pi, host)
        self.cache.forget_pod(qp.key)
        self._move(ASSIGNED_POD_DELETE)
        self.handle_scheduling_failure(fwk, qp, Status.error(f"Binding rejected: {st.message()}"), -1)

    def handle_scheduling_failure(
        self, fwk: Framework, qp: QueuedPodInfo, status: Status, cycle: int
    ) -> None:
        pod = self._current(qp.pod)
        if pod is None or _assigned(pod):
            self.queue.done(qp.key)  # deleted or bound meanwhile: nothing to retry
            return
        qp.pod = pod
        msg = status.message()
        if status.code == Code.Error or cycle < 0:
            self.queue.add_backoff(qp)
        else:
            self.queue.add_unschedulable_if_not_present(qp, cycle)
        log.info("unable to schedule pod %s: %s", qp.key, msg)
        if self.recorder is not None:
            self.recorder.event(_as_pod(pod), "Warning", "FailedScheduling", msg)
        reason = "SchedulerError" if status.code == Code.Error else "Unschedulable"
        self._spawn(self._update_pod_scheduled_condition(pod, reason, msg), f"status/{qp.key}")

    # --- API writes ----------------------------------------------------------------------------
    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=f"scheduler/{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _update_pod_scheduled_condition(self, pod: Obj, reason: str, message: str) -> None:
        if self.client is None:
            return
        conds: list[Obj] = list((pod.get("status") or {}).get("conditions") or [])
        old = next((c for c in conds if c.get("type") == "PodScheduled"), None)
        if old is not None and (old.get("status"), old.get("reason"), old.get("message")) == (
            "False",
            reason,
            message,
        ):
            return
        new: Obj = {
            "type": "PodScheduled",
            "status": "False",
            "reason": reason,
            "message": message,
            "lastProbeTime": None,
            "lastTransitionTime": old.get("lastTransitionTime")
            if old is not None and old.get("status") == "False"
            else _now(),
        }
        meta = pod.get("metadata") or {}
        path = resource_path("", "v1", "pods", meta.get("namespace"), meta.get("name"), "status")
        try:
            # a strategic merge patch merges conditions by type: only PodScheduled changes, whatever
            # other components (kubelet, controllers) wrote meanwhile (a merge patch would replace the list)
            await self.client.patch(path, {"status": {"conditions": [new]}}, "strategic")
        except ApiError as e:
            if not is_not_found(e):
                log.warning("updating PodScheduled of %s failed: %s", pod_key(pod), e.message)

    async def _set_nominated_node(self, pod: Obj, node: str) -> None:
        if self.client is None:
            return
        meta = pod.get("metadata") or {}
        path = resource_path("", "v1", "pods", meta.get("namespace"), meta.get("name"), "status")
        try:
            await self.client.patch(path, {"status": {"nominatedNodeName": node}}, "merge")
        except ApiError as e:
            if not is_not_found(e):
                log.warning("setting nominatedNodeName of %s failed: %s", pod_key(pod), e.message)

    # --- loop ----------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Schedule pods until ``stop`` is set."""
        flush_at = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            qp = await self.queue.pop(timeout=0.5)
            if loop.time() >= flush_at:
                self.queue.flush_unschedulable_left_over()
                flush_at = loop.time() + 30.0
            if qp is None:
                continue
            self.schedule_one(qp)
            await asyncio.sleep(0)

    async def close(self) -> None:
        for fwk in self.profiles.values():
            pre = fwk.plugin("DefaultPreemption")
            if isinstance(pre, DefaultPreemption):
                await pre.close()
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self._tasks, return_exceptions=True), 10.0)


def select_host(scores: dict[str, int]) -> str:
    """The highest score; ties broken uniformly at random (reservoir sampling, as upstream)."""
    best = ""
    best_score = -1
    ties = 0
    for name, s in scores.items():
        if s > best_score:
            best, best_score, ties = name, s, 1
        elif s == best_score:
            ties += 1
            if random.randrange(ties) == 0:
                best = name
    return best


def new_profiles(
    client: RESTClient | None, names: Iterable[str], namespace_labels: Any = None
) -> dict[str, Framework]:
    return {
        name: Framework(name, default_plugins(client, namespace_labels), DEFAULT_SCORE_WEIGHTS)
        for name in names
    }


async def run_scheduler(
    kubeconfig: Path,
    stop: asyncio.Event,
    leader_elect: bool = True,
    scheduler_name: str = DEFAULT_SCHEDULER_NAME,
) -> None:
    """Run kube-scheduler against the API server of ``kubeconfig`` until ``stop`` is set.
    ``scheduler_name`` may list several profile names separated by commas."""
    await run_scheduler_with_config(load_kubeconfig(kubeconfig), stop, leader_elect, scheduler_name)


async def run_scheduler_with_config(
    config: KubeConfig,
    stop: asyncio.Event,
    leader_elect: bool = True,
    scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    *,
    lease_namespace: str = "kube-system",
    lease_name: str = "kube-scheduler",
) -> None:
    """As :func:`run_scheduler`, from a loaded config; the leader-election Lease is
    ``lease_namespace/lease_name``."""
    names = [n.strip() for n in scheduler_name.split(",") if n.strip()] or [DEFAULT_SCHEDULER_NAME]
    async with RESTClient(config, user_agent="kyb-scheduler") as client:
        factory = SharedInformerFactory(client)
        namespaces = factory.informer_for("", "v1", "namespaces")

        def namespace_labels(ns: str) -> dict[str, str] | None:
            obj = namespaces.get_by_key(ns)
            return None if obj is None else (obj.get("metadata") or {}).get("labels") or {}

        recorder = EventRecorder(client, COMPONENT)
        sched = Scheduler(client, new_profiles(client, names, namespace_labels), recorder=recorder)
        sched.register(factory)
        factory.start()
        try:
            while not stop.is_set() and not await factory.wait_for_cache_sync(1.0):
                pass

            async def lead() -> None:
                await sched.run(stop)

            if leader_elect:
                elector = LeaderElector(
                    client,
                    LeaderElectionConfig(
                        lock_namespace=lease_namespace, lock_name=lease_name, on_started_leading=lead
                    ),
                )
                while not stop.is_set():
                    await elector.run(stop)
            elif not stop.is_set():
                await sched.run(stop)
        finally:
            sched.queue.close()
            await sched.close()
            await recorder.close()
            await factory.stop()


__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "ScheduleResult",
    "Scheduler",
    "default_plugins",
    "new_profiles",
    "num_feasible_nodes_to_find",
    "run_scheduler",
    "run_scheduler_with_config",
    "select_host",
]
