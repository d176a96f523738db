"""Field selectors: parsing (upstream's fields/selector_test.go) and per-kind fields."""

from __future__ import annotations

import pytest

from kybernetes.api.fieldselectors import (
    FieldSelectorParseError,
    convert_field_selector,
    custom_field_set,
    escape_value,
    field_set,
    matches_object,
    parse_field_selector,
    selectable_fields,
    unescape_value,
    validate_field_selector,
)


@pytest.mark.parametrize(
    "s",
    [
        "x=a,y=b,z=c",
        "",
        "x!=a,y=b",
        r"x=a\,b",
        r"x=a\=b",
        r"x=a\\b",
        "x==a",
        "x=",
    ],
)
def test_parse_good(s: str) -> None:
    parse_field_selector(s)


@pytest.mark.parametrize(
    ("s", "message"),
    [
        ("x=a||y=b", None),
        ("x", "invalid selector: 'x'; can't understand 'x'"),
        ("x=a,y", "invalid selector: 'x=a,y'; can't understand 'y'"),
        (r"x=a\b", "invalid field selector: invalid escape sequence: \\b"),
        ("x=a=b", "invalid field selector: unescaped character in value: 61"),
        ("x=a\\", "invalid field selector: invalid escape sequence: \\"),
    ],
)
def test_parse_errors(s: str, message: str | None) -> None:
    if message is None:
        # "x=a||y=b" is one term "x" = "a||y=b", whose value has an unescaped "="
        with pytest.raises(FieldSelectorParseError):
            parse_field_selector(s)
        return
    with pytest.raises(FieldSelectorParseError) as exc:
        parse_field_selector(s)
    assert str(exc.value) == message
    assert isinstance(exc.value, ValueError)


def test_string_and_escaping() -> None:
    sel = parse_field_selector(r"z=c,x=a\,b,y!=q")
    assert str(sel) == r"x=a\,b,y!=q,z=c"  # terms are sorted
    assert escape_value(r"a,b=c\d") == r"a\,b\=c\\d"
    assert unescape_value(r"a\,b\=c\\d") == r"a,b=c\d"
    assert parse_field_selector("").empty()


def test_matches() -> None:
    sel = parse_field_selector("status.phase=Running,spec.nodeName!=n1")
    assert sel.matches({"status.phase": "Running", "spec.nodeName": "n2"})
    assert not sel.matches({"status.phase": "Running", "spec.nodeName": "n1"})
    assert not sel.matches({"status.phase": "Pending", "spec.nodeName": "n2"})
    # a missing field is the empty string
    assert parse_field_selector("spec.nodeName=").matches({})
    assert parse_field_selector("spec.nodeName!=x").matches({})
    assert parse_field_selector("metadata.name=a").requires_exact_match("metadata.name") == "a"


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web-1", "namespace": "default"},
    "spec": {
        "nodeName": "node-a",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "serviceAccountName": "default",
    },
    "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}]},
}


def test_pod_fields() -> None:
    fs = field_set("", "Pod", POD)
    assert fs == {
        "metadata.name": "web-1",
        "metadata.namespace": "default",
        "spec.nodeName": "node-a",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "default",
        "spec.hostNetwork": "false",
        "status.phase": "Running",
        "status.podIP": "10.0.0.5",
        "status.nominatedNodeName": "",
    }
    sel = convert_field_selector("", "Pod", parse_field_selector("spec.host=node-a,status.phase=Running"))
    assert str(sel) == "spec.nodeName=node-a,status.phase=Running"
    assert matches_object("", "Pod", sel, POD)
    unscheduled = {**POD, "spec": {}}
    assert matches_object(
        "", "Pod", convert_field_selector("", "Pod", parse_field_selector("spec.nodeName=")), unscheduled
    )


def test_unsupported_field_messages() -> None:
    assert (
        validate_field_selector("", "Pod", parse_field_selector("spec.foo=x"))
        == "field label not supported: spec.foo"
    )
    assert validate_field_selector("", "Pod", parse_field_selector("status.phase=Running")) is None
    assert validate_field_selector("apps", "Deployment", parse_field_selector("spec.replicas=1")) == (
        '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
    assert validate_field_selector("apps", "Deployment", parse_field_selector("metadata.name=x")) is None
    assert validate_field_selector("", "Node", parse_field_selector("metadata.namespace=x")) == (
        "field label not supported: metadata.namespace"
    )
    assert validate_field_selector("apps", "StatefulSet", parse_field_selector("spec.x=1")) == (
        "field label not supported for appsv1beta2.StatefulSet: spec.x"
    )
    with pytest.raises(FieldSelectorParseError):
        convert_field_selector("", "Secret", parse_field_selector("data=x"))


def test_per_kind_fields() -> None:
    secret = {"metadata": {"name": "s", "namespace": "ns"}, "type": "Opaque"}
    assert field_set("", "Secret", secret)["type"] == "Opaque"
    node = {"metadata": {"name": "n"}, "spec": {"unschedulable": True}}
    assert field_set("", "Node", node) == {
        "metadata.name": "n",
        "metadata.namespace": "",
        "spec.unschedulable": "true",
    }
    ns = {"metadata": {"name": "kube-system"}, "status": {"phase": "Active"}}
    assert field_set("", "Namespace", ns)["status.phase"] == "Active"
    svc = {"metadata": {"name": "s", "namespace": "d"}, "spec": {"clusterIP": "None", "type": "ClusterIP"}}
    assert field_set("", "Service", svc)["spec.clusterIP"] == "None"
    rs = {"metadata": {"name": "r", "namespace": "d"}, "status": {"replicas": 3}}
    assert field_set("apps", "ReplicaSet", rs)["status.replicas"] == "3"
    rc = {"metadata": {"name": "r", "namespace": "d"}, "status": {}}
    assert field_set("", "ReplicationController", rc)["status.replicas"] == "0"
    job = {"metadata": {"name": "j", "namespace": "d"}, "status": {"succeeded": 1}}
    assert field_set("batch", "Job", job)["status.successful"] == "1"
    csr = {"metadata": {"name": "c"}, "spec": {"signerName": "kubernetes.io/kubelet-serving"}}
    assert field_set("certificates.k8s.io", "CertificateSigningRequest", csr)["spec.signerName"] == (
        "kubernetes.io/kubelet-serving"
    )
    cm = {"metadata": {"name": "c", "namespace": "d"}, "data": {"a": "b"}}
    assert field_set("", "ConfigMap", cm) == {"metadata.name": "c", "metadata.namespace": "d"}


CORE_EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "web.123", "namespace": "default"},
    "involvedObject": {
        "kind": "Pod",
        "namespace": "default",
        "name": "web",
        "uid": "u1",
        "apiVersion": "v1",
        "resourceVersion": "42",
        "fieldPath": "spec.containers{app}",
    },
    "reason": "Pulled",
    "source": {"component": "kubelet", "host": "node-a"},
    "type": "Normal",
}

EVENTS_V1_EVENT = {
    "apiVersion": "events.k8s.io/v1",
    "kind": "Event",
    "metadata": {"name": "web.456", "namespace": "default"},
    "regarding": {"kind": "Pod", "namespace": "default", "name": "web", "uid": "u1"},
    "reason": "Scheduled",
    "reportingController": "default-scheduler",
    "type": "Normal",
}


def test_event_fields_core_and_events_v1() -> None:
    fs = field_set("", "Event", CORE_EVENT)
    assert fs["involvedObject.name"] == "web"
    assert fs["involvedObject.fieldPath"] == "spec.containers{app}"
    assert fs["source"] == "kubelet"
    assert fs["reportingComponent"] == ""
    sel = convert_field_selector(
        "", "Event", parse_field_selector("involvedObject.kind=Pod,involvedObject.name=web,type=Normal")
    )
    assert matches_object("", "Event", sel, CORE_EVENT)
    assert matches_object("", "Event", sel, EVENTS_V1_EVENT)

    # events.k8s.io/v1 names are converted to the core ones
    sel2 = convert_field_selector(
        "events.k8s.io",
        "Event",
        parse_field_selector("regarding.name=web,reportingController=default-scheduler"),
    )
    assert str(sel2) == "involvedObject.name=web,reportingComponent=default-scheduler"
    assert matches_object("events.k8s.io", "Event", sel2, EVENTS_V1_EVENT)
    fs2 = field_set("events.k8s.io", "Event", EVENTS_V1_EVENT)
    assert fs2["source"] == "default-scheduler"
    assert validate_field_selector("events.k8s.io", "Event", parse_field_selector("source=x")) == (
        "field label not supported: source"
    )


def test_selectable_fields_and_custom_resources() -> None:
    assert "status.phase" in selectable_fields("", "Pod")
    assert selectable_fields("apps", "Deployment") == ("metadata.name", "metadata.namespace")
    obj = {"metadata": {"name": "w", "namespace": "d"}, "spec": {"color": "blue", "size": 3, "on": True}}
    fs = custom_field_set(obj, [".spec.color", ".spec.size", ".spec.on", ".spec.missing"])
    assert fs == {
        "metadata.name": "w",
        "metadata.namespace": "d",
        "spec.color": "blue",
        "spec.size": "3",
        "spec.on": "true",
    }
