"""Conversion between versions sharing storage: HPA v1 <-> v2, Event core/v1 <-> events.k8s.io/v1."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest

from kybernetes.api.conversion import (
    DEFAULT_CPU_UTILIZATION,
    HPA_BEHAVIOR_ANNOTATION,
    HPA_CONDITIONS_ANNOTATION,
    HPA_CURRENT_METRICS_ANNOTATION,
    HPA_METRICS_ANNOTATION,
    can_convert,
    convert,
)
from kybernetes.api.errors import StatusError

Obj = dict[str, Any]


def _hpa_v2() -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "u-1",
            "resourceVersion": "42",
            "annotations": {"team": "a"},
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 10,
            # v1 keeps the CPU utilization in a field and everything else in an annotation,
            # so the CPU target comes last after a round trip (as upstream)
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "memory",
                        "target": {"type": "AverageValue", "averageValue": "500Mi"},
                    },
                },
                {
                    "type": "Pods",
                    "pods": {
                        "metric": {"name": "qps", "selector": {"matchLabels": {"a": "b"}}},
                        "target": {"type": "AverageValue", "averageValue": "10"},
                    },
                },
                {
                    "type": "Object",
                    "object": {
                        "describedObject": {
                            "apiVersion": "networking.k8s.io/v1",
                            "kind": "Ingress",
                            "name": "main",
                        },
                        "metric": {"name": "requests"},
                        "target": {"type": "Value", "value": "2k"},
                    },
                },
                {
                    "type": "External",
                    "external": {
                        "metric": {"name": "queue"},
                        "target": {"type": "AverageValue", "averageValue": "30"},
                    },
                },
                {
                    "type": "ContainerResource",
                    "containerResource": {
                        "name": "cpu",
                        "container": "app",
                        "target": {"type": "Utilization", "averageUtilization": 60},
                    },
                },
                {
                    "type": "Resource",
                    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
                },
            ],
            "behavior": {
                "scaleUp": {
                    "stabilizationWindowSeconds": 0,
                    "selectPolicy": "Max",
                    "policies": [
                        {"type": "Pods", "value": 4, "periodSeconds": 15},
                        {"type": "Percent", "value": 100, "periodSeconds": 15},
                    ],
                },
                "scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
                },
            },
        },
        "status": {
            "observedGeneration": 3,
            "lastScaleTime": "2024-01-01T00:00:00Z",
            "currentReplicas": 3,
            "desiredReplicas": 4,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "memory", "current": {"averageValue": "300Mi"}}},
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "current": {"averageUtilization": 85, "averageValue": "850m"},
                    },
                },
            ],
            "conditions": [
                {
                    "type": "AbleToScale",
                    "status": "True",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                    "reason": "ReadyForNewScale",
                    "message": "recommended size matches current size",
                }
            ],
        },
    }


def test_identity_returns_the_same_object() -> None:
    hpa = _hpa_v2()
    assert convert(hpa, "autoscaling/v2") is hpa
    assert can_convert("HorizontalPodAutoscaler", "autoscaling/v2", "autoscaling/v2")


def test_hpa_v2_to_v1() -> None:
    src = _hpa_v2()
    before = copy.deepcopy(src)
    v1 = convert(src, "autoscaling/v1")
    assert src == before  # input untouched
    assert v1["apiVersion"] == "autoscaling/v1" and v1["kind"] == "HorizontalPodAutoscaler"
    assert v1["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "targetCPUUtilizationPercentage": 70,
    }
    assert v1["status"] == {
        "observedGeneration": 3,
        "lastScaleTime": "2024-01-01T00:00:00Z",
        "currentReplicas": 3,
        "desiredReplicas": 4,
        "currentCPUUtilizationPercentage": 85,
    }
    ann = v1["metadata"]["annotations"]
    assert ann["team"] == "a"
    # the other metrics, in the autoscaling/v1 MetricSpec shape
    assert orjson.loads(ann[HPA_METRICS_ANNOTATION]) == [
        {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "500Mi"}},
        {
            "type": "Pods",
            "pods": {
                "metricName": "qps",
                "targetAverageValue": "10",
                "selector": {"matchLabels": {"a": "b"}},
            },
        },
        {
            "type": "Object",
            "object": {
                "target": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": "main"},
                "metricName": "requests",
                "targetValue": "2k",
            },
        },
        {"type": "External", "external": {"metricName": "queue", "targetAverageValue": "30"}},
        {
            "type": "ContainerResource",
            "containerResource": {"name": "cpu", "targetAverageUtilization": 60, "container": "app"},
        },
    ]
    assert orjson.loads(ann[HPA_CURRENT_METRICS_ANNOTATION]) == [
        {"type": "Resource", "resource": {"name": "memory", "currentAverageValue": "300Mi"}},
        {
            "type": "Resource",
            "resource": {"name": "cpu", "currentAverageUtilization": 85, "currentAverageValue": "850m"},
        },
    ]
    assert orjson.loads(ann[HPA_CONDITIONS_ANNOTATION]) == src["status"]["conditions"]
    # behavior is written with Go field names, exactly as upstream marshals the internal type
    assert orjson.loads(ann[HPA_BEHAVIOR_ANNOTATION]) == {
        "ScaleUp": {
            "StabilizationWindowSeconds": 0,
            "SelectPolicy": "Max",
            "Policies": [
                {"Type": "Pods", "Value": 4, "PeriodSeconds": 15},
                {"Type": "Percent", "Value": 100, "PeriodSeconds": 15},
            ],
        },
        "ScaleDown": {
            "StabilizationWindowSeconds": 300,
            "SelectPolicy": "Max",
            "Policies": [{"Type": "Percent", "Value": 100, "PeriodSeconds": 15}],
        },
    }


def test_hpa_round_trip_v2_v1_v2() -> None:
    src = _hpa_v2()
    assert convert(convert(src, "autoscaling/v1"), "autoscaling/v2") == src


def test_hpa_round_trip_v1_v2_v1() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 1,
            "maxReplicas": 5,
            "targetCPUUtilizationPercentage": 50,
        },
        "status": {"currentReplicas": 0, "desiredReplicas": 0},
    }
    v2 = convert(v1, "autoscaling/v2")
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}},
        }
    ]
    assert v2["status"] == {"desiredReplicas": 0}
    assert "annotations" not in v2["metadata"]
    assert convert(v2, "autoscaling/v1") == v1


def test_hpa_v1_without_target_gets_the_implicit_default() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web"},
        "spec": {"scaleTargetRef": {"kind": "ReplicationController", "name": "rc"}, "maxReplicas": 3},
    }
    v2 = convert(v1, "autoscaling/v2")
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION},
            },
        }
    ]
    assert "behavior" not in v2["spec"]


def test_hpa_v1_annotations_are_consumed_and_dropped() -> None:
    v1 = {
        "apiVersion": "autoscaling/v1",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": "web",
            "annotations": {
                HPA_METRICS_ANNOTATION: '[{"type":"Resource","resource":{"name":"memory","targetAverageUtilization":80}}]',
                # the decoder is case-insensitive like Go's, so both spellings work
                HPA_BEHAVIOR_ANNOTATION: '{"scaleDown":{"stabilizationWindowSeconds":60},"ScaleUp":null}',
                HPA_CONDITIONS_ANNOTATION: "not json",
                "keep": "me",
            },
        },
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 3},
    }
    v2 = convert(v1, "autoscaling/v2")
    assert v2["metadata"]["annotations"] == {"keep": "me"}
    assert v2["spec"]["metrics"] == [
        {
            "type": "Resource",
            "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ]
    assert v2["spec"]["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 60}}
    assert "conditions" not in v2["status"]  # invalid annotation ignored, as upstream


def test_hpa_v2_drops_stale_round_trip_annotations() -> None:
    src = _hpa_v2()
    src["metadata"]["annotations"][HPA_METRICS_ANNOTATION] = "stale"
    src["spec"]["metrics"] = [src["spec"]["metrics"][-1]]  # only the CPU target
    del src["spec"]["behavior"]
    src["status"] = {"desiredReplicas": 1}
    v1 = convert(src, "autoscaling/v1")
    assert v1["metadata"]["annotations"] == {"team": "a"}


def test_hpa_list_conversion() -> None:
    item = _hpa_v2()
    lst = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscalerList",
        "metadata": {"resourceVersion": "9"},
    }
    lst["items"] = [{k: v for k, v in item.items() if k not in ("apiVersion", "kind")}]
    out = convert(lst, "autoscaling/v1")
    assert out["apiVersion"] == "autoscaling/v1"
    assert out["metadata"] == {"resourceVersion": "9"}
    assert out["items"][0]["spec"]["targetCPUUtilizationPercentage"] == 70


# ---------------------------------------------------------------- events


def _core_event() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "web.17a", "namespace": "default", "resourceVersion": "7"},
        "involvedObject": {
            "kind": "Pod",
            "namespace": "default",
            "name": "web",
            "uid": "u-1",
            "apiVersion": "v1",
        },
        "reason": "Scheduled",
        "message": "Successfully assigned default/web to node-1",
        "source": {"component": "default-scheduler"},
        "firstTimestamp": "2024-01-01T00:00:00Z",
        "lastTimestamp": "2024-01-01T00:01:00Z",
        "count": 2,
        "type": "Normal",
        "eventTime": None,
        "reportingComponent": "default-scheduler",
        "reportingInstance": "default-scheduler-node-1",
    }


def _events_event() -> Obj:
    return {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.17b", "namespace": "default"},
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "series": {"count": 3, "lastObservedTime": "2024-01-01T00:05:00.000000Z"},
        "reportingController": "kubelet",
        "reportingInstance": "node-1",
        "action": "Pulling",
        "reason": "Pulling",
        "regarding": {
            "kind": "Pod",
            "name": "web",
            "namespace": "default",
            "fieldPath": "spec.containers{app}",
        },
        "related": {"kind": "Node", "name": "node-1"},
        "note": "Pulling image busybox",
        "type": "Normal",
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    }


def test_event_core_to_events() -> None:
    src = _core_event()
    ev = convert(src, "events.k8s.io/v1")
    assert ev == {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": src["metadata"],
        "eventTime": None,
        "reason": "Scheduled",
        "type": "Normal",
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-node-1",
        "regarding": src["involvedObject"],
        "note": "Successfully assigned default/web to node-1",
        "deprecatedSource": {"component": "default-scheduler"},
        "deprecatedFirstTimestamp": "2024-01-01T00:00:00Z",
        "deprecatedLastTimestamp": "2024-01-01T00:01:00Z",
        "deprecatedCount": 2,
    }
    assert ev["metadata"] is not src["metadata"]  # deep copy


def test_event_events_to_core() -> None:
    src = _events_event()
    core = convert(src, "v1")
    assert core == {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": src["metadata"],
        "involvedObject": src["regarding"],
        "reason": "Pulling",
        "message": "Pulling image busybox",
        "source": {},
        "firstTimestamp": None,
        "lastTimestamp": None,
        "type": "Normal",
        "eventTime": "2024-01-01T00:00:00.000000Z",
        "series": {"count": 3, "lastObservedTime": "2024-01-01T00:05:00.000000Z"},
        "action": "Pulling",
        "related": {"kind": "Node", "name": "node-1"},
        "reportingComponent": "kubelet",
        "reportingInstance": "node-1",
    }


@pytest.mark.parametrize(("make", "there"), [(_core_event, "events.k8s.io/v1"), (_events_event, "v1")])
def test_event_round_trips(make: Any, there: str) -> None:
    src = make()
    back = convert(convert(src, there), src["apiVersion"])
    assert back == src


def test_unknown_conversion_is_a_bad_request() -> None:
    with pytest.raises(StatusError) as err:
        convert({"apiVersion": "v1", "kind": "Pod"}, "apps/v1")
    assert err.value.code == 400
    assert not can_convert("Pod", "v1", "apps/v1")
    assert can_convert("Event", "v1", "events.k8s.io/v1")
    assert can_convert("HorizontalPodAutoscalerList", "autoscaling/v1", "autoscaling/v2")
