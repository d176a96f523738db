"""DefaultPreemption (pkg/scheduler/framework/plugins/defaultpreemption): when no node fits, find a
node where evicting lower-priority pods makes room, delete those victims and nominate the node."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from kybernetes.client.rest import ApiError, RESTClient, is_not_found, resource_path
from kybernetes.scheduler.framework import (
    Code,
    CycleState,
    Framework,
    NodeInfo,
    PodInfo,
    Status,
    pod_priority,
    reasons_histogram,
)

log = logging.getLogger(__name__)

PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_VICTIMS = "No preemption victims found for incoming pod"


@dataclass
class Candidate:
    node_name: str
    victims: list[PodInfo]

    def rank(self) -> tuple[int, int, int]:
        prios = [pod_priority(v.pod) for v in self.victims]
        return (max(prios, default=-(2**31)), sum(prios), len(prios))


class DefaultPreemption:
    name = "DefaultPreemption"

    def __init__(self, client: RESTClient | None = None) -> None:
        self.client = client
        self.framework: Framework | None = None
        self.nodes: Callable[[], list[NodeInfo]] = list
        self.on_nominated: Callable[[PodInfo, str], None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def post_filter(
        self, state: CycleState, pod: PodInfo, node_to_status: dict[str, Status]
    ) -> tuple[str | None, Status]:
        nodes = self.nodes()
        n = len(nodes)
        if (pod.pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return None, Status.unresolvable("preemption: not eligible due to preemptionPolicy=Never.")
        statuses: dict[str, Status] = {}
        candidates: list[Candidate] = []
        for ni in nodes:
            st = node_to_status.get(ni.name)
            if st is None or st.code != Code.Unschedulable:
                statuses[ni.name] = Status.unresolvable(PREEMPTION_NOT_HELPFUL)
                continue
            victims, vst = self.select_victims_on_node(state, pod, ni)
            if victims is None:
                statuses[ni.name] = vst
            else:
                candidates.append(Candidate(ni.name, victims))
        if not candidates:
            msg = f"preemption: 0/{n} nodes are available: {reasons_histogram(statuses)}"
            return None, Status(Code.Unschedulable, [msg])
        best = min(candidates, key=Candidate.rank)
        self._prepare_candidate(pod, best)
        return best.node_name, Status()

    def select_victims_on_node(
        self, state: CycleState, pod: PodInfo, ni: NodeInfo
    ) -> tuple[list[PodInfo] | None, Status]:
        assert self.framework is not None
        prio = pod_priority(pod.pod)
        lower = [p for p in ni.pods.values() if pod_priority(p.pod) < prio]
        if not lower:
            return None, Status.unresolvable(NO_VICTIMS)
        trial = ni.clone()
        for v in lower:
            trial.remove_pod(v.key)
        st = self.framework.run_filter_plugins(state, pod, trial)
        if not st.is_success():
            return None, st
        # reprieve as many as possible, highest priority first
        victims: list[PodInfo] = []
        for v in sorted(lower, key=lambda p: -pod_priority(p.pod)):
            trial.add_pod(v)
            if not self.framework.run_filter_plugins(state, pod, trial).is_success():
                trial.remove_pod(v.key)
                victims.append(v)
        return victims, Status()

    def _prepare_candidate(self, pod: PodInfo, c: Candidate) -> None:
        if self.on_nominated is not None:
            self.on_nominated(pod, c.node_name)
        if self.client is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._delete_victims(c), name=f"scheduler/preempt/{pod.key}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _delete_victims(self, c: Candidate) -> None:
        assert self.client is not None
        for v in c.victims:
            meta = v.pod.get("metadata") or {}
            path = resource_path("", "v1", "pods", meta.get("namespace"), meta.get("name"))
            try:
                await self.client.delete(
                    path, preconditions={"uid": meta.get("uid")} if meta.get("uid") else None
                )
            except ApiError as e:
                if not is_not_found(e):
                    log.warning("preemption: deleting victim %s failed: %s", v.key, e.message)

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
