"""The default plugins of kube-scheduler (pkg/scheduler/framework/plugins), with upstream names,
reasons and weights."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from kybernetes.api.selectors import SelectorParseError, selector_from_label_selector
from kybernetes.client.rest import ApiError, RESTClient, resource_path
from kybernetes.scheduler.framework import (
    CPU,
    MAX_NODE_SCORE,
    MEMORY,
    PODS,
    SUCCESS,
    Code,
    CycleState,
    NodeInfo,
    Obj,
    PodInfo,
    Status,
    pod_labels,
    pod_priority,
)

log = logging.getLogger(__name__)

HOSTNAME_LABEL = "kubernetes.io/hostname"


# --- PrioritySort ----------------------------------------------------------------------------------


class PrioritySort:
    name = "PrioritySort"

    def less(self, a: Any, b: Any) -> bool:
        """Higher priority first, then the earlier queue timestamp."""
        pa, pb = pod_priority(a.pod), pod_priority(b.pod)
        return pa > pb or (pa == pb and a.timestamp < b.timestamp)


# --- NodeUnschedulable -----------------------------------------------------------------------------

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


def tolerates(tol: Obj, taint: Obj) -> bool:
    """v1.Toleration.ToleratesTaint."""
    effect = tol.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = tol.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = tol.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (tol.get("value") or "") == (taint.get("value") or "")
    return False


def tolerations_tolerate_taint(tolerations: list[Obj], taint: Obj) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        assert node.node is not None
        if not (node.node.get("spec") or {}).get("unschedulable"):
            return SUCCESS
        tols = (pod.pod.get("spec") or {}).get("tolerations") or []
        if tolerations_tolerate_taint(tols, {"key": TAINT_NODE_UNSCHEDULABLE, "effect": "NoSchedule"}):
            return SUCCESS
        return Status.unresolvable(ERR_REASON_UNSCHEDULABLE)


# --- NodeName --------------------------------------------------------------------------------------

ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name"


class NodeName:
    name = "NodeName"

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        want = (pod.pod.get("spec") or {}).get("nodeName")
        if want and want != node.name:
            return Status.unresolvable(ERR_REASON_NODE_NAME)
        return SUCCESS


# --- TaintToleration -------------------------------------------------------------------------------


class TaintToleration:
    name = "TaintToleration"

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        assert node.node is not None
        taints = (node.node.get("spec") or {}).get("taints") or []
        if not taints:
            return SUCCESS
        tols = (pod.pod.get("spec") or {}).get("tolerations") or []
        for t in taints:
            if t.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not tolerations_tolerate_taint(tols, t):
                return Status.unresolvable(
                    f"node(s) had untolerated taint {{{t.get('key', '')}: {t.get('value', '')}}}"
                )
        return SUCCESS

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        """Skip scoring when no candidate node has a PreferNoSchedule taint (every score would be 0)."""
        for n in nodes:
            for t in ((n.node or {}).get("spec") or {}).get("taints") or []:
                if t.get("effect") == "PreferNoSchedule":
                    return SUCCESS
        return Status(Code.Skip)

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        """The number of PreferNoSchedule taints the pod does not tolerate (reversed when normalized)."""
        assert node.node is not None
        taints = (node.node.get("spec") or {}).get("taints") or []
        tols = [
            t
            for t in (pod.pod.get("spec") or {}).get("tolerations") or []
            if not t.get("effect") or t.get("effect") == "PreferNoSchedule"
        ]
        return sum(
            1
            for t in taints
            if t.get("effect") == "PreferNoSchedule" and not tolerations_tolerate_taint(tols, t)
        )

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        default_normalize_score(scores, reverse=True)


def default_normalize_score(scores: dict[str, int], reverse: bool) -> None:
    """helper.DefaultNormalizeScore: scale to [0, 100], optionally reversed."""
    top = max(scores.values(), default=0)
    if top == 0:
        if reverse:
            for k in scores:
                scores[k] = MAX_NODE_SCORE
        return
    for k, v in scores.items():
        s = MAX_NODE_SCORE * v // top
        scores[k] = MAX_NODE_SCORE - s if reverse else s


# --- NodeAffinity ----------------------------------------------------------------------------------

ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector"


def _node_requirement_matches(req: Obj, values: Mapping[str, str]) -> bool:
    key = req.get("key") or ""
    op = req.get("operator") or ""
    vals = list(req.get("values") or [])
    have = values.get(key)
    if op == "In":
        return have is not None and have in vals
    if op == "NotIn":
        return have is None or have not in vals
    if op == "Exists":
        return have is not None
    if op == "DoesNotExist":
        return have is None
    if op in ("Gt", "Lt"):
        if have is None or len(vals) != 1:
            return False
        try:
            a, b = int(have), int(vals[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def node_selector_term_matches(term: Obj, node: NodeInfo) -> bool:
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches nothing
    if not all(_node_requirement_matches(r, node.labels) for r in exprs):
        return False
    field_values = {"metadata.name": node.name}
    return all(_node_requirement_matches(r, field_values) for r in fields)


def node_selector_matches(selector: Obj, node: NodeInfo) -> bool:
    """Terms are ORed; requirements in a term are ANDed."""
    return any(node_selector_term_matches(t, node) for t in selector.get("nodeSelectorTerms") or [])


def pod_matches_node_selector_and_affinity(pod: Obj, node: NodeInfo) -> bool:
    spec = pod.get("spec") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if node.labels.get(k) != v:
            return False
    na = (spec.get("affinity") or {}).get("nodeAffinity") or {}
    req = na.get("requiredDuringSchedulingIgnoredDuringExecution")
    return req is None or node_selector_matches(req, node)


class NodeAffinity:
    name = "NodeAffinity"

    def pre_filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        spec = pod.pod.get("spec") or {}
        na = (spec.get("affinity") or {}).get("nodeAffinity") or {}
        if not spec.get("nodeSelector") and not na.get("requiredDuringSchedulingIgnoredDuringExecution"):
            return Status(Code.Skip)
        return SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        if pod_matches_node_selector_and_affinity(pod.pod, node):
            return SUCCESS
        return Status.unresolvable(ERR_REASON_NODE_AFFINITY)

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        na = ((pod.pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
        if not na.get("preferredDuringSchedulingIgnoredDuringExecution"):
            return Status(Code.Skip)
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        na = ((pod.pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}
        total = 0
        for term in na.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            w = int(term.get("weight") or 0)
            if w and node_selector_term_matches(term.get("preference") or {}, node):
                total += w
        return total

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        default_normalize_score(scores, reverse=False)


# --- NodePorts -------------------------------------------------------------------------------------

ERR_REASON_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports"


def _port_conflicts(want: tuple[str, str, int], used: Mapping[tuple[str, str, int], int]) -> bool:
    ip, proto, port = want
    for uip, uproto, uport in used:
        if uport == port and uproto == proto and (ip == "0.0.0.0" or uip == "0.0.0.0" or ip == uip):
            return True
    return False


class NodePorts:
    name = "NodePorts"

    def pre_filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        return SUCCESS if pod.ports else Status(Code.Skip)

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        if node.used_ports and any(_port_conflicts(p, node.used_ports) for p in pod.ports):
            return Status.unschedulable(ERR_REASON_NODE_PORTS)
        return SUCCESS


# --- NodeResourcesFit ------------------------------------------------------------------------------


class NodeResourcesFit:
    """Filter: requests fit allocatable minus what bound and assumed pods request.
    Score: LeastAllocated over cpu and memory (weights 1)."""

    name = "NodeResourcesFit"

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        reasons = insufficient_resources(pod, node)
        if reasons:
            return Status.unschedulable(*reasons)
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        total = 0
        for alloc, req in _cpu_mem_requested(pod, node):
            if alloc == 0 or req > alloc:
                continue
            total += (alloc - req) * MAX_NODE_SCORE // alloc
        return total // 2


def _cpu_mem_requested(pod: PodInfo, node: NodeInfo) -> list[tuple[int, int]]:
    return [
        (node.allocatable.get(CPU, 0), node.non_zero_cpu + pod.non_zero_cpu),
        (node.allocatable.get(MEMORY, 0), node.non_zero_mem + pod.non_zero_mem),
    ]


def insufficient_resources(pod: PodInfo, node: NodeInfo) -> list[str]:
    reasons: list[str] = []
    allowed_pods = node.allocatable.get(PODS, 0)
    if len(node.pods) + 1 > allowed_pods:
        reasons.append("Too many pods")
    for r, want in pod.requests.items():
        if want <= 0 or r == PODS:
            continue
        if want > node.allocatable.get(r, 0) - node.requested.get(r, 0):
            reasons.append(f"Insufficient {r}")
    return reasons


# --- NodeResourcesBalancedAllocation ---------------------------------------------------------------


class NodeResourcesBalancedAllocation:
    name = "NodeResourcesBalancedAllocation"

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        fractions: list[float] = []
        for alloc, req in _cpu_mem_requested(pod, node):
            if alloc == 0:
                continue
            fractions.append(min(1.0, req / alloc))
        if len(fractions) < 2:
            return MAX_NODE_SCORE
        mean = sum(fractions) / len(fractions)
        var = sum((f - mean) ** 2 for f in fractions) / len(fractions)
        std = var**0.5
        return int((1 - std) * MAX_NODE_SCORE)


# --- InterPodAffinity ------------------------------------------------------------------------------

ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"

NamespaceLabels = Callable[[str], "dict[str, str] | None"]


class AffinityTerm:
    def __init__(self, term: Obj, owner_namespace: str, namespace_labels: NamespaceLabels) -> None:
        self.topology_key = str(term.get("topologyKey") or "")
        try:
            self.selector = selector_from_label_selector(term.get("labelSelector"))
        except SelectorParseError:
            self.selector = selector_from_label_selector(None)
        self.namespaces = set(term.get("namespaces") or [])
        ns_sel = term.get("namespaceSelector")
        self.ns_selector = None
        if ns_sel is not None:
            try:
                self.ns_selector = selector_from_label_selector(ns_sel)
            except SelectorParseError:
                self.ns_selector = None
        if not self.namespaces and ns_sel is None:
            self.namespaces = {owner_namespace}
        self.namespace_labels = namespace_labels

    def matches(self, pod: Obj) -> bool:
        ns = str((pod.get("metadata") or {}).get("namespace") or "")
        in_ns = ns in self.namespaces
        if not in_ns and self.ns_selector is not None:
            if self.ns_selector.empty():
                in_ns = True
            else:
                in_ns = self.ns_selector.matches(self.namespace_labels(ns) or {})
        return in_ns and self.selector.matches(pod_labels(pod))


_IPA_STATE = "PreFilterInterPodAffinity"


class _IPAState:
    def __init__(self) -> None:
        self.existing_anti: dict[tuple[str, str], int] = {}
        self.affinity: dict[tuple[str, str], int] = {}
        self.anti: dict[tuple[str, str], int] = {}
        self.affinity_terms: list[AffinityTerm] = []
        self.anti_terms: list[AffinityTerm] = []


class InterPodAffinity:
    """Required pod affinity and anti-affinity (any topology key), and existing pods' anti-affinity."""

    name = "InterPodAffinity"

    def __init__(self, namespace_labels: NamespaceLabels | None = None) -> None:
        self.namespace_labels: NamespaceLabels = namespace_labels or (lambda ns: None)

    def _terms(self, terms: list[Obj], ns: str) -> list[AffinityTerm]:
        return [AffinityTerm(t, ns, self.namespace_labels) for t in terms]

    def pre_filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        s = _IPAState()
        ns = str((pod.pod.get("metadata") or {}).get("namespace") or "")
        s.affinity_terms = self._terms(pod.required_affinity, ns)
        s.anti_terms = self._terms(pod.required_anti_affinity, ns)
        has_terms = bool(s.affinity_terms or s.anti_terms)
        any_existing = False
        for n in nodes:
            if n.pods_with_required_anti_affinity:
                any_existing = True
                for epi in n.pods_with_required_anti_affinity.values():
                    ens = str((epi.pod.get("metadata") or {}).get("namespace") or "")
                    for t in self._terms(epi.required_anti_affinity, ens):
                        v = n.labels.get(t.topology_key)
                        if v is not None and t.matches(pod.pod):
                            k = (t.topology_key, v)
                            s.existing_anti[k] = s.existing_anti.get(k, 0) + 1
            if has_terms and n.pods:
                for epi in n.pods.values():
                    for t in s.affinity_terms:
                        v = n.labels.get(t.topology_key)
                        if v is not None and t.matches(epi.pod):
                            k = (t.topology_key, v)
                            s.affinity[k] = s.affinity.get(k, 0) + 1
                    for t in s.anti_terms:
                        v = n.labels.get(t.topology_key)
                        if v is not None and t.matches(epi.pod):
                            k = (t.topology_key, v)
                            s.anti[k] = s.anti.get(k, 0) + 1
        if not has_terms and not any_existing:
            return Status(Code.Skip)
        state.write(_IPA_STATE, s)
        return SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        s: _IPAState | None = state.read(_IPA_STATE)
        if s is None:
            return SUCCESS
        for (key, value), n in s.existing_anti.items():
            if n > 0 and node.labels.get(key) == value:
                return Status.unschedulable(ERR_REASON_EXISTING_ANTI_AFFINITY)
        if s.affinity_terms:
            ok = True
            for t in s.affinity_terms:
                v = node.labels.get(t.topology_key)
                if v is None or s.affinity.get((t.topology_key, v), 0) <= 0:
                    ok = False
                    break
            if not ok:
                # a pod whose affinity matches itself may go first when no pod matches anywhere
                self_match = all(t.matches(pod.pod) for t in s.affinity_terms)
                if not (
                    self_match
                    and not s.affinity
                    and all(t.topology_key in node.labels for t in s.affinity_terms)
                ):
                    return Status.unresolvable(ERR_REASON_AFFINITY)
        for t in s.anti_terms:
            v = node.labels.get(t.topology_key)
            if v is not None and s.anti.get((t.topology_key, v), 0) > 0:
                return Status.unschedulable(ERR_REASON_ANTI_AFFINITY)
        return SUCCESS


# --- PodTopologySpread -----------------------------------------------------------------------------

ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints"
ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)"

_PTS_STATE = "PreFilterPodTopologySpread"


class _Constraint:
    def __init__(self, c: Obj, pod: Obj) -> None:
        self.max_skew = int(c.get("maxSkew") or 1)
        self.topology_key = str(c.get("topologyKey") or "")
        self.when_unsatisfiable = str(c.get("whenUnsatisfiable") or "DoNotSchedule")
        self.min_domains = int(c.get("minDomains") or 1)
        ls = dict(c.get("labelSelector") or {})
        labels = pod_labels(pod)
        keys = c.get("matchLabelKeys") or []
        if keys:
            exprs = list(ls.get("matchExpressions") or [])
            exprs += [{"key": k, "operator": "In", "values": [labels[k]]} for k in keys if k in labels]
            ls["matchExpressions"] = exprs
        try:
            self.selector = selector_from_label_selector(
                ls if c.get("labelSelector") is not None or keys else None
            )
        except SelectorParseError:
            self.selector = selector_from_label_selector(None)
        self.self_match = 1 if self.selector.matches(labels) else 0


class _PTSState:
    def __init__(self) -> None:
        self.constraints: list[_Constraint] = []
        self.counts: list[dict[str, int]] = []


def _spread_counts(
    pod: PodInfo, constraints: list[_Constraint], nodes: list[NodeInfo]
) -> list[dict[str, int]]:
    ns = (pod.pod.get("metadata") or {}).get("namespace")
    counts: list[dict[str, int]] = [{} for _ in constraints]
    for n in nodes:
        if not all(c.topology_key in n.labels for c in constraints):
            continue
        if not pod_matches_node_selector_and_affinity(pod.pod, n):
            continue
        for i, c in enumerate(constraints):
            v = n.labels[c.topology_key]
            m = 0
            for epi in n.pods.values():
                meta = epi.pod.get("metadata") or {}
                if (
                    meta.get("namespace") == ns
                    and not meta.get("deletionTimestamp")
                    and c.selector.matches(meta.get("labels") or {})
                ):
                    m += 1
            counts[i][v] = counts[i].get(v, 0) + m
    return counts


class PodTopologySpread:
    name = "PodTopologySpread"

    def _constraints(self, pod: PodInfo, mode: str) -> list[_Constraint]:
        spec = pod.pod.get("spec") or {}
        return [
            _Constraint(c, pod.pod)
            for c in spec.get("topologySpreadConstraints") or []
            if (c.get("whenUnsatisfiable") or "DoNotSchedule") == mode
        ]

    def pre_filter(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        cs = self._constraints(pod, "DoNotSchedule")
        if not cs:
            return Status(Code.Skip)
        s = _PTSState()
        s.constraints = cs
        s.counts = _spread_counts(pod, cs, nodes)
        state.write(_PTS_STATE, s)
        return SUCCESS

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status:
        s: _PTSState | None = state.read(_PTS_STATE)
        if s is None:
            return SUCCESS
        for c, counts in zip(s.constraints, s.counts, strict=True):
            v = node.labels.get(c.topology_key)
            if v is None:
                return Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH)
            min_count = min(counts.values(), default=0)
            if len(counts) < c.min_domains:
                min_count = 0
            if counts.get(v, 0) + c.self_match - min_count > c.max_skew:
                return Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH)
        return SUCCESS

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status:
        cs = self._constraints(pod, "ScheduleAnyway")
        if not cs:
            return Status(Code.Skip)
        s = _PTSState()
        s.constraints = cs
        s.counts = _spread_counts(pod, cs, nodes)
        state.write(_PTS_STATE + "/score", s)
        return SUCCESS

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        s: _PTSState | None = state.read(_PTS_STATE + "/score")
        if s is None:
            return 0
        total = 0
        for c, counts in zip(s.constraints, s.counts, strict=True):
            v = node.labels.get(c.topology_key)
            if v is not None:
                total += counts.get(v, 0) + c.self_match + c.max_skew - 1
        return total

    def normalize_score(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        if state.read(_PTS_STATE + "/score") is None or not scores:
            return
        hi, lo = max(scores.values()), min(scores.values())
        for k, v in scores.items():
            scores[k] = MAX_NODE_SCORE if hi == lo else MAX_NODE_SCORE * (hi + lo - v) // hi


# --- DefaultBinder ---------------------------------------------------------------------------------


class DefaultBinder:
    name = "DefaultBinder"

    def __init__(self, client: RESTClient) -> None:
        self.client = client

    async def bind(self, state: CycleState, pod: Obj, node_name: str) -> Status:
        meta = pod.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        binding: Obj = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": name, "namespace": ns, "uid": meta.get("uid")},
            "target": {"apiVersion": "v1", "kind": "Node", "name": node_name},
        }
        try:
            await self.client.create(resource_path("", "v1", "pods", ns, name, "binding"), binding)
        except ApiError as e:
            return Status.error(e.message)
        return SUCCESS


# --- scoring weights of the default profile (apis/config/v1/default_plugins.go) --------------------

DEFAULT_SCORE_WEIGHTS = {
    "TaintToleration": 3,
    "NodeAffinity": 2,
    "NodeResourcesFit": 1,
    "NodeResourcesBalancedAllocation": 1,
    "InterPodAffinity": 2,
    "PodTopologySpread": 2,
}
