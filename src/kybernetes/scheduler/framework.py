"""The scheduling framework: Status, CycleState, NodeInfo/PodInfo and one protocol per extension point
(pkg/scheduler/framework/interface.go), plus the runtime that runs a profile's plugins in order."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kybernetes.api.quantity import to_int, to_milli

Obj = dict[str, Any]

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0

# defaults used for scoring pods that request nothing (pkg/scheduler/util/pod_resources.go)
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

CPU = "cpu"
MEMORY = "memory"
PODS = "pods"
EPHEMERAL_STORAGE = "ephemeral-storage"


class Code(enum.IntEnum):
    Success = 0
    Error = 1
    Unschedulable = 2
    UnschedulableAndUnresolvable = 3
    Wait = 4
    Skip = 5


@dataclass
class Status:
    code: Code = Code.Success
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    def is_success(self) -> bool:
        return self.code in (Code.Success, Code.Skip)

    def is_skip(self) -> bool:
        return self.code == Code.Skip

    def is_rejected(self) -> bool:
        return self.code in (Code.Unschedulable, Code.UnschedulableAndUnresolvable)

    def message(self) -> str:
        return ", ".join(self.reasons)

    @classmethod
    def unschedulable(cls, *reasons: str) -> Status:
        return cls(Code.Unschedulable, list(reasons))

    @classmethod
    def unresolvable(cls, *reasons: str) -> Status:
        return cls(Code.UnschedulableAndUnresolvable, list(reasons))

    @classmethod
    def error(cls, reason: str) -> Status:
        return cls(Code.Error, [reason])


SUCCESS = Status()


def is_success(s: Status | None) -> bool:
    return s is None or s.is_success()


class CycleState:
    """Per-cycle scratch space shared by a pod's plugins (framework.CycleState)."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()

    def write(self, key: str, value: Any) -> None:
        self._data[key] = value

    def read(self, key: str) -> Any:
        return self._data.get(key)


# --- resources -------------------------------------------------------------------------------------


def _qty(resource: str, value: object) -> int:
    s = str(value)
    return to_milli(s) if resource == CPU else to_int(s)


def _add_into(total: dict[str, int], reqs: Obj | None) -> None:
    for r, v in (reqs or {}).items():
        total[r] = total.get(r, 0) + _qty(r, v)


def container_requests(c: Obj) -> Obj:
    res = c.get("resources") or {}
    reqs: Obj = dict(res.get("limits") or {})  # limits default requests when requests are absent
    reqs.update(res.get("requests") or {})
    return reqs


def pod_requests(pod: Obj) -> dict[str, int]:
    """Effective requests: max(sum of app containers, max of each init container) + overhead.
    CPU in millicores, everything else in base units."""
    spec = pod.get("spec") or {}
    total: dict[str, int] = {}
    for c in spec.get("containers") or []:
        _add_into(total, container_requests(c))
    restartable: dict[str, int] = {}  # sidecars (restartPolicy Always) run alongside app containers
    for c in spec.get("initContainers") or []:
        one: dict[str, int] = {}
        _add_into(one, container_requests(c))
        if c.get("restartPolicy") == "Always":
            for r, v in one.items():
                total[r] = total.get(r, 0) + v
                restartable[r] = restartable.get(r, 0) + v
            continue
        for r, v in one.items():
            v += restartable.get(r, 0)
            if v > total.get(r, 0):
                total[r] = v
    _add_into(total, spec.get("overhead"))
    return total


def non_zero_requests(pod: Obj) -> tuple[int, int]:
    """(milliCPU, memory) with the scoring defaults for containers that request nothing."""
    spec = pod.get("spec") or {}
    cpu = mem = 0
    for c in spec.get("containers") or []:
        reqs = container_requests(c)
        cpu += to_milli(str(reqs[CPU])) if CPU in reqs else DEFAULT_MILLI_CPU_REQUEST
        mem += to_int(str(reqs[MEMORY])) if MEMORY in reqs else DEFAULT_MEMORY_REQUEST
    for c in spec.get("initContainers") or []:
        reqs = container_requests(c)
        icpu = to_milli(str(reqs[CPU])) if CPU in reqs else DEFAULT_MILLI_CPU_REQUEST
        imem = to_int(str(reqs[MEMORY])) if MEMORY in reqs else DEFAULT_MEMORY_REQUEST
        cpu, mem = max(cpu, icpu), max(mem, imem)
    overhead = spec.get("overhead") or {}
    if CPU in overhead:
        cpu += to_milli(str(overhead[CPU]))
    if MEMORY in overhead:
        mem += to_int(str(overhead[MEMORY]))
    return cpu, mem


def host_ports(pod: Obj) -> list[tuple[str, str, int]]:
    out: list[tuple[str, str, int]] = []
    spec = pod.get("spec") or {}
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for p in c.get("ports") or []:
            hp = int(p.get("hostPort") or 0)
            if hp > 0:
                out.append((str(p.get("hostIP") or "0.0.0.0"), str(p.get("protocol") or "TCP"), hp))
    return out


def pod_key(pod: Obj) -> str:
    m = pod.get("metadata") or {}
    return f"{m.get('namespace', '')}/{m.get('name', '')}"


def pod_priority(pod: Obj) -> int:
    p = (pod.get("spec") or {}).get("priority")
    return int(p) if p is not None else 0


def pod_labels(pod: Obj) -> dict[str, str]:
    return (pod.get("metadata") or {}).get("labels") or {}


@dataclass
class PodInfo:
    pod: Obj
    key: str
    requests: dict[str, int]
    non_zero_cpu: int
    non_zero_mem: int
    ports: list[tuple[str, str, int]]
    required_affinity: list[Obj]
    required_anti_affinity: list[Obj]

    @classmethod
    def of(cls, pod: Obj) -> PodInfo:
        cpu, mem = non_zero_requests(pod)
        aff = (pod.get("spec") or {}).get("affinity") or {}
        pa = aff.get("podAffinity") or {}
        paa = aff.get("podAntiAffinity") or {}
        return cls(
            pod=pod,
            key=pod_key(pod),
            requests=pod_requests(pod),
            non_zero_cpu=cpu,
            non_zero_mem=mem,
            ports=host_ports(pod),
            required_affinity=list(pa.get("requiredDuringSchedulingIgnoredDuringExecution") or []),
            required_anti_affinity=list(paa.get("requiredDuringSchedulingIgnoredDuringExecution") or []),
        )


def node_allocatable(node: Obj) -> dict[str, int]:
    st = node.get("status") or {}
    alloc = st.get("allocatable") or st.get("capacity") or {}
    return {r: _qty(r, v) for r, v in alloc.items()}


class NodeInfo:
    """A node and the pods (bound or assumed) on it, with their summed requests."""

    def __init__(self, node: Obj | None = None) -> None:
        self.node: Obj | None = None
        self.name = ""
        self.labels: dict[str, str] = {}
        self.allocatable: dict[str, int] = {}
        self.pods: dict[str, PodInfo] = {}
        self.requested: dict[str, int] = {}
        self.non_zero_cpu = 0
        self.non_zero_mem = 0
        self.used_ports: dict[tuple[str, str, int], int] = {}
        self.pods_with_required_anti_affinity: dict[str, PodInfo] = {}
        self.pods_with_affinity = 0
        self.generation = 0
        if node is not None:
            self.set_node(node)

    def set_node(self, node: Obj) -> None:
        self.node = node
        self.name = str((node.get("metadata") or {}).get("name") or "")
        self.labels = (node.get("metadata") or {}).get("labels") or {}
        self.allocatable = node_allocatable(node)
        self.generation += 1

    def add_pod(self, pi: PodInfo) -> None:
        if pi.key in self.pods:
            self.remove_pod(pi.key)
        self.pods[pi.key] = pi
        for r, v in pi.requests.items():
            self.requested[r] = self.requested.get(r, 0) + v
        self.non_zero_cpu += pi.non_zero_cpu
        self.non_zero_mem += pi.non_zero_mem
        for p in pi.ports:
            self.used_ports[p] = self.used_ports.get(p, 0) + 1
        if pi.required_anti_affinity:
            self.pods_with_required_anti_affinity[pi.key] = pi
        if pi.required_affinity or pi.required_anti_affinity:
            self.pods_with_affinity += 1
        self.generation += 1

    def remove_pod(self, key: str) -> PodInfo | None:
        pi = self.pods.pop(key, None)
        if pi is None:
            return None
        for r, v in pi.requests.items():
            self.requested[r] = self.requested.get(r, 0) - v
        self.non_zero_cpu -= pi.non_zero_cpu
        self.non_zero_mem -= pi.non_zero_mem
        for p in pi.ports:
            n = self.used_ports.get(p, 0) - 1
            if n <= 0:
                self.used_ports.pop(p, None)
            else:
                self.used_ports[p] = n
        self.pods_with_required_anti_affinity.pop(key, None)
        if pi.required_affinity or pi.required_anti_affinity:
            self.pods_with_affinity -= 1
        self.generation += 1
        return pi

    def clone(self) -> NodeInfo:
        c = NodeInfo()
        c.node, c.name, c.labels, c.allocatable = self.node, self.name, self.labels, self.allocatable
        for pi in self.pods.values():
            c.add_pod(pi)
        return c


# --- extension points ------------------------------------------------------------------------------


class Plugin(Protocol):
    name: str


@runtime_checkable
class QueueSortPlugin(Protocol):
    name: str

    def less(self, a: Any, b: Any) -> bool: ...


@runtime_checkable
class PreFilterPlugin(Protocol):
    name: str

    def pre_filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status: ...


@runtime_checkable
class FilterPlugin(Protocol):
    name: str

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status: ...


@runtime_checkable
class PostFilterPlugin(Protocol):
    name: str

    def post_filter(
        self, state: CycleState, pod: PodInfo, node_to_status: dict[str, Status]
    ) -> tuple[str | None, Status]: ...


@runtime_checkable
class PreScorePlugin(Protocol):
    name: str

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status: ...


@runtime_checkable
class ScorePlugin(Protocol):
    name: str

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int: ...


@runtime_checkable
class NormalizeScorePlugin(Protocol):
    name: str

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None: ...


@runtime_checkable
class ReservePlugin(Protocol):
    name: str

    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status: ...

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None: ...


@runtime_checkable
class PermitPlugin(Protocol):
    name: str

    def permit(self, state: CycleState, pod: PodInfo, node_name: str) -> Status: ...


@runtime_checkable
class BindPlugin(Protocol):
    name: str

    async def bind(self, state: CycleState, pod: Obj, node_name: str) -> Status: ...


@dataclass
class Diagnosis:
    node_to_status: dict[str, Status] = field(default_factory=dict)
    pre_filter_msg: str = ""
    post_filter_msg: str = ""


NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"


def reasons_histogram(node_to_status: dict[str, Status]) -> str:
    counts: dict[str, int] = {}
    for st in node_to_status.values():
        for r in st.reasons:
            counts[r] = counts.get(r, 0) + 1
    return ", ".join(sorted(f"{v} {k}" for k, v in counts.items()))


@dataclass
class FitError(Exception):
    pod: Obj
    num_all_nodes: int
    diagnosis: Diagnosis

    def __str__(self) -> str:
        msg = NO_NODE_AVAILABLE_MSG.format(self.num_all_nodes) + ":"
        if self.diagnosis.pre_filter_msg:
            msg += f" {self.diagnosis.pre_filter_msg}."
        else:
            hist = reasons_histogram(self.diagnosis.node_to_status)
            if hist:
                msg += f" {hist}."
        if self.diagnosis.post_filter_msg:
            msg += f" {self.diagnosis.post_filter_msg}."
        return msg


@dataclass
class WeightedScore:
    plugin: ScorePlugin
    weight: int


class Framework:
    """One profile: its plugins in order per extension point (frameworkruntime.frameworkImpl)."""

    def __init__(
        self,
        profile_name: str,
        plugins: Iterable[Any],
        score_weights: dict[str, int] | None = None,
    ) -> None:
        self.profile_name = profile_name
        self.plugins = list(plugins)
        weights = score_weights or {}
        self.queue_sort: QueueSortPlugin | None = None
        self.pre_filter: list[PreFilterPlugin] = []
        self.filter: list[FilterPlugin] = []
        self.post_filter: list[PostFilterPlugin] = []
        self.pre_score: list[PreScorePlugin] = []
        self.score: list[WeightedScore] = []
        self.reserve: list[ReservePlugin] = []
        self.permit: list[PermitPlugin] = []
        self.bind: list[BindPlugin] = []
        for p in self.plugins:
            if isinstance(p, QueueSortPlugin) and self.queue_sort is None:
                self.queue_sort = p
            if isinstance(p, PreFilterPlugin):
                self.pre_filter.append(p)
            if isinstance(p, FilterPlugin):
                self.filter.append(p)
            if isinstance(p, PostFilterPlugin):
                self.post_filter.append(p)
            if isinstance(p, PreScorePlugin):
                self.pre_score.append(p)
            if isinstance(p, ScorePlugin):
                self.score.append(WeightedScore(p, weights.get(p.name, 1)))
            if isinstance(p, ReservePlugin):
                self.reserve.append(p)
            if isinstance(p, PermitPlugin):
                self.permit.append(p)
            if isinstance(p, BindPlugin):
                self.bind.append(p)

    def plugin(self, name: str) -> Any:
        for p in self.plugins:
            if p.name == name:
                return p
        return None

    def run_pre_filter_plugins(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        for p in self.pre_filter:
            st = p.pre_filter(state, pod, nodes)
            if st.is_skip():
                state.skip_filter_plugins.add(p.name)
                continue
            if not st.is_success():
                st.plugin = st.plugin or p.name
                return st
        return SUCCESS

    def run_filter_plugins(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        skip = state.skip_filter_plugins
        for p in self.filter:
            if skip and p.name in skip:
                continue
            st = p.filter(state, pod, node)
            if st is not SUCCESS and not st.is_success():
                st.plugin = st.plugin or p.name
                return st
        return SUCCESS

    def run_post_filter_plugins(
        self, state: CycleState, pod: PodInfo, node_to_status: dict[str, Status]
    ) -> tuple[str | None, Status]:
        reasons: list[str] = []
        for p in self.post_filter:
            nominated, st = p.post_filter(state, pod, node_to_status)
            if st.is_success():
                return nominated, st
            if st.code == Code.Error:
                return None, st
            reasons.extend(st.reasons)
        return None, Status(Code.Unschedulable, reasons)

    def run_pre_score_plugins(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        for p in self.pre_score:
            st = p.pre_score(state, pod, nodes)
            if st.is_skip():
                state.skip_score_plugins.add(p.name)
                continue
            if not st.is_success():
                st.plugin = st.plugin or p.name
                return st
        return SUCCESS

    def run_score_plugins(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> dict[str, int]:
        totals = {n.name: 0 for n in nodes}
        for ws in self.score:
            p = ws.plugin
            if p.name in state.skip_score_plugins:
                continue
            scores = {n.name: p.score(state, pod, n) for n in nodes}
            if isinstance(p, NormalizeScorePlugin):
                p.normalize_score(state, pod, scores)
            for name, s in scores.items():
                totals[name] += s * ws.weight
        return totals

    def run_reserve_plugins_reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        for p in self.reserve:
            st = p.reserve(state, pod, node_name)
            if not st.is_success():
                st.plugin = st.plugin or p.name
                return st
        return SUCCESS

    def run_reserve_plugins_unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        for p in reversed(self.reserve):
            p.unreserve(state, pod, node_name)

    def run_permit_plugins(self, state: CycleState, pod: PodInfo, node_name: str) -> Status:
        for p in self.permit:
            st = p.permit(state, pod, node_name)
            if not st.is_success():
                st.plugin = st.plugin or p.name
                return st
        return SUCCESS

    async def run_bind_plugins(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        if not self.bind:
            return Status.error("no bind plugin is configured")
        st = SUCCESS
        for p in self.bind:
            st = await p.bind(state, pod, node_name)
            if st.is_skip():
                continue
            if not st.is_success():
                st.plugin = st.plugin or p.name
            return st
        return st


PluginFactory = Callable[..., Any]
