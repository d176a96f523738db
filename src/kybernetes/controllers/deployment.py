"""The Deployment controller: rolls ReplicaSets (upstream ``pkg/controller/deployment``).

A Deployment owns ReplicaSets; the one whose template equals the Deployment's (ignoring
the ``pod-template-hash`` label) is the new one, the rest are old. RollingUpdate scales
the new ReplicaSet up and the old ones down within maxSurge/maxUnavailable; Recreate
scales the old ones to zero first. Revisions, desired/max replicas annotations,
proportional scaling, revisionHistoryLimit cleanup, pause and the Available/Progressing
conditions follow upstream (``rolling.go``, ``recreate.go``, ``sync.go``, ``progress.go``,
``util/deployment_util.go``).
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Any, Final

import orjson

from kybernetes.api.timeutil import format_time, now_utc, parse_time
from kybernetes.client.events import NORMAL, WARNING
from kybernetes.client.informer import SharedInformer, meta_namespace_key, split_meta_namespace_key
from kybernetes.client.rest import ApiError, Obj
from kybernetes.controllers.base import Controller, ControllerContext
from kybernetes.controllers.replicaset import (
    claim_objects,
    controller_ref,
    creation_time,
    new_controller_ref,
    selector_matches,
)

log = logging.getLogger(__name__)

DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY: Final = "pod-template-hash"
REVISION_ANNOTATION: Final = "deployment.kubernetes.io/revision"
REVISION_HISTORY_ANNOTATION: Final = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS_ANNOTATION: Final = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO_ANNOTATION: Final = "deprecated.deployment.rollback.to"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_SKIPPED_ANNOTATIONS: Final = frozenset(
    {
        LAST_APPLIED,
        REVISION_ANNOTATION,
        REVISION_HISTORY_ANNOTATION,
        DESIRED_REPLICAS_ANNOTATION,
        MAX_REPLICAS_ANNOTATION,
        ROLLBACK_TO_ANNOTATION,
    }
)
MAX_INT32: Final = 2**31 - 1

# condition reasons (util/deployment_util.go)
NEW_RS_CREATED: Final = "NewReplicaSetCreated"
FOUND_NEW_RS: Final = "FoundNewReplicaSet"
RS_UPDATED: Final = "ReplicaSetUpdated"
NEW_RS_AVAILABLE: Final = "NewReplicaSetAvailable"
TIMED_OUT: Final = "ProgressDeadlineExceeded"
PAUSED: Final = "DeploymentPaused"
RESUMED: Final = "DeploymentResumed"
MIN_AVAILABLE: Final = "MinimumReplicasAvailable"
MIN_UNAVAILABLE: Final = "MinimumReplicasUnavailable"

_ALPHANUMS: Final = "bcdfghjklmnpqrstvwxz2456789"


# --- hashing ---------------------------------------------------------------------------------------
def safe_encode_string(s: str) -> str:
    """rand.SafeEncodeString: map each byte onto an alphabet with no vowels."""
    return "".join(_ALPHANUMS[b % len(_ALPHANUMS)] for b in s.encode())


def compute_hash(template: Obj, collision_count: int | None = None) -> str:
    """controller.ComputeHash: fnv-32a over the template (and collisionCount), safe-encoded."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little")
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return safe_encode_string(str(h))


def _without_hash(template: Obj | None) -> Obj:
    t = copy.deepcopy(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY, None)
        if not labels:
            t["metadata"].pop("labels")
    return t


def equal_ignore_hash(t1: Obj | None, t2: Obj | None) -> bool:
    return _without_hash(t1) == _without_hash(t2)


# --- int-or-percent and fenceposts -----------------------------------------------------------------
def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    if not value.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid value {value!r}")
    pct = int(value[:-1])
    return math.ceil(pct * total / 100) if round_up else math.floor(pct * total / 100)


def _replicas(obj: Obj | None) -> int:
    if obj is None:
        return 0
    r = (obj.get("spec") or {}).get("replicas")
    return 1 if r is None else int(r)


def _rolling(d: Obj) -> Obj | None:
    strategy = (d.get("spec") or {}).get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {"maxSurge": "25%", "maxUnavailable": "25%"}


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    surge = scaled_value(max_surge, desired, True)
    unavailable = scaled_value(max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    ru = _rolling(d)
    if ru is None:
        return 0
    return resolve_fenceposts(ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%"), _replicas(d))[0]


def max_unavailable(d: Obj) -> int:
    ru = _rolling(d)
    replicas = _replicas(d)
    if ru is None or replicas == 0:
        return 0
    _, unavailable = resolve_fenceposts(ru.get("maxSurge", "25%"), ru.get("maxUnavailable", "25%"), replicas)
    return min(unavailable, replicas)


# --- replica set helpers ---------------------------------------------------------------------------
def _status_int(obj: Obj | None, field_name: str) -> int:
    if obj is None:
        return 0
    return int((obj.get("status") or {}).get(field_name) or 0)


def _annotation_int(rs: Obj, key: str) -> int | None:
    raw = ((rs.get("metadata") or {}).get("annotations") or {}).get(key)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return None


def revision(rs: Obj) -> int:
    return _annotation_int(rs, REVISION_ANNOTATION) or 0


def filter_active(sets: list[Obj | None]) -> list[Obj]:
    return [rs for rs in sets if rs is not None and _replicas(rs) > 0]


def replica_count(sets: list[Obj | None]) -> int:
    return sum(_replicas(rs) for rs in sets if rs is not None)


def actual_count(sets: list[Obj | None], field_name: str = "replicas") -> int:
    return sum(_status_int(rs, field_name) for rs in sets if rs is not None)


def find_new_replica_set(d: Obj, sets: list[Obj]) -> Obj | None:
    template = (d.get("spec") or {}).get("template")
    for rs in sorted(sets, key=lambda r: (creation_time(r), r["metadata"]["name"])):
        if equal_ignore_hash((rs.get("spec") or {}).get("template"), template):
            return rs
    return None


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS_ANNOTATION, desired), (MAX_REPLICAS_ANNOTATION, max_replicas)):
        if ann.get(key) != str(value):
            ann[key] = str(value)
            changed = True
    return changed


def set_new_rs_annotations(d: Obj, rs: Obj, new_revision: int, exists: bool) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in ((d.get("metadata") or {}).get("annotations") or {}).items():
        if k in _SKIPPED_ANNOTATIONS or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    old = _annotation_int(rs, REVISION_ANNOTATION)
    if old is None or old < new_revision:
        ann[REVISION_ANNOTATION] = str(new_revision)
        changed = True
    if not exists and set_replicas_annotations(rs, _replicas(d), _replicas(d) + max_surge(d)):
        changed = True
    return changed


def deployment_complete(d: Obj, status: Obj) -> bool:
    replicas = _replicas(d)
    return (
        int(status.get("updatedReplicas") or 0) == replicas
        and int(status.get("replicas") or 0) == replicas
        and int(status.get("availableReplicas") or 0) == replicas
        and int(status.get("observedGeneration") or 0) >= int(d["metadata"].get("generation") or 0)
    )


def deployment_progressing(d: Obj, new_status: Obj) -> bool:
    old = d.get("status") or {}

    def g(s: Obj, k: str) -> int:
        return int(s.get(k) or 0)

    old_old = g(old, "replicas") - g(old, "updatedReplicas")
    new_old = g(new_status, "replicas") - g(new_status, "updatedReplicas")
    return (
        g(new_status, "updatedReplicas") > g(old, "updatedReplicas")
        or new_old < old_old
        or g(new_status, "readyReplicas") > g(old, "readyReplicas")
        or g(new_status, "availableReplicas") > g(old, "availableReplicas")
    )


def _deadline(d: Obj) -> int | None:
    v = (d.get("spec") or {}).get("progressDeadlineSeconds", 600)
    if v is None or int(v) == MAX_INT32:
        return None
    return int(v)


def get_condition(status: Obj, ctype: str) -> Obj | None:
    for c in status.get("conditions") or []:
        if c.get("type") == ctype:
            return dict(c)
    return None


def new_condition(ctype: str, status: str, reason: str, message: str) -> Obj:
    now = format_time(now_utc())
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, cond: Obj) -> None:
    """SetDeploymentCondition: keep lastTransitionTime when the status does not change."""
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current.get("status") == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current.get("status") == cond["status"]:
        cond["lastTransitionTime"] = current.get("lastTransitionTime")
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != cond["type"]] + [
        cond
    ]


def remove_condition(status: Obj, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != ctype]


def deployment_timed_out(d: Obj, status: Obj) -> bool:
    deadline = _deadline(d)
    if deadline is None:
        return False
    cond = get_condition(status, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = parse_time(cond.get("lastUpdateTime"))
    return since is not None and (now_utc() - since).total_seconds() > deadline


class DeploymentController(Controller):
    name = "deployment"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.recorder = ctx.recorder
        self.d_informer = ctx.informers.informer_for("apps", "v1", "deployments")
        self.rs_informer = ctx.informers.informer_for("apps", "v1", "replicasets")
        self.pod_informer = ctx.informers.informer_for("", "v1", "pods")
        self.d_informer.add_event_handler(
            on_add=self._d_changed, on_update=lambda _o, n: self._d_changed(n), on_delete=self._d_changed
        )
        self.rs_informer.add_event_handler(
            on_add=self._rs_changed, on_update=self._rs_updated, on_delete=self._rs_changed
        )
        self.pod_informer.add_event_handler(on_delete=self._pod_deleted)

    def informers(self) -> list[SharedInformer]:
        return [self.d_informer, self.rs_informer, self.pod_informer]

    # --- handlers ------------------------------------------------------------------------------
    def _d_changed(self, d: Obj) -> None:
        self.enqueue(meta_namespace_key(d))

    def _owner_of(self, rs: Obj) -> Obj | None:
        ref = controller_ref(rs)
        if ref is None or ref.get("kind") != "Deployment":
            return None
        d = self.d_informer.get(rs["metadata"].get("namespace") or "", str(ref.get("name") or ""))
        if d is None or d["metadata"].get("uid") != ref.get("uid"):
            return None
        return d

    def _rs_changed(self, rs: Obj) -> None:
        d = self._owner_of(rs)
        if d is not None:
            self.enqueue(meta_namespace_key(d))
            return
        if controller_ref(rs) is None:
            labels = rs["metadata"].get("labels")
            for d in self.d_informer.list(rs["metadata"].get("namespace") or ""):
                if selector_matches((d.get("spec") or {}).get("selector"), labels):
                    self.enqueue(meta_namespace_key(d))

    def _rs_updated(self, old: Obj, rs: Obj) -> None:
        old_d = self._owner_of(old)
        if old_d is not None:
            self.enqueue(meta_namespace_key(old_d))
        self._rs_changed(rs)

    def _pod_deleted(self, pod: Obj) -> None:
        ref = controller_ref(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.rs_informer.get(pod["metadata"].get("namespace") or "", str(ref.get("name") or ""))
        if rs is None:
            return
        d = self._owner_of(rs)
        if d is not None and ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate":
            self.enqueue(meta_namespace_key(d))

    # --- API writes ----------------------------------------------------------------------------
    @staticmethod
    def _rs_path(namespace: str, name: str = "") -> str:
        base = f"/apis/apps/v1/namespaces/{namespace}/replicasets"
        return f"{base}/{name}" if name else base

    @staticmethod
    def _d_path(namespace: str, name: str) -> str:
        return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"

    async def _update_rs(self, rs: Obj) -> Obj:
        meta = rs["metadata"]
        return await self.client.update(self._rs_path(meta["namespace"], meta["name"]), rs)

    async def _update_status(self, d: Obj, status: Obj) -> Obj:
        body = copy.deepcopy(d)
        body["status"] = status
        meta = d["metadata"]
        updated = await self.client.update(self._d_path(meta["namespace"], meta["name"]) + "/status", body)
        d["metadata"]["resourceVersion"] = updated["metadata"]["resourceVersion"]
        d["status"] = updated.get("status") or status
        return updated

    async def _set_deployment_revision(self, d: Obj, rev: str | None) -> None:
        if rev is None:
            return
        ann = d["metadata"].setdefault("annotations", {})
        if ann.get(REVISION_ANNOTATION) == rev:
            return
        meta = d["metadata"]
        patch = {
            "metadata": {
                "annotations": {REVISION_ANNOTATION: rev},
                "resourceVersion": meta.get("resourceVersion"),
            }
        }
        updated = await self.client.patch(self._d_path(meta["namespace"], meta["name"]), patch, "merge")
        ann[REVISION_ANNOTATION] = rev
        meta["resourceVersion"] = updated["metadata"]["resourceVersion"]

    # --- sync ----------------------------------------------------------------------------------
    async def sync(self, key: str) -> None:
        namespace, name = split_meta_namespace_key(key)
        cached = self.d_informer.get(namespace, name)
        if cached is None:
            return
        d = copy.deepcopy(cached)
        spec = d.setdefault("spec", {})
        selector = spec.get("selector") or {}
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            self.recorder.event(
                d,
                WARNING,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            status = copy.deepcopy(d.get("status") or {})
            if int(status.get("observedGeneration") or 0) < int(d["metadata"].get("generation") or 0):
                status["observedGeneration"] = int(d["metadata"].get("generation") or 0)
                await self._update_status(d, status)
            return
        rs_list = await claim_objects(
            self.client.patch,
            d,
            "apps/v1",
            "Deployment",
            [copy.deepcopy(rs) for rs in self.rs_informer.list(namespace)],
            selector,
            lambda rs: self._rs_path(namespace, rs["metadata"]["name"]),
        )
        if d["metadata"].get("deletionTimestamp"):
            await self._sync_status_only(d, rs_list)
            return
        await self._check_paused_conditions(d)
        if spec.get("paused"):
            await self._sync(d, rs_list)
            return
        if await self._is_scaling_event(d, rs_list):
            await self._sync(d, rs_list)
            return
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            await self._rollout_recreate(d, rs_list)
        else:
            await self._rollout_rolling(d, rs_list)

    async def _check_paused_conditions(self, d: Obj) -> None:
        if _deadline(d) is None:
            return
        status = copy.deepcopy(d.get("status") or {})
        cond = get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT:
            return
        paused = bool((d.get("spec") or {}).get("paused"))
        need = False
        if paused and (cond is None or cond.get("reason") != PAUSED):
            set_condition(status, new_condition("Progressing", "Unknown", PAUSED, "Deployment is paused"))
            need = True
        elif not paused and cond is not None and cond.get("reason") == PAUSED:
            set_condition(status, new_condition("Progressing", "Unknown", RESUMED, "Deployment is resumed"))
            need = True
        if need:
            await self._update_status(d, status)

    async def _get_all(self, d: Obj, rs_list: list[Obj], create: bool) -> tuple[Obj | None, list[Obj]]:
        """getAllReplicaSetsAndSyncRevision."""
        new_rs = find_new_replica_set(d, rs_list)
        old = [rs for rs in rs_list if new_rs is None or rs["metadata"]["uid"] != new_rs["metadata"]["uid"]]
        new_rs = await self._get_new_rs(d, rs_list, old, create)
        return new_rs, old

    async def _get_new_rs(self, d: Obj, rs_list: list[Obj], old: list[Obj], create: bool) -> Obj | None:
        existing = find_new_replica_set(d, rs_list)
        new_revision = max((revision(rs) for rs in old), default=0) + 1
        spec = d.get("spec") or {}
        if existing is not None:
            rs = copy.deepcopy(existing)
            changed = set_new_rs_annotations(d, rs, new_revision, True)
            mrs = int(spec.get("minReadySeconds") or 0)
            if int((rs.get("spec") or {}).get("minReadySeconds") or 0) != mrs:
                rs["spec"]["minReadySeconds"] = mrs
                changed = True
            if changed:
                rs = await self._update_rs(rs)
            await self._set_deployment_revision(
                d, rs["metadata"].get("annotations", {}).get(REVISION_ANNOTATION)
            )
            status = copy.deepcopy(d.get("status") or {})
            if _deadline(d) is not None and get_condition(status, "Progressing") is None:
                set_condition(
                    status,
                    new_condition(
                        "Progressing",
                        "True",
                        FOUND_NEW_RS,
                        f'Found new replica set "{rs["metadata"]["name"]}"',
                    ),
                )
                await self._update_status(d, status)
            return rs
        if not create:
            return None
        status = copy.deepcopy(d.get("status") or {})
        collision = status.get("collisionCount")
        template = copy.deepcopy(spec.get("template") or {})
        pod_hash = compute_hash(template, collision)
        template.setdefault("metadata", {}).setdefault("labels", {})[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = (
            pod_hash
        )
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[DEFAULT_DEPLOYMENT_UNIQUE_LABEL_KEY] = pod_hash
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": d["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [new_controller_ref(d, "apps/v1", "Deployment")],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": int(spec.get("minReadySeconds") or 0),
                "selector": selector,
                "template": template,
            },
        }
        all_sets: list[Obj | None] = list(old)
        rs["spec"]["replicas"] = self._new_rs_new_replicas(d, all_sets, None)
        set_new_rs_annotations(d, rs, new_revision, False)
        try:
            created = await self.client.create(self._rs_path(d["metadata"]["namespace"]), rs)
        except ApiError as e:
            if e.code != 409:
                raise
            try:
                current = await self.client.get(self._rs_path(d["metadata"]["namespace"], name))
            except ApiError:
                raise e from None
            ref = controller_ref(current)
            if (
                ref is not None
                and ref.get("uid") == d["metadata"]["uid"]
                and equal_ignore_hash((current.get("spec") or {}).get("template"), spec.get("template"))
            ):
                return current
            # a hash collision: bump collisionCount so the next sync computes another name
            status["collisionCount"] = int(collision or 0) + 1
            await self._update_status(d, status)
            raise RuntimeError(f"hash collision for replica set {name}") from e
        replicas = _replicas(created)
        if replicas > 0:
            self.recorder.event(
                d, NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}"
            )
        await self._set_deployment_revision(d, str(new_revision))
        if _deadline(d) is not None:
            status = copy.deepcopy(d.get("status") or {})
            set_condition(
                status,
                new_condition("Progressing", "True", NEW_RS_CREATED, f'Created new replica set "{name}"'),
            )
            await self._update_status(d, status)
        return created

    def _new_rs_new_replicas(self, d: Obj, all_sets: list[Obj | None], new_rs: Obj | None) -> int:
        """NewRSNewReplicas."""
        replicas = _replicas(d)
        if _rolling(d) is None:
            return replicas
        current = replica_count([*all_sets, new_rs])
        max_total = replicas + max_surge(d)
        new_size = _replicas(new_rs)
        if current >= max_total:
            return new_size
        scale_up = min(max_total - current, replicas - new_size)
        return new_size + scale_up

    async def _scale_rs(
        self, rs: Obj, new_scale: int, d: Obj, operation: str | None = None
    ) -> tuple[bool, Obj]:
        size_needs_update = _replicas(rs) != new_scale
        rs2 = copy.deepcopy(rs)
        ann_needs_update = set_replicas_annotations(rs2, _replicas(d), _replicas(d) + max_surge(d))
        if not size_needs_update and not ann_needs_update:
            return False, rs
        old_scale = _replicas(rs)
        rs2["spec"]["replicas"] = new_scale
        updated = await self._update_rs(rs2)
        if size_needs_update:
            op = operation or ("up" if old_scale < new_scale else "down")
            self.recorder.event(
                d,
                NORMAL,
                "ScalingReplicaSet",
                f"Scaled {op} replica set {rs['metadata']['name']} from {old_scale} to {new_scale}",
            )
        rs.clear()
        rs.update(updated)
        return size_needs_update, rs

    async def _scale_and_record(self, rs: Obj, new_scale: int, d: Obj) -> bool:
        if _replicas(rs) == new_scale:
            return False
        scaled, _ = await self._scale_rs(rs, new_scale, d)
        return scaled

    # --- sync (scaling / paused) ---------------------------------------------------------------
    async def _is_scaling_event(self, d: Obj, rs_list: list[Obj]) -> bool:
        new_rs, old = await self._get_all(d, rs_list, False)
        for rs in filter_active([*old, new_rs]):
            desired = _annotation_int(rs, DESIRED_REPLICAS_ANNOTATION)
            if desired is not None and desired != _replicas(d):
                return True
        return False

    async def _sync(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all(d, rs_list, False)
        await self._scale(d, new_rs, old)
        if (d.get("spec") or {}).get("paused"):
            await self._cleanup(old, d)
        await self._sync_deployment_status([*old, new_rs], new_rs, d)

    async def _sync_status_only(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all(d, rs_list, False)
        await self._sync_deployment_status([*old, new_rs], new_rs, d)

    async def _scale(self, d: Obj, new_rs: Obj | None, old: list[Obj]) -> None:
        replicas = _replicas(d)
        active_or_latest = self._find_active_or_latest(new_rs, old)
        if active_or_latest is not None:
            if _replicas(active_or_latest) != replicas:
                await self._scale_and_record(active_or_latest, replicas, d)
            return
        if self._is_saturated(d, new_rs):
            for rs in filter_active(list(old)):
                await self._scale_and_record(rs, 0, d)
            return
        if _rolling(d) is None:
            return
        all_sets = filter_active([*old, new_rs])
        all_replicas = replica_count(list(all_sets))
        allowed = replicas + max_surge(d) if replicas > 0 else 0
        to_add = allowed - all_replicas
        if to_add > 0:
            all_sets.sort(key=lambda r: (-_replicas(r), _neg_time(r)))
            operation = "up"
        elif to_add < 0:
            all_sets.sort(key=lambda r: (-_replicas(r), creation_time(r)))
            operation = "down"
        else:
            operation = ""
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_sets:
            if to_add != 0:
                proportion = self._proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = _replicas(rs) + proportion
                added += proportion
            else:
                sizes[rs["metadata"]["name"]] = _replicas(rs)
        if to_add != 0 and all_sets:
            first = all_sets[0]["metadata"]["name"]
            sizes[first] = max(sizes[first] + to_add - added, 0)
        for rs in all_sets:
            await self._scale_rs(rs, sizes[rs["metadata"]["name"]], d, operation or None)

    def _proportion(self, rs: Obj, d: Obj, to_add: int, added: int) -> int:
        if _replicas(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        replicas = _replicas(d)
        if replicas == 0:
            fraction = -_replicas(rs)
        else:
            deployment_replicas = replicas + max_surge(d)
            annotated = _annotation_int(rs, MAX_REPLICAS_ANNOTATION)
            if annotated is None:
                annotated = _status_int(d, "replicas")
            if annotated == 0:
                fraction = 0
            else:
                size = _replicas(rs) * deployment_replicas / annotated
                fraction = math.floor(size + 0.5) - _replicas(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    @staticmethod
    def _find_active_or_latest(new_rs: Obj | None, old: list[Obj]) -> Obj | None:
        if new_rs is None and not old:
            return None
        old_sorted = sorted(old, key=lambda r: creation_time(r), reverse=True)
        active = filter_active([*old_sorted, new_rs])
        if not active:
            return new_rs if new_rs is not None else old_sorted[0]
        if len(active) == 1:
            return active[0]
        return None

    @staticmethod
    def _is_saturated(d: Obj, rs: Obj | None) -> bool:
        if rs is None:
            return False
        desired = _annotation_int(rs, DESIRED_REPLICAS_ANNOTATION)
        if desired is None:
            return False
        replicas = _replicas(d)
        return (
            _replicas(rs) == replicas
            and desired == replicas
            and _status_int(rs, "availableReplicas") == replicas
        )

    async def _cleanup(self, old: list[Obj], d: Obj) -> None:
        limit = (d.get("spec") or {}).get("revisionHistoryLimit", 10)
        if limit is None:
            return
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - int(limit)
        if diff <= 0:
            return
        alive.sort(key=lambda r: (revision(r), creation_time(r)))
        for rs in alive[:diff]:
            meta = rs["metadata"]
            if (
                _status_int(rs, "replicas") != 0
                or _replicas(rs) != 0
                or int(meta.get("generation") or 0) > _status_int(rs, "observedGeneration")
            ):
                continue
            try:
                await self.client.delete(
                    self._rs_path(meta["namespace"], meta["name"]), preconditions={"uid": meta["uid"]}
                )
            except ApiError as e:
                if e.code != 404:
                    raise

    # --- status --------------------------------------------------------------------------------
    def _calculate_status(self, all_sets: list[Obj | None], new_rs: Obj | None, d: Obj) -> Obj:
        available = actual_count(all_sets, "availableReplicas")
        total = replica_count(all_sets)
        status = copy.deepcopy(d.get("status") or {})
        out: Obj = {
            "observedGeneration": int(d["metadata"].get("generation") or 0),
            "replicas": actual_count(all_sets),
            "updatedReplicas": actual_count([new_rs]),
            "readyReplicas": actual_count(all_sets, "readyReplicas"),
            "availableReplicas": available,
            "unavailableReplicas": max(total - available, 0),
        }
        if status.get("collisionCount") is not None:
            out["collisionCount"] = status["collisionCount"]
        out["conditions"] = copy.deepcopy(status.get("conditions") or [])
        if available >= _replicas(d) - max_unavailable(d):
            set_condition(
                out, new_condition("Available", "True", MIN_AVAILABLE, "Deployment has minimum availability.")
            )
        else:
            set_condition(
                out,
                new_condition(
                    "Available", "False", MIN_UNAVAILABLE, "Deployment does not have minimum availability."
                ),
            )
        return out

    async def _sync_deployment_status(self, all_sets: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        new_status = self._calculate_status(all_sets, new_rs, d)
        if _status_equal(d.get("status") or {}, new_status):
            return
        await self._update_status(d, new_status)

    async def _sync_rollout_status(self, all_sets: list[Obj | None], new_rs: Obj | None, d: Obj) -> None:
        new_status = self._calculate_status(all_sets, new_rs, d)
        if _deadline(d) is None:
            remove_condition(new_status, "Progressing")
        current = get_condition(new_status, "Progressing")
        complete = (
            new_status["replicas"] == new_status["updatedReplicas"]
            and current is not None
            and current.get("reason") == NEW_RS_AVAILABLE
        )
        dname = d["metadata"]["name"]
        if _deadline(d) is not None and not complete:
            if deployment_complete(d, new_status):
                msg = f'Deployment "{dname}" has successfully progressed.'
                if new_rs is not None:
                    msg = f'ReplicaSet "{new_rs["metadata"]["name"]}" has successfully progressed.'
                set_condition(new_status, new_condition("Progressing", "True", NEW_RS_AVAILABLE, msg))
            elif deployment_progressing(d, new_status):
                msg = f'Deployment "{dname}" is progressing.'
                if new_rs is not None:
                    msg = f'ReplicaSet "{new_rs["metadata"]["name"]}" is progressing.'
                cond = new_condition("Progressing", "True", RS_UPDATED, msg)
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    remove_condition(new_status, "Progressing")
                set_condition(new_status, cond)
            elif deployment_timed_out(d, new_status):
                msg = f'Deployment "{dname}" has timed out progressing.'
                if new_rs is not None:
                    msg = f'ReplicaSet "{new_rs["metadata"]["name"]}" has timed out progressing.'
                set_condition(new_status, new_condition("Progressing", "False", TIMED_OUT, msg))
        failures = [
            c
            for rs in ([new_rs] if new_rs is not None else [])
            + [r for r in all_sets if r is not None and r is not new_rs]
            for c in ((rs.get("status") or {}).get("conditions") or [])
            if c.get("type") == "ReplicaFailure" and c.get("status") == "True"
        ]
        if failures:
            f = failures[0]
            set_condition(
                new_status,
                new_condition(
                    "ReplicaFailure", "True", str(f.get("reason") or ""), str(f.get("message") or "")
                ),
            )
        else:
            remove_condition(new_status, "ReplicaFailure")
        if _status_equal(d.get("status") or {}, new_status):
            self._requeue_stuck(d, new_status)
            return
        await self._update_status(d, new_status)

    def _requeue_stuck(self, d: Obj, status: Obj) -> None:
        deadline = _deadline(d)
        cond = get_condition(status, "Progressing")
        if deadline is None or cond is None or cond.get("reason") in (NEW_RS_AVAILABLE, TIMED_OUT):
            return
        if deployment_complete(d, status):
            return
        since = parse_time(cond.get("lastUpdateTime"))
        if since is None:
            return
        remaining = deadline - (now_utc() - since).total_seconds()
        self.queue.add_after(meta_namespace_key(d), max(remaining, 0.0) + 1.0)

    # --- rolling update ------------------------------------------------------------------------
    async def _rollout_rolling(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all(d, rs_list, True)
        all_sets: list[Obj | None] = [*old, new_rs]
        if await self._reconcile_new_rs(all_sets, new_rs, d):
            await self._sync_rollout_status(all_sets, new_rs, d)
            return
        if await self._reconcile_old_rs(all_sets, filter_active(list(old)), new_rs, d):
            await self._sync_rollout_status(all_sets, new_rs, d)
            return
        if deployment_complete(d, d.get("status") or {}):
            await self._cleanup(old, d)
        await self._sync_rollout_status(all_sets, new_rs, d)

    async def _reconcile_new_rs(self, all_sets: list[Obj | None], new_rs: Obj | None, d: Obj) -> bool:
        if new_rs is None:
            return False
        replicas = _replicas(d)
        if _replicas(new_rs) == replicas:
            return False
        if _replicas(new_rs) > replicas:
            return await self._scale_and_record(new_rs, replicas, d)
        others = [r for r in all_sets if r is not new_rs]
        target = self._new_rs_new_replicas(d, others, new_rs)
        return await self._scale_and_record(new_rs, target, d)

    async def _reconcile_old_rs(
        self, all_sets: list[Obj | None], old: list[Obj], new_rs: Obj | None, d: Obj
    ) -> bool:
        if replica_count(list(old)) == 0:
            return False
        all_pods = replica_count(all_sets)
        min_available = _replicas(d) - max_unavailable(d)
        new_unavailable = _replicas(new_rs) - _status_int(new_rs, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        cleaned = await self._cleanup_unhealthy(old, d, max_scaled_down)
        scaled = await self._scale_down_old_for_rolling(list(all_sets), old, d)
        return cleaned + scaled > 0

    async def _cleanup_unhealthy(self, old: list[Obj], d: Obj, max_cleanup: int) -> int:
        total = 0
        for rs in sorted(old, key=creation_time):
            if total >= max_cleanup:
                break
            if _replicas(rs) == 0:
                continue
            unhealthy = _replicas(rs) - _status_int(rs, "availableReplicas")
            if unhealthy <= 0:
                continue
            count = min(max_cleanup - total, unhealthy)
            await self._scale_and_record(rs, _replicas(rs) - count, d)
            total += count
        return total

    async def _scale_down_old_for_rolling(self, all_sets: list[Obj | None], old: list[Obj], d: Obj) -> int:
        min_available = _replicas(d) - max_unavailable(d)
        available = actual_count(all_sets, "availableReplicas")
        if available <= min_available:
            return 0
        total_to_scale = available - min_available
        total = 0
        for rs in sorted(old, key=creation_time):
            if total >= total_to_scale:
                break
            if _replicas(rs) == 0:
                continue
            count = min(_replicas(rs), total_to_scale - total)
            await self._scale_and_record(rs, _replicas(rs) - count, d)
            total += count
        return total

    # --- recreate ------------------------------------------------------------------------------
    async def _rollout_recreate(self, d: Obj, rs_list: list[Obj]) -> None:
        new_rs, old = await self._get_all(d, rs_list, False)
        all_sets: list[Obj | None] = [*old, new_rs]
        scaled_down = False
        for rs in filter_active(list(old)):
            if await self._scale_and_record(rs, 0, d):
                scaled_down = True
        if scaled_down:
            await self._sync_rollout_status(all_sets, new_rs, d)
            return
        if self._old_pods_running(new_rs, old):
            await self._sync_rollout_status(all_sets, new_rs, d)
            return
        if new_rs is None:
            new_rs, old = await self._get_all(d, rs_list, True)
            all_sets = [*old, new_rs]
        if new_rs is not None:
            await self._scale_and_record(new_rs, _replicas(d), d)
        if deployment_complete(d, d.get("status") or {}):
            await self._cleanup(old, d)
        await self._sync_rollout_status(all_sets, new_rs, d)

    def _old_pods_running(self, new_rs: Obj | None, old: list[Obj]) -> bool:
        if actual_count(list(old)) > 0:
            return True
        old_uids = {rs["metadata"]["uid"] for rs in old}
        if new_rs is not None:
            old_uids.discard(new_rs["metadata"]["uid"])
        ns = (old[0]["metadata"].get("namespace") if old else None) or ""
        for pod in self.pod_informer.list(ns) if ns else []:
            ref = controller_ref(pod)
            if ref is None or ref.get("uid") not in old_uids:
                continue
            if (pod.get("status") or {}).get("phase") in ("Failed", "Succeeded"):
                continue
            return True
        return False


def _neg_time(rs: Obj) -> tuple[int, ...]:
    dt = parse_time(creation_time(rs))
    return (-int(dt.timestamp()) if dt else 0,)


def _status_equal(a: Obj, b: Obj) -> bool:
    def norm(s: Obj) -> Obj:
        out = {k: v for k, v in s.items() if v not in (0, None, []) and k != "conditions"}
        out["conditions"] = sorted(
            ({k: v for k, v in c.items()} for c in s.get("conditions") or []),
            key=lambda c: str(c.get("type")),
        )
        return out

    return norm(a) == norm(b)


def new_controller(ctx: ControllerContext) -> Controller:
    return DeploymentController(ctx)
