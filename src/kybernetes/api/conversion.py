"""Conversion between the API versions that share one storage location.

* ``autoscaling/v1`` <-> ``autoscaling/v2`` HorizontalPodAutoscaler (stored as v2).
  As upstream (pkg/apis/autoscaling/v1/conversion.go), v1 carries what it cannot
  express in the ``autoscaling.alpha.kubernetes.io/*`` annotations: the metrics other
  than the CPU utilization target (``metrics``, in the v1 ``MetricSpec`` shape), the
  current metrics (``current-metrics``), the conditions (``conditions``) and the scaling
  behavior (``behavior``, encoded with Go field names exactly as upstream does).
* core ``v1`` <-> ``events.k8s.io/v1`` Event (stored as core v1), as
  pkg/apis/events/v1/conversion.go: ``message``/``note``, ``involvedObject``/``regarding``,
  ``source``/``deprecatedSource``, ``firstTimestamp``/``deprecatedFirstTimestamp``,
  ``lastTimestamp``/``deprecatedLastTimestamp``, ``count``/``deprecatedCount``,
  ``reportingComponent``/``reportingController``.

Objects are wire dicts; the input is never mutated. Converting to the version an object
already has returns it unchanged (the same dict). ``*List`` objects convert item by item.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson

from kybernetes.api import errors

Obj = dict[str, Any]

HPA_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
HPA_CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
HPA_CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
HPA_BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
HPA_ROUND_TRIP_ANNOTATIONS = (
    HPA_METRICS_ANNOTATION,
    HPA_CURRENT_METRICS_ANNOTATION,
    HPA_CONDITIONS_ANNOTATION,
    HPA_BEHAVIOR_ANNOTATION,
)
# autoscaling/v1 formerly applied this target implicitly in the controller
DEFAULT_CPU_UTILIZATION = 80

_HPA_V1 = "autoscaling/v1"
_HPA_V2 = "autoscaling/v2"
_EVENT_CORE = "v1"
_EVENT_EVENTS = "events.k8s.io/v1"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _drop_none(d: Obj) -> Obj:
    return {k: v for k, v in d.items() if v is not None}


def _with_annotations(obj: Obj, drop: tuple[str, ...], add: dict[str, str]) -> Obj:
    """A copy of obj's metadata with round-trip annotations replaced."""
    meta = dict(obj.get("metadata") or {})
    ann = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in drop}
    ann.update(add)
    if ann:
        meta["annotations"] = ann
    else:
        meta.pop("annotations", None)
    return meta


# ---------------------------------------------------------------- HPA metrics: v2 -> v1 shapes


def _target_v2_to_v1_resource(src: Obj) -> Obj:
    target = src.get("target") or {}
    return _drop_none(
        {
            "name": src.get("name", ""),
            "targetAverageUtilization": target.get("averageUtilization"),
            "targetAverageValue": target.get("averageValue"),
        }
    )


def _metric_spec_v2_to_v1(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type", "")}
    if (o := m.get("object")) is not None:
        metric = o.get("metric") or {}
        target = o.get("target") or {}
        out["object"] = _drop_none(
            {
                "target": o.get("describedObject") or {},
                "metricName": metric.get("name", ""),
                "targetValue": target.get("value", "0"),
                "selector": metric.get("selector"),
                "averageValue": target.get("averageValue"),
            }
        )
    if (p := m.get("pods")) is not None:
        metric = p.get("metric") or {}
        target = p.get("target") or {}
        out["pods"] = _drop_none(
            {
                "metricName": metric.get("name", ""),
                "targetAverageValue": target.get("averageValue", "0"),
                "selector": metric.get("selector"),
            }
        )
    if (r := m.get("resource")) is not None:
        out["resource"] = _target_v2_to_v1_resource(r)
    if (c := m.get("containerResource")) is not None:
        out["containerResource"] = {**_target_v2_to_v1_resource(c), "container": c.get("container", "")}
    if (e := m.get("external")) is not None:
        metric = e.get("metric") or {}
        target = e.get("target") or {}
        out["external"] = _drop_none(
            {
                "metricName": metric.get("name", ""),
                "metricSelector": metric.get("selector"),
                "targetValue": target.get("value"),
                "targetAverageValue": target.get("averageValue"),
            }
        )
    return out


def _current_v2_to_v1_resource(src: Obj) -> Obj:
    current = src.get("current") or {}
    return _drop_none(
        {
            "name": src.get("name", ""),
            "currentAverageUtilization": current.get("averageUtilization"),
            "currentAverageValue": current.get("averageValue", "0"),
        }
    )


def _metric_status_v2_to_v1(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type", "")}
    if (o := m.get("object")) is not None:
        metric = o.get("metric") or {}
        current = o.get("current") or {}
        out["object"] = _drop_none(
            {
                "target": o.get("describedObject") or {},
                "metricName": metric.get("name", ""),
                "currentValue": current.get("value", "0"),
                "selector": metric.get("selector"),
                "averageValue": current.get("averageValue"),
            }
        )
    if (p := m.get("pods")) is not None:
        metric = p.get("metric") or {}
        current = p.get("current") or {}
        out["pods"] = _drop_none(
            {
                "metricName": metric.get("name", ""),
                "currentAverageValue": current.get("averageValue", "0"),
                "selector": metric.get("selector"),
            }
        )
    if (r := m.get("resource")) is not None:
        out["resource"] = _current_v2_to_v1_resource(r)
    if (c := m.get("containerResource")) is not None:
        out["containerResource"] = {**_current_v2_to_v1_resource(c), "container": c.get("container", "")}
    if (e := m.get("external")) is not None:
        metric = e.get("metric") or {}
        current = e.get("current") or {}
        out["external"] = _drop_none(
            {
                "metricName": metric.get("name", ""),
                "metricSelector": metric.get("selector"),
                "currentValue": current.get("value", "0"),
                "currentAverageValue": current.get("averageValue"),
            }
        )
    return out


# ---------------------------------------------------------------- HPA metrics: v1 -> v2 shapes


def _metric_ref(name: Any, selector: Any) -> Obj:
    return _drop_none({"name": name or "", "selector": selector})


def _metric_spec_v1_to_v2(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type", "")}
    if (o := m.get("object")) is not None:
        average = o.get("averageValue")
        out["object"] = {
            "describedObject": o.get("target") or {},
            "metric": _metric_ref(o.get("metricName"), o.get("selector")),
            "target": _drop_none(
                {
                    "type": "Value" if average is None else "AverageValue",
                    "value": o.get("targetValue"),
                    "averageValue": average,
                }
            ),
        }
    if (p := m.get("pods")) is not None:
        out["pods"] = {
            "metric": _metric_ref(p.get("metricName"), p.get("selector")),
            "target": _drop_none({"type": "AverageValue", "averageValue": p.get("targetAverageValue")}),
        }
    for key in ("resource", "containerResource"):
        if (r := m.get(key)) is not None:
            utilization = r.get("targetAverageUtilization")
            converted: Obj = {
                "name": r.get("name", ""),
                "target": _drop_none(
                    {
                        "type": "AverageValue" if utilization is None else "Utilization",
                        "averageUtilization": utilization,
                        "averageValue": r.get("targetAverageValue"),
                    }
                ),
            }
            if key == "containerResource":
                converted["container"] = r.get("container", "")
            out[key] = converted
    if (e := m.get("external")) is not None:
        average = e.get("targetAverageValue")
        out["external"] = {
            "metric": _metric_ref(e.get("metricName"), e.get("metricSelector")),
            "target": _drop_none(
                {
                    "type": "Value" if average is None else "AverageValue",
                    "value": e.get("targetValue"),
                    "averageValue": average,
                }
            ),
        }
    return out


def _metric_status_v1_to_v2(m: Obj) -> Obj:
    out: Obj = {"type": m.get("type", "")}
    if (o := m.get("object")) is not None:
        out["object"] = {
            "describedObject": o.get("target") or {},
            "metric": _metric_ref(o.get("metricName"), o.get("selector")),
            "current": _drop_none({"value": o.get("currentValue"), "averageValue": o.get("averageValue")}),
        }
    if (p := m.get("pods")) is not None:
        out["pods"] = {
            "metric": _metric_ref(p.get("metricName"), p.get("selector")),
            "current": _drop_none({"averageValue": p.get("currentAverageValue")}),
        }
    for key in ("resource", "containerResource"):
        if (r := m.get(key)) is not None:
            converted: Obj = {
                "name": r.get("name", ""),
                "current": _drop_none(
                    {
                        "averageUtilization": r.get("currentAverageUtilization"),
                        "averageValue": r.get("currentAverageValue"),
                    }
                ),
            }
            if key == "containerResource":
                converted["container"] = r.get("container", "")
            out[key] = converted
    if (e := m.get("external")) is not None:
        out["external"] = {
            "metric": _metric_ref(e.get("metricName"), e.get("metricSelector")),
            "current": _drop_none(
                {"value": e.get("currentValue"), "averageValue": e.get("currentAverageValue")}
            ),
        }
    return out


# ---------------------------------------------------------------- HPA behavior annotation
#
# Upstream marshals the *internal* HorizontalPodAutoscalerBehavior (no json tags, so Go
# field names) and unmarshals it into the v2 type (Go's decoder matches names case-
# insensitively). We write the same bytes and read both spellings.

_GO_RULES = (("stabilizationWindowSeconds", "StabilizationWindowSeconds"), ("selectPolicy", "SelectPolicy"))


def _behavior_to_annotation(behavior: Obj) -> str:
    def rules(r: Obj | None) -> Obj | None:
        if r is None:
            return None
        out: Obj = {go: r.get(js) for js, go in _GO_RULES}
        out["Policies"] = (
            [
                {
                    "Type": p.get("type", ""),
                    "Value": p.get("value", 0),
                    "PeriodSeconds": p.get("periodSeconds", 0),
                }
                for p in r.get("policies") or []
            ]
            if r.get("policies") is not None
            else None
        )
        return out

    return _dumps({"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))})


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _behavior_from_annotation(text: str) -> Obj | None:
    try:
        raw = _lower_keys(orjson.loads(text))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict):
        return None

    def rules(r: Any) -> Obj | None:
        if not isinstance(r, dict):
            return None
        out: Obj = {}
        if r.get("stabilizationwindowseconds") is not None:
            out["stabilizationWindowSeconds"] = r["stabilizationwindowseconds"]
        if r.get("selectpolicy") is not None:
            out["selectPolicy"] = r["selectpolicy"]
        if isinstance(r.get("policies"), list):
            out["policies"] = [
                {
                    "type": p.get("type", ""),
                    "value": p.get("value", 0),
                    "periodSeconds": p.get("periodseconds", 0),
                }
                for p in r["policies"]
                if isinstance(p, dict)
            ]
        return out

    behavior = _drop_none({"scaleUp": rules(raw.get("scaleup")), "scaleDown": rules(raw.get("scaledown"))})
    # only return the behavior if we have valid data
    return behavior or None


def _json_list(text: str | None) -> list[Obj] | None:
    if text is None:
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, list):
        return None
    return [v for v in value if isinstance(v, dict)]


# ---------------------------------------------------------------- HPA objects


def _is_cpu_utilization(m: Obj) -> bool:
    r = m.get("resource")
    return (
        m.get("type") == "Resource"
        and isinstance(r, dict)
        and r.get("name") == "cpu"
        and (r.get("target") or {}).get("averageUtilization") is not None
    )


def hpa_v2_to_v1(obj: Obj) -> Obj:
    """autoscaling/v2 HorizontalPodAutoscaler -> autoscaling/v1."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    metrics: list[Obj] = spec.get("metrics") or []
    current: list[Obj] = status.get("currentMetrics") or []
    conditions: list[Obj] = status.get("conditions") or []

    out_spec: Obj = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    if spec.get("minReplicas") is not None:
        out_spec["minReplicas"] = spec["minReplicas"]
    out_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    for m in metrics:
        if _is_cpu_utilization(m):
            out_spec["targetCPUUtilizationPercentage"] = m["resource"]["target"]["averageUtilization"]
            break

    out_status: Obj = {}
    if status.get("observedGeneration") is not None:
        out_status["observedGeneration"] = status["observedGeneration"]
    if status.get("lastScaleTime") is not None:
        out_status["lastScaleTime"] = status["lastScaleTime"]
    out_status["currentReplicas"] = status.get("currentReplicas", 0)
    out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    for m in current:
        r = m.get("resource")
        if m.get("type") == "Resource" and isinstance(r, dict) and r.get("name") == "cpu":
            utilization = (r.get("current") or {}).get("averageUtilization")
            if utilization is not None:
                out_status["currentCPUUtilizationPercentage"] = utilization

    add: dict[str, str] = {}
    other = [_metric_spec_v2_to_v1(m) for m in metrics if not _is_cpu_utilization(m)]
    if other:
        add[HPA_METRICS_ANNOTATION] = _dumps(other)
    if current:
        add[HPA_CURRENT_METRICS_ANNOTATION] = _dumps([_metric_status_v2_to_v1(m) for m in current])
    if spec.get("behavior") is not None:
        add[HPA_BEHAVIOR_ANNOTATION] = _behavior_to_annotation(spec["behavior"])
    if conditions:
        add[HPA_CONDITIONS_ANNOTATION] = _dumps(
            [
                _drop_none(
                    {
                        "type": c.get("type", ""),
                        "status": c.get("status", ""),
                        "lastTransitionTime": c.get("lastTransitionTime"),
                        "reason": c.get("reason"),
                        "message": c.get("message"),
                    }
                )
                for c in conditions
            ]
        )

    out: Obj = {
        k: copy.deepcopy(v)
        for k, v in obj.items()
        if k not in ("apiVersion", "kind", "metadata", "spec", "status")
    }
    return {
        "kind": "HorizontalPodAutoscaler",
        "apiVersion": _HPA_V1,
        "metadata": copy.deepcopy(_with_annotations(obj, HPA_ROUND_TRIP_ANNOTATIONS, add)),
        "spec": out_spec,
        "status": out_status,
        **out,
    }


def hpa_v1_to_v2(obj: Obj) -> Obj:
    """autoscaling/v1 HorizontalPodAutoscaler -> autoscaling/v2."""
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    annotations: dict[str, str] = (obj.get("metadata") or {}).get("annotations") or {}

    out_spec: Obj = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    if spec.get("minReplicas") is not None:
        out_spec["minReplicas"] = spec["minReplicas"]
    out_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    metrics: list[Obj] = []
    cpu = spec.get("targetCPUUtilizationPercentage")
    if cpu is not None:
        metrics.append(
            {
                "type": "Resource",
                "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu}},
            }
        )
    other = _json_list(annotations.get(HPA_METRICS_ANNOTATION))
    if other is not None:
        metrics = [_metric_spec_v1_to_v2(m) for m in other] + metrics
    if not metrics:
        metrics = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION},
                },
            }
        ]
    out_spec["metrics"] = metrics
    behavior_text = annotations.get(HPA_BEHAVIOR_ANNOTATION)
    if behavior_text is not None:
        behavior = _behavior_from_annotation(behavior_text)
        if behavior is not None:
            out_spec["behavior"] = behavior

    out_status: Obj = {}
    if status.get("observedGeneration") is not None:
        out_status["observedGeneration"] = status["observedGeneration"]
    if status.get("lastScaleTime") is not None:
        out_status["lastScaleTime"] = status["lastScaleTime"]
    if status.get("currentReplicas"):
        out_status["currentReplicas"] = status["currentReplicas"]
    out_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    current: list[Obj] | None = None
    if status.get("currentCPUUtilizationPercentage") is not None:
        current = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    from_annotation = _json_list(annotations.get(HPA_CURRENT_METRICS_ANNOTATION))
    if from_annotation is not None:
        # the annotation holds everything, including the raw CPU value
        current = [_metric_status_v1_to_v2(m) for m in from_annotation]
    if current:
        out_status["currentMetrics"] = current
    conditions = _json_list(annotations.get(HPA_CONDITIONS_ANNOTATION))
    if conditions:
        out_status["conditions"] = conditions

    rest: Obj = {
        k: copy.deepcopy(v)
        for k, v in obj.items()
        if k not in ("apiVersion", "kind", "metadata", "spec", "status")
    }
    return {
        "kind": "HorizontalPodAutoscaler",
        "apiVersion": _HPA_V2,
        "metadata": copy.deepcopy(_with_annotations(obj, HPA_ROUND_TRIP_ANNOTATIONS, {})),
        "spec": out_spec,
        "status": out_status,
        **rest,
    }


# ---------------------------------------------------------------- Events

# fields with the same name and shape in both versions
_EVENT_SHARED = (
    "metadata",
    "eventTime",
    "series",
    "reportingInstance",
    "action",
    "reason",
    "related",
    "type",
)


def event_core_to_events(obj: Obj) -> Obj:
    """core/v1 Event -> events.k8s.io/v1 Event."""
    out: Obj = {"kind": "Event", "apiVersion": _EVENT_EVENTS}
    for k in _EVENT_SHARED:
        if k in obj:
            out[k] = copy.deepcopy(obj[k])
    # upstream always serialises eventTime (null when unset), regarding and deprecatedSource
    out.setdefault("eventTime", None)
    if obj.get("reportingComponent"):
        out["reportingController"] = obj["reportingComponent"]
    if not out.get("reportingInstance"):
        out.pop("reportingInstance", None)
    out["regarding"] = copy.deepcopy(obj.get("involvedObject") or {})
    if obj.get("message"):
        out["note"] = obj["message"]
    out["deprecatedSource"] = copy.deepcopy(obj.get("source") or {})
    out["deprecatedFirstTimestamp"] = obj.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = obj.get("lastTimestamp")
    if obj.get("count"):
        out["deprecatedCount"] = obj["count"]
    return out


def event_events_to_core(obj: Obj) -> Obj:
    """events.k8s.io/v1 Event -> core/v1 Event."""
    out: Obj = {"kind": "Event", "apiVersion": _EVENT_CORE}
    for k in _EVENT_SHARED:
        if k in obj:
            out[k] = copy.deepcopy(obj[k])
    out["involvedObject"] = copy.deepcopy(obj.get("regarding") or {})
    if obj.get("note"):
        out["message"] = obj["note"]
    out["source"] = copy.deepcopy(obj.get("deprecatedSource") or {})
    # core/v1 always serialises these (null / "" when unset)
    out["firstTimestamp"] = obj.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = obj.get("deprecatedLastTimestamp")
    if obj.get("deprecatedCount"):
        out["count"] = obj["deprecatedCount"]
    out.setdefault("eventTime", None)
    out["reportingComponent"] = obj.get("reportingController") or ""
    out["reportingInstance"] = obj.get("reportingInstance") or ""
    return out


# ---------------------------------------------------------------- entry point

_CONVERTERS: dict[tuple[str, str, str], Callable[[Obj], Obj]] = {
    ("HorizontalPodAutoscaler", _HPA_V2, _HPA_V1): hpa_v2_to_v1,
    ("HorizontalPodAutoscaler", _HPA_V1, _HPA_V2): hpa_v1_to_v2,
    ("Event", _EVENT_CORE, _EVENT_EVENTS): event_core_to_events,
    ("Event", _EVENT_EVENTS, _EVENT_CORE): event_events_to_core,
}


def can_convert(kind: str, from_api_version: str, to_api_version: str) -> bool:
    kind = kind.removesuffix("List") if kind.endswith("List") else kind
    return from_api_version == to_api_version or (kind, from_api_version, to_api_version) in _CONVERTERS


def convert(obj: Obj, to_api_version: str) -> Obj:
    """``obj`` converted to ``to_api_version`` (same kind). Raises a 400 StatusError when the
    two versions do not share storage."""
    from_api_version = obj.get("apiVersion", "")
    if from_api_version == to_api_version:
        return obj
    kind = obj.get("kind", "")
    if kind.endswith("List") and isinstance(obj.get("items"), list):
        item_kind = kind.removesuffix("List")
        fn = _CONVERTERS.get((item_kind, from_api_version, to_api_version))
        if fn is not None:
            out = {k: v for k, v in obj.items() if k != "items"}
            out["apiVersion"] = to_api_version
            out["items"] = [
                fn({"apiVersion": from_api_version, "kind": item_kind, **item}) for item in obj["items"]
            ]
            return out
    fn = _CONVERTERS.get((kind, from_api_version, to_api_version))
    if fn is None:
        raise errors.bad_request(
            f"converting ({from_api_version or '<none>'}, Kind={kind or '<none>'}) to {to_api_version}: "
            "no conversion between these versions"
        )
    return fn(obj)
