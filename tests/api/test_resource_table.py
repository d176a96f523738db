"""The resource table against upstream kube-apiserver 1.32 discovery data."""

from __future__ import annotations

from collections import Counter

import pytest

from kybernetes.api import schema
from kybernetes.api.resource_table import (
    RESOURCES,
    storage_version_hash,
    subresource_info,
    subresources_of,
)
from kybernetes.api.resources import all_resources, lookup, lookup_api_version_kind, lookup_kind


def _get(group: str, version: str, resource: str):  # type: ignore[no-untyped-def]
    info = lookup(group, version, resource)
    assert info is not None, (group, version, resource)
    return info


def test_gvr_and_gvk_are_unique() -> None:
    gvrs = Counter((r.group, r.version, r.resource) for r in RESOURCES)
    assert [k for k, n in gvrs.items() if n > 1] == []
    gvks = Counter((r.group, r.version, r.kind) for r in RESOURCES)
    assert [k for k, n in gvks.items() if n > 1] == []
    assert all_resources() == tuple(RESOURCES)


def test_every_kind_and_list_kind_has_a_definition() -> None:
    for r in RESOURCES:
        assert schema.schema_for(r.group, r.version, r.kind) is not None, r.kind
        if "list" in r.verbs:
            assert schema.schema_for(r.group, r.version, r.list_kind) is not None, r.list_kind


def test_every_subresource_body_kind_has_a_definition() -> None:
    for r in RESOURCES:
        for sub in subresources_of(r):
            if sub.kind.endswith("Options"):
                continue  # connect options (PodExecOptions...) are query parameters, not bodies
            group = sub.group if sub.group is not None else r.group
            version = sub.version if sub.version is not None else r.version
            assert schema.schema_for(group, version, sub.kind) is not None, (r.resource, sub.name)


# (name, short names, namespaced, kind, verbs, categories) as `kubectl api-resources -o wide` prints them
_ALL = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
UPSTREAM_ROWS = [
    ("", "v1", "bindings", (), True, "Binding", ("create",), ()),
    ("", "v1", "componentstatuses", ("cs",), False, "ComponentStatus", ("get", "list"), ()),
    ("", "v1", "configmaps", ("cm",), True, "ConfigMap", _ALL, ()),
    ("", "v1", "endpoints", ("ep",), True, "Endpoints", _ALL, ()),
    ("", "v1", "events", ("ev",), True, "Event", _ALL, ()),
    ("", "v1", "limitranges", ("limits",), True, "LimitRange", _ALL, ()),
    (
        "",
        "v1",
        "namespaces",
        ("ns",),
        False,
        "Namespace",
        ("create", "delete", "get", "list", "patch", "update", "watch"),
        (),
    ),
    ("", "v1", "nodes", ("no",), False, "Node", _ALL, ()),
    ("", "v1", "persistentvolumeclaims", ("pvc",), True, "PersistentVolumeClaim", _ALL, ()),
    ("", "v1", "persistentvolumes", ("pv",), False, "PersistentVolume", _ALL, ()),
    ("", "v1", "pods", ("po",), True, "Pod", _ALL, ("all",)),
    ("", "v1", "podtemplates", (), True, "PodTemplate", _ALL, ()),
    ("", "v1", "replicationcontrollers", ("rc",), True, "ReplicationController", _ALL, ("all",)),
    ("", "v1", "resourcequotas", ("quota",), True, "ResourceQuota", _ALL, ()),
    ("", "v1", "secrets", (), True, "Secret", _ALL, ()),
    ("", "v1", "serviceaccounts", ("sa",), True, "ServiceAccount", _ALL, ()),
    ("", "v1", "services", ("svc",), True, "Service", _ALL, ("all",)),
    ("apps", "v1", "deployments", ("deploy",), True, "Deployment", _ALL, ("all",)),
    ("apps", "v1", "statefulsets", ("sts",), True, "StatefulSet", _ALL, ("all",)),
    ("apps", "v1", "controllerrevisions", (), True, "ControllerRevision", _ALL, ()),
    ("batch", "v1", "cronjobs", ("cj",), True, "CronJob", _ALL, ("all",)),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        ("hpa",),
        True,
        "HorizontalPodAutoscaler",
        _ALL,
        ("all",),
    ),
    ("policy", "v1", "poddisruptionbudgets", ("pdb",), True, "PodDisruptionBudget", _ALL, ()),
    ("networking.k8s.io", "v1", "networkpolicies", ("netpol",), True, "NetworkPolicy", _ALL, ()),
    ("networking.k8s.io", "v1", "ingresses", ("ing",), True, "Ingress", _ALL, ()),
    ("scheduling.k8s.io", "v1", "priorityclasses", ("pc",), False, "PriorityClass", _ALL, ()),
    ("storage.k8s.io", "v1", "storageclasses", ("sc",), False, "StorageClass", _ALL, ()),
    (
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        ("csr",),
        False,
        "CertificateSigningRequest",
        _ALL,
        (),
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        ("crd", "crds"),
        False,
        "CustomResourceDefinition",
        _ALL,
        ("api-extensions",),
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        (),
        False,
        "ValidatingWebhookConfiguration",
        _ALL,
        ("api-extensions",),
    ),
    (
        "authorization.k8s.io",
        "v1",
        "localsubjectaccessreviews",
        (),
        True,
        "LocalSubjectAccessReview",
        ("create",),
        (),
    ),
    (
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        (),
        False,
        "SelfSubjectAccessReview",
        ("create",),
        (),
    ),
    ("authentication.k8s.io", "v1", "tokenreviews", (), False, "TokenReview", ("create",), ()),
    ("events.k8s.io", "v1", "events", ("ev",), True, "Event", _ALL, ()),
]


@pytest.mark.parametrize(
    ("group", "version", "resource", "short", "namespaced", "kind", "verbs", "cats"), UPSTREAM_ROWS
)
def test_rows_match_upstream(
    group: str,
    version: str,
    resource: str,
    short: tuple[str, ...],
    namespaced: bool,
    kind: str,
    verbs: tuple[str, ...],
    cats: tuple[str, ...],
) -> None:
    info = _get(group, version, resource)
    assert info.short_names == short
    assert info.namespaced is namespaced
    assert info.kind == kind
    assert tuple(sorted(info.verbs)) == verbs
    assert info.categories == cats


def test_category_all_is_exactly_upstreams() -> None:
    in_all = {(r.group, r.resource) for r in RESOURCES if "all" in r.categories}
    assert in_all == {
        ("", "pods"),
        ("", "services"),
        ("", "replicationcontrollers"),
        ("apps", "deployments"),
        ("apps", "replicasets"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("autoscaling", "horizontalpodautoscalers"),
    }


def test_pod_subresources_as_upstream_discovery() -> None:
    pods = _get("", "v1", "pods")
    got = [(s.name, s.kind, s.verbs, s.group, s.version) for s in subresources_of(pods)]
    assert got == [
        ("attach", "PodAttachOptions", ("create", "get"), None, None),
        ("binding", "Binding", ("create",), None, None),
        ("ephemeralcontainers", "Pod", ("get", "patch", "update"), None, None),
        ("eviction", "Eviction", ("create",), "policy", "v1"),
        ("exec", "PodExecOptions", ("create", "get"), None, None),
        ("log", "Pod", ("get",), None, None),
        ("portforward", "PodPortForwardOptions", ("create", "get"), None, None),
        ("proxy", "PodProxyOptions", ("create", "delete", "get", "patch", "update"), None, None),
        ("status", "Pod", ("get", "patch", "update"), None, None),
    ]
    # the body kinds handlers deal with
    assert pods.subresource_kind("status") == "Pod"
    assert pods.subresource_kind("binding") == "Binding"
    assert pods.subresource_kind("eviction") == "Eviction"
    assert pods.subresource_kind("exec") == ""
    assert pods.subresource_kind("log") == ""
    assert pods.subresource_kind("resize") is None  # not served by 1.32 with default gates


def test_other_subresources() -> None:
    scale = subresource_info(_get("apps", "v1", "deployments"), "scale")
    assert scale is not None
    assert (scale.kind, scale.group, scale.version, scale.verbs) == (
        "Scale",
        "autoscaling",
        "v1",
        ("get", "patch", "update"),
    )
    assert _get("", "v1", "replicationcontrollers").subresource_kind("scale") == "Scale"
    token = subresource_info(_get("", "v1", "serviceaccounts"), "token")
    assert token is not None
    assert (token.kind, token.group, token.version, token.verbs) == (
        "TokenRequest",
        "authentication.k8s.io",
        "v1",
        ("create",),
    )
    ns = _get("", "v1", "namespaces")
    assert [(s.name, s.verbs) for s in subresources_of(ns)] == [
        ("finalize", ("update",)),
        ("status", ("get", "patch", "update")),
    ]
    csr = _get("certificates.k8s.io", "v1", "certificatesigningrequests")
    assert [s.name for s in subresources_of(csr)] == ["approval", "status"]
    node_proxy = subresource_info(_get("", "v1", "nodes"), "proxy")
    assert node_proxy is not None and node_proxy.kind == "NodeProxyOptions"
    svc_proxy = subresource_info(_get("", "v1", "services"), "proxy")
    assert svc_proxy is not None and svc_proxy.kind == "ServiceProxyOptions"
    assert [s.name for s in subresources_of(_get("apps", "v1", "statefulsets"))] == ["scale", "status"]
    assert [s.name for s in subresources_of(_get("apps", "v1", "daemonsets"))] == ["status"]
    assert [s.name for s in subresources_of(_get("batch", "v1", "cronjobs"))] == ["status"]
    assert subresources_of(_get("", "v1", "configmaps")) == ()


def test_has_status_and_generation() -> None:
    assert _get("", "v1", "pods").has_status
    assert not _get("", "v1", "configmaps").has_status
    generation = {r.resource for r in RESOURCES if r.has_generation}
    for name in (
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "replicationcontrollers",
        "poddisruptionbudgets",
        "ingresses",
        "networkpolicies",
        "customresourcedefinitions",
    ):
        assert name in generation, name
    # upstream 1.32 strategies do not set metadata.generation for these
    for name in ("pods", "services", "configmaps", "horizontalpodautoscalers", "namespaces", "nodes"):
        assert name not in generation, name


def test_shared_storage_hpa_and_events() -> None:
    v1 = _get("autoscaling", "v1", "horizontalpodautoscalers")
    v2 = _get("autoscaling", "v2", "horizontalpodautoscalers")
    assert v1.storage_prefix() == v2.storage_prefix() == "/registry/autoscaling/horizontalpodautoscalers/"
    assert v1.stored_version == v2.stored_version == "v2"
    assert v2.preferred and not v1.preferred
    # the preferred version comes first, as upstream lists group versions by priority
    versions = [r.version for r in RESOURCES if r.group == "autoscaling"]
    assert versions == ["v2", "v1"]

    core = _get("", "v1", "events")
    ev = _get("events.k8s.io", "v1", "events")
    assert core.storage_prefix() == ev.storage_prefix() == "/registry/events/"
    assert ev.stored_group == "" and ev.stored_version == "v1"
    assert ev.storage_key("default", "e1") == "/registry/events/default/e1"


def test_storage_version_hash_matches_upstream() -> None:
    # values served by real kube-apiservers in /api/v1 and /apis/<group>/<version>
    assert storage_version_hash(_get("", "v1", "pods")) == "xPOwRZ+Yhw8="
    assert storage_version_hash(_get("", "v1", "configmaps")) == "qFsyl6wFWjQ="
    assert storage_version_hash(_get("", "v1", "namespaces")) == "Q3oi5N2YM8M="
    assert storage_version_hash(_get("apps", "v1", "deployments")) == "8aSe+NMegvE="
    assert storage_version_hash(_get("batch", "v1", "cronjobs")) == "sd5LIXh4Fjs="
    assert (
        storage_version_hash(_get("apiextensions.k8s.io", "v1", "customresourcedefinitions"))
        == "jfWCUB31mvA="
    )
    # events.k8s.io/v1 events are stored as core v1 Events
    assert storage_version_hash(_get("events.k8s.io", "v1", "events")) == "r2yiGXH7wu8="
    assert storage_version_hash(_get("", "v1", "events")) == "r2yiGXH7wu8="
    # virtual resources have none
    assert storage_version_hash(_get("authentication.k8s.io", "v1", "tokenreviews")) is None
    assert storage_version_hash(_get("", "v1", "bindings")) is None


def test_virtual_resources_are_not_stored() -> None:
    virtual = {r.resource for r in RESOURCES if not r.stored}
    assert virtual == {
        "bindings",
        "componentstatuses",
        "selfsubjectreviews",
        "tokenreviews",
        "localsubjectaccessreviews",
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "subjectaccessreviews",
    }


def test_short_names_do_not_collide() -> None:
    owners: dict[str, set[str]] = {}
    for r in RESOURCES:
        for s in r.short_names:
            owners.setdefault(s, set()).add(r.resource)
    assert {s: o for s, o in owners.items() if len(o) > 1} == {}


def test_lookup_helpers() -> None:
    info = lookup_kind("apps", "v1", "Deployment")
    assert info is not None and info.resource == "deployments"
    info = lookup_api_version_kind("events.k8s.io/v1", "Event")
    assert info is not None and info.group == "events.k8s.io"
    info = lookup_api_version_kind("v1", "Event")
    assert info is not None and info.group == ""
