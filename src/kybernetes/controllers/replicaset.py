"""The ReplicaSet controller: keeps ``spec.replicas`` pods matching the selector alive
(upstream ``pkg/controller/replicaset/replica_set.go``).

Pods are claimed through their controller ownerReference (orphans that match are adopted,
owned pods that stop matching are released); missing pods are created from the template
in slow-start batches (1, 2, 4, ...) and surplus pods deleted in upstream's ranking order.
**Expectations** record the creates/deletes in flight so a sync that runs before the
informer has seen them does not act twice.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final

from kybernetes.api.selectors import SelectorParseError, selector_from_label_selector
from kybernetes.api.timeutil import format_time, now_utc, parse_time
from kybernetes.client.events import NORMAL, WARNING
from kybernetes.client.informer import SharedInformer, meta_namespace_key, split_meta_namespace_key
from kybernetes.client.rest import ApiError, Obj
from kybernetes.controllers.base import Controller, ControllerContext

log = logging.getLogger(__name__)

BURST_REPLICAS: Final = 500
SLOW_START_INITIAL_BATCH_SIZE: Final = 1
EXPECTATIONS_TIMEOUT: Final = 5 * 60.0
POD_DELETION_COST: Final = "controller.kubernetes.io/pod-deletion-cost"


# --- shared helpers (also used by the Deployment controller) -----------------------------------------
def controller_ref(obj: Obj) -> Obj | None:
    """metav1.GetControllerOf: the ownerReference with ``controller: true``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def new_controller_ref(owner: Obj, api_version: str, kind: str) -> Obj:
    meta = owner["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def selector_matches(selector: Obj | None, labels: dict[str, str] | None) -> bool:
    """An invalid or empty selector matches nothing here (controllers never select everything)."""
    if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return False
    try:
        return selector_from_label_selector(selector).matches(labels or {})
    except SelectorParseError:
        return False


def creation_time(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


async def claim_objects(
    client_patch: Any,
    owner: Obj,
    owner_api_version: str,
    owner_kind: str,
    candidates: list[Obj],
    selector: Obj | None,
    path_for: Any,
) -> list[Obj]:
    """ControllerRefManager.Claim*: adopt matching orphans, release owned objects that stop
    matching; return the objects the owner controls after that."""
    uid = owner["metadata"]["uid"]
    owner_deleting = bool(owner["metadata"].get("deletionTimestamp"))
    claimed: list[Obj] = []
    for obj in candidates:
        meta = obj.get("metadata") or {}
        ref = controller_ref(obj)
        matches = selector_matches(selector, meta.get("labels"))
        if ref is not None:
            if ref.get("uid") != uid:
                continue
            if matches:
                claimed.append(obj)
                continue
            if owner_deleting:
                continue
            # release: drop our ownerReference
            kept = [r for r in meta.get("ownerReferences") or [] if r.get("uid") != uid]
            body = {"metadata": {"ownerReferences": kept or None, "uid": meta.get("uid")}}
            try:
                await client_patch(path_for(obj), body, "merge")
            except ApiError as e:
                if e.code not in (404, 422):
                    raise
            continue
        if not matches or owner_deleting or meta.get("deletionTimestamp"):
            continue
        refs = list(meta.get("ownerReferences") or [])
        refs.append(new_controller_ref(owner, owner_api_version, owner_kind))
        body = {
            "metadata": {
                "ownerReferences": refs,
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            }
        }
        try:
            adopted = await client_patch(path_for(obj), body, "merge")
        except ApiError as e:
            if e.code in (404, 409, 422):
                continue
            raise
        claimed.append(adopted)
    return claimed


# --- expectations ------------------------------------------------------------------------------------
@dataclass
class _Expectation:
    add: int = 0
    deletes: set[str] = field(default_factory=set)
    timestamp: float = field(default_factory=time.monotonic)


class ControllerExpectations:
    """UIDTrackingControllerExpectations: creations counted, deletions tracked by pod key."""

    def __init__(self, timeout: float = EXPECTATIONS_TIMEOUT) -> None:
        self.timeout = timeout
        self._store: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        exp = self._store.get(key)
        if exp is None:
            return True
        if exp.add <= 0 and not exp.deletes:
            return True
        return time.monotonic() - exp.timestamp > self.timeout

    def expect_creations(self, key: str, n: int) -> None:
        self._store[key] = _Expectation(add=n)

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self._store[key] = _Expectation(deletes=set(pod_keys))

    def creation_observed(self, key: str, n: int = 1) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.add -= n

    def deletion_observed(self, key: str, pod_key: str) -> None:
        exp = self._store.get(key)
        if exp is not None:
            exp.deletes.discard(pod_key)

    def delete(self, key: str) -> None:
        self._store.pop(key, None)

    def pending(self, key: str) -> tuple[int, int]:
        exp = self._store.get(key)
        return (0, 0) if exp is None else (exp.add, len(exp.deletes))


# --- pod helpers -----------------------------------------------------------------------------------
def pod_active(pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed") and not (pod.get("metadata") or {}).get("deletionTimestamp")


def _ready_condition(pod: Obj) -> Obj | None:
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return dict(c)
    return None


def pod_ready(pod: Obj) -> bool:
    c = _ready_condition(pod)
    return c is not None and c.get("status") == "True"


def pod_available(pod: Obj, min_ready_seconds: int, now: Any = None) -> bool:
    """podutil.IsPodAvailable."""
    c = _ready_condition(pod)
    if c is None or c.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    t = parse_time(c.get("lastTransitionTime"))
    if t is None:
        return False
    return t + timedelta(seconds=min_ready_seconds) <= (now or now_utc())


def _restarts(pod: Obj) -> int:
    return max(
        (int(s.get("restartCount") or 0) for s in (pod.get("status") or {}).get("containerStatuses") or []),
        default=0,
    )


def _deletion_cost(pod: Obj) -> int:
    raw = ((pod.get("metadata") or {}).get("annotations") or {}).get(POD_DELETION_COST)
    try:
        return int(raw) if raw is not None else 0
    except ValueError:
        return 0


_PHASE_RANK: Final = {"Pending": 0, "Unknown": 1, "Running": 2}


def deletion_order_key(pod: Obj, rank: int) -> tuple[Any, ...]:
    """ActivePodsWithRanks.Less: the pods sorting first are deleted first."""
    meta = pod.get("metadata") or {}
    ready = pod_ready(pod)
    ready_since = ""
    if ready:
        c = _ready_condition(pod) or {}
        ready_since = str(c.get("lastTransitionTime") or "")
    created = creation_time(pod)
    return (
        1 if (pod.get("spec") or {}).get("nodeName") else 0,  # unscheduled first
        _PHASE_RANK.get(str((pod.get("status") or {}).get("phase") or ""), 0),  # Pending < Unknown < Running
        1 if ready else 0,  # not ready first
        _deletion_cost(pod),  # lower deletion cost first
        -rank,  # more pods on the same node first
        _neg_str(ready_since),  # ready for a shorter time first
        -_restarts(pod),  # more restarts first
        _neg_str(created),  # newer first
        str(meta.get("uid") or ""),
    )


def _neg_str(s: str) -> tuple[int, ...]:
    """A key that sorts timestamps newest first (empty counts as newest)."""
    if not s:
        return (-(1 << 62),)
    dt = parse_time(s)
    return (-int(dt.timestamp() * 1_000_000) if dt else 0,)


def pods_to_delete(pods: list[Obj], diff: int) -> list[Obj]:
    node_counts: dict[str, int] = {}
    for p in pods:
        node = (p.get("spec") or {}).get("nodeName") or ""
        if node:
            node_counts[node] = node_counts.get(node, 0) + 1
    ranked = sorted(
        pods,
        key=lambda p: deletion_order_key(p, node_counts.get((p.get("spec") or {}).get("nodeName") or "", 0)),
    )
    return ranked[:diff]


async def slow_start_batch(count: int, initial: int, fn: Any) -> tuple[int, BaseException | None]:
    """Call ``fn()`` ``count`` times in batches of 1, 2, 4, ...; stop at the first batch with an error."""
    remaining = count
    successes = 0
    batch = min(remaining, initial)
    while batch > 0:
        results = await asyncio.gather(*(fn() for _ in range(batch)), return_exceptions=True)
        errors = [r for r in results if isinstance(r, BaseException)]
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


def _set_condition(conditions: list[Obj], cond: Obj) -> list[Obj]:
    out = [c for c in conditions if c.get("type") != cond["type"]]
    for c in conditions:
        if (
            c.get("type") == cond["type"]
            and c.get("status") == cond.get("status")
            and c.get("reason") == cond.get("reason")
        ):
            return conditions
    out.append(cond)
    return out


# --- the controller ----------------------------------------------------------------------------------
class ReplicaSetController(Controller):
    name = "replicaset"
    workers = 5

    api_version = "apps/v1"
    kind = "ReplicaSet"

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.recorder = ctx.recorder
        self.rs_informer = ctx.informers.informer_for("apps", "v1", "replicasets")
        self.pod_informer = ctx.informers.informer_for("", "v1", "pods")
        self.expectations = ControllerExpectations()
        self.rs_informer.add_event_handler(
            on_add=self._rs_added, on_update=self._rs_updated, on_delete=self._rs_deleted
        )
        self.pod_informer.add_event_handler(
            on_add=self._pod_added, on_update=self._pod_updated, on_delete=self._pod_deleted
        )

    def informers(self) -> list[SharedInformer]:
        return [self.rs_informer, self.pod_informer]

    # --- handlers ------------------------------------------------------------------------------
    def _rs_added(self, rs: Obj) -> None:
        self.enqueue(meta_namespace_key(rs))

    def _rs_updated(self, _old: Obj, rs: Obj) -> None:
        self.enqueue(meta_namespace_key(rs))

    def _rs_deleted(self, rs: Obj) -> None:
        key = meta_namespace_key(rs)
        self.expectations.delete(key)
        self.enqueue(key)

    def _resolve_ref(self, namespace: str, ref: Obj | None) -> Obj | None:
        if (
            ref is None
            or ref.get("kind") != self.kind
            or str(ref.get("apiVersion", "")).split("/")[0] != "apps"
        ):
            return None
        rs = self.rs_informer.get(namespace, str(ref.get("name") or ""))
        if rs is None or rs["metadata"].get("uid") != ref.get("uid"):
            return None
        return rs

    def _matching_sets(self, pod: Obj) -> list[Obj]:
        meta = pod.get("metadata") or {}
        return [
            rs
            for rs in self.rs_informer.list(meta.get("namespace") or "")
            if selector_matches((rs.get("spec") or {}).get("selector"), meta.get("labels"))
        ]

    def _pod_added(self, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        ns = meta.get("namespace") or ""
        if meta.get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        ref = controller_ref(pod)
        if ref is not None:
            rs = self._resolve_ref(ns, ref)
            if rs is not None:
                key = meta_namespace_key(rs)
                self.expectations.creation_observed(key)
                self.enqueue(key)
            return
        for rs in self._matching_sets(pod):
            self.enqueue(meta_namespace_key(rs))

    def _pod_updated(self, old: Obj, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        ns = meta.get("namespace") or ""
        if meta.get("resourceVersion") == (old.get("metadata") or {}).get("resourceVersion"):
            return
        if meta.get("deletionTimestamp") and not (old.get("metadata") or {}).get("deletionTimestamp"):
            self._pod_deleted(pod)
            return
        old_ref, ref = controller_ref(old), controller_ref(pod)
        if old_ref is not None and (ref is None or old_ref.get("uid") != ref.get("uid")):
            rs = self._resolve_ref(ns, old_ref)
            if rs is not None:
                self.enqueue(meta_namespace_key(rs))
        if ref is not None:
            rs = self._resolve_ref(ns, ref)
            if rs is not None:
                key = meta_namespace_key(rs)
                self.enqueue(key)
                # a pod becoming ready starts the minReadySeconds clock
                mrs = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
                if mrs > 0 and not pod_ready(old) and pod_ready(pod):
                    self.queue.add_after(key, float(mrs) + 1.0)
            return
        if meta.get("labels") != (old.get("metadata") or {}).get("labels") or old_ref is not None:
            for rs in self._matching_sets(pod):
                self.enqueue(meta_namespace_key(rs))

    def _pod_deleted(self, pod: Obj) -> None:
        meta = pod.get("metadata") or {}
        rs = self._resolve_ref(meta.get("namespace") or "", controller_ref(pod))
        if rs is None:
            return
        key = meta_namespace_key(rs)
        self.expectations.deletion_observed(key, meta_namespace_key(pod))
        self.enqueue(key)

    # --- sync ----------------------------------------------------------------------------------
    def _path(self, namespace: str, name: str = "") -> str:
        base = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
        return f"{base}/{name}" if name else base

    async def sync(self, key: str) -> None:
        namespace, name = split_meta_namespace_key(key)
        cached = self.rs_informer.get(namespace, name)
        if cached is None:
            self.expectations.delete(key)
            return
        rs = copy.deepcopy(cached)
        spec = rs.get("spec") or {}
        selector = spec.get("selector")
        need_sync = self.expectations.satisfied(key) and not rs["metadata"].get("deletionTimestamp")

        candidates = [p for p in self.pod_informer.list(namespace) if pod_active(p)]
        pods = await claim_objects(
            self.client.patch,
            rs,
            self.api_version,
            self.kind,
            candidates,
            selector,
            lambda p: f"/api/v1/namespaces/{namespace}/pods/{p['metadata']['name']}",
        )
        manage_error: BaseException | None = None
        if need_sync:
            try:
                await self._manage_replicas(pods, rs, key)
            except Exception as e:  # reported in the status, then requeued
                manage_error = e
        new_status = self._calculate_status(rs, pods, manage_error)
        updated = await self._update_status(rs, new_status)
        mrs = int(spec.get("minReadySeconds") or 0)
        if (
            manage_error is None
            and mrs > 0
            and updated.get("readyReplicas", 0) == int(spec.get("replicas", 1))
            and updated.get("availableReplicas", 0) != int(spec.get("replicas", 1))
        ):
            self.queue.add_after(key, float(mrs))
        if manage_error is not None:
            raise manage_error

    async def _manage_replicas(self, pods: list[Obj], rs: Obj, key: str) -> None:
        spec = rs.get("spec") or {}
        namespace = rs["metadata"]["namespace"]
        diff = len(pods) - int(spec.get("replicas", 1))
        if diff < 0:
            diff = min(-diff, BURST_REPLICAS)
            self.expectations.expect_creations(key, diff)
            log.debug("too few replicas for %s, need %d, creating %d", key, spec.get("replicas"), diff)
            body = self._pod_from_template(rs)

            async def create() -> None:
                try:
                    pod = await self.client.create(
                        f"/api/v1/namespaces/{namespace}/pods", copy.deepcopy(body)
                    )
                except ApiError as e:
                    if e.code == 403 and "being terminated" in e.message:
                        return  # the namespace is going away: nothing to create
                    self.recorder.event(rs, WARNING, "FailedCreate", f"Error creating: {e.message}")
                    raise
                self.recorder.event(rs, NORMAL, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

            successes, err = await slow_start_batch(diff, SLOW_START_INITIAL_BATCH_SIZE, create)
            skipped = diff - successes
            if skipped > 0:
                # the creations that never happened will never be observed
                self.expectations.creation_observed(key, skipped)
            if err is not None:
                raise err
        elif diff > 0:
            diff = min(diff, BURST_REPLICAS)
            victims = pods_to_delete(pods, diff)
            self.expectations.expect_deletions(key, [meta_namespace_key(p) for p in victims])

            async def delete(pod: Obj) -> None:
                pname = pod["metadata"]["name"]
                try:
                    await self.client.delete(f"/api/v1/namespaces/{namespace}/pods/{pname}")
                except ApiError as e:
                    self.expectations.deletion_observed(key, meta_namespace_key(pod))
                    if e.code == 404:
                        return
                    self.recorder.event(rs, WARNING, "FailedDelete", f"Error deleting: {e.message}")
                    raise
                self.recorder.event(rs, NORMAL, "SuccessfulDelete", f"Deleted pod: {pname}")

            results = await asyncio.gather(*(delete(p) for p in victims), return_exceptions=True)
            for r in results:
                if isinstance(r, BaseException):
                    raise r

    def _pod_from_template(self, rs: Obj) -> Obj:
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        tmeta = template.get("metadata") or {}
        meta: Obj = {
            "generateName": f"{rs['metadata']['name']}-",
            "ownerReferences": [new_controller_ref(rs, self.api_version, self.kind)],
        }
        for k in ("labels", "annotations", "finalizers"):
            if tmeta.get(k):
                meta[k] = tmeta[k]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": template.get("spec") or {}}

    def _calculate_status(self, rs: Obj, pods: list[Obj], manage_error: BaseException | None) -> Obj:
        spec = rs.get("spec") or {}
        status = copy.deepcopy(rs.get("status") or {})
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        mrs = int(spec.get("minReadySeconds") or 0)
        now = now_utc()
        fully_labeled = ready = available = 0
        for p in pods:
            labels = (p.get("metadata") or {}).get("labels") or {}
            if all(labels.get(k) == v for k, v in template_labels.items()):
                fully_labeled += 1
            if pod_ready(p):
                ready += 1
                if pod_available(p, mrs, now):
                    available += 1
        conditions: list[Obj] = list(status.get("conditions") or [])
        if manage_error is not None:
            diff = len(pods) - int(spec.get("replicas", 1))
            reason = "FailedCreate" if diff < 0 else "FailedDelete"
            msg = manage_error.message if isinstance(manage_error, ApiError) else str(manage_error)
            conditions = _set_condition(
                conditions,
                {
                    "type": "ReplicaFailure",
                    "status": "True",
                    "lastTransitionTime": format_time(now),
                    "reason": reason,
                    "message": msg,
                },
            )
        else:
            conditions = [c for c in conditions if c.get("type") != "ReplicaFailure"]
        out: Obj = {"replicas": len(pods)}
        if fully_labeled:
            out["fullyLabeledReplicas"] = fully_labeled
        if ready:
            out["readyReplicas"] = ready
        if available:
            out["availableReplicas"] = available
        out["observedGeneration"] = int(rs["metadata"].get("generation") or 0)
        if conditions:
            out["conditions"] = conditions
        return out

    async def _update_status(self, rs: Obj, new_status: Obj) -> Obj:
        old = rs.get("status") or {}

        def norm(s: Obj) -> Obj:
            return {k: v for k, v in s.items() if v not in (0, None, [])}

        if norm(old) == norm(new_status):
            return new_status
        meta = rs["metadata"]
        body = copy.deepcopy(rs)
        body["status"] = new_status
        path = self._path(meta["namespace"], meta["name"]) + "/status"
        for attempt in range(2):  # as upstream: one retry on a fresh copy after a conflict
            try:
                await self.client.update(path, body)
                break
            except ApiError as e:
                if e.code == 404:
                    break
                if e.code != 409 or attempt == 1:
                    raise
                body = await self.client.get(self._path(meta["namespace"], meta["name"]))
                body["status"] = new_status
        return new_status


def new_controller(ctx: ControllerContext) -> Controller:
    return ReplicaSetController(ctx)
