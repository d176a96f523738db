"""The built-in resources of kube-apiserver 1.32, as data.

Every row mirrors what upstream serves in discovery (``kubectl api-resources -o wide``):
plural name, singular name, scope, kind, short names, categories, verbs and subresources.
Two resources are served in two versions over one storage location:

* ``horizontalpodautoscalers``: ``autoscaling/v1`` and ``autoscaling/v2`` (preferred),
  stored as ``autoscaling/v2``;
* ``events``: core ``v1`` and ``events.k8s.io/v1``, stored as core ``v1`` under the
  core ``events`` resource.

:mod:`kybernetes.api.conversion` converts between the versions.

Subresources are listed in :attr:`ResourceInfo.subresources` as ``(name, kind)`` where
the kind is the body a handler reads/writes (``status`` -> the resource's own kind,
``scale`` -> ``Scale``, ``log``/``exec``/``proxy``... -> ``""`` for streaming
endpoints). The exact discovery data of each subresource (its upstream kind, group,
version and verbs) is :func:`subresource_info`.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from kybernetes.api.resources import ALL_VERBS, ResourceInfo

# verbs of a review-style resource (TokenReview, SubjectAccessReview, Binding, ...)
CREATE_ONLY = ("create",)
# verbs of a resource without deletecollection (namespaces)
NO_DELETECOLLECTION = ("create", "delete", "get", "list", "patch", "update", "watch")
# verbs of a status-like subresource
_GET_PATCH_UPDATE = ("get", "patch", "update")
_CREATE_GET = ("create", "get")
_PROXY_VERBS = ("create", "delete", "get", "patch", "update")

ALL = ("all",)
API_EXTENSIONS = ("api-extensions",)


@dataclass(frozen=True, slots=True)
class SubresourceInfo:
    """One subresource as upstream discovery lists it (``pods/eviction`` and friends)."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    # set when the subresource's kind lives in another group/version (Scale, Eviction, TokenRequest)
    group: str | None = None
    version: str | None = None


def _r(
    group: str,
    version: str,
    resource: str,
    kind: str,
    *,
    singular: str | None = None,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    subresources: tuple[str, ...] = (),
    generation: bool = False,
    storage: tuple[str, str, str] | None = None,
    preferred: bool = True,
    stored: bool = True,
) -> ResourceInfo:
    subs = tuple((name, _SUBRESOURCE_BODY_KIND.get(name, kind)) for name in subresources)
    sg, sr, sv = storage if storage is not None else (None, None, None)
    return ResourceInfo(
        group=group,
        version=version,
        resource=resource,
        kind=kind,
        singular=singular if singular is not None else kind.lower(),
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        verbs=verbs,
        subresources=subs,
        storage_group=sg,
        storage_resource=sr,
        storage_version=sv,
        has_generation=generation,
        has_status="status" in subresources,
        preferred=preferred,
        stored=stored,
    )


# The kind of the body served at a subresource, for handlers. Subresources not listed here
# carry the resource's own kind (status, ephemeralcontainers, finalize, approval).
_SUBRESOURCE_BODY_KIND: dict[str, str] = {
    "scale": "Scale",
    "binding": "Binding",
    "eviction": "Eviction",
    "token": "TokenRequest",
    "log": "",
    "exec": "",
    "attach": "",
    "portforward": "",
    "proxy": "",
}

_HPA_STORAGE = ("autoscaling", "horizontalpodautoscalers", "v2")
_EVENT_STORAGE = ("", "events", "v1")

RESOURCES: list[ResourceInfo] = [
    # ---------------------------------------------------------------- core/v1
    _r("", "v1", "bindings", "Binding", verbs=CREATE_ONLY, stored=False),
    _r(
        "",
        "v1",
        "componentstatuses",
        "ComponentStatus",
        namespaced=False,
        short=("cs",),
        verbs=("get", "list"),
        stored=False,
    ),
    _r("", "v1", "configmaps", "ConfigMap", short=("cm",)),
    _r("", "v1", "endpoints", "Endpoints", singular="endpoints", short=("ep",)),
    _r("", "v1", "events", "Event", short=("ev",), storage=_EVENT_STORAGE),
    _r("", "v1", "limitranges", "LimitRange", short=("limits",)),
    _r(
        "",
        "v1",
        "namespaces",
        "Namespace",
        namespaced=False,
        short=("ns",),
        verbs=NO_DELETECOLLECTION,
        subresources=("finalize", "status"),
    ),
    _r("", "v1", "nodes", "Node", namespaced=False, short=("no",), subresources=("proxy", "status")),
    _r(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        short=("pvc",),
        subresources=("status",),
    ),
    _r(
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        namespaced=False,
        short=("pv",),
        subresources=("status",),
    ),
    _r(
        "",
        "v1",
        "pods",
        "Pod",
        short=("po",),
        categories=ALL,
        subresources=(
            "attach",
            "binding",
            "ephemeralcontainers",
            "eviction",
            "exec",
            "log",
            "portforward",
            "proxy",
            "status",
        ),
    ),
    _r("", "v1", "podtemplates", "PodTemplate", generation=True),
    _r(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        short=("rc",),
        categories=ALL,
        subresources=("scale", "status"),
        generation=True,
    ),
    _r("", "v1", "resourcequotas", "ResourceQuota", short=("quota",), subresources=("status",)),
    _r("", "v1", "secrets", "Secret"),
    _r("", "v1", "serviceaccounts", "ServiceAccount", short=("sa",), subresources=("token",)),
    _r(
        "",
        "v1",
        "services",
        "Service",
        short=("svc",),
        categories=ALL,
        subresources=("proxy", "status"),
    ),
    # ---------------------------------------------------------------- admissionregistration.k8s.io/v1
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        namespaced=False,
        categories=API_EXTENSIONS,
        generation=True,
    ),
    _r(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        namespaced=False,
        categories=API_EXTENSIONS,
        generation=True,
    ),
    # ---------------------------------------------------------------- apiextensions.k8s.io/v1
    _r(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short=("crd", "crds"),
        categories=API_EXTENSIONS,
        subresources=("status",),
        generation=True,
    ),
    # ---------------------------------------------------------------- apps/v1
    _r("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _r(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        short=("ds",),
        categories=ALL,
        subresources=("status",),
        generation=True,
    ),
    _r(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        short=("deploy",),
        categories=ALL,
        subresources=("scale", "status"),
        generation=True,
    ),
    _r(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        short=("rs",),
        categories=ALL,
        subresources=("scale", "status"),
        generation=True,
    ),
    _r(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        short=("sts",),
        categories=ALL,
        subresources=("scale", "status"),
        generation=True,
    ),
    # ---------------------------------------------------------------- authentication.k8s.io/v1
    _r(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        stored=False,
    ),
    _r(
        "authentication.k8s.io",
        "v1",
        "tokenreviews",
        "TokenReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        stored=False,
    ),
    # ---------------------------------------------------------------- authorization.k8s.io/v1
    _r(
        "authorization.k8s.io",
        "v1",
        "localsubjectaccessreviews",
        "LocalSubjectAccessReview",
        verbs=CREATE_ONLY,
        stored=False,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        stored=False,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        stored=False,
    ),
    _r(
        "authorization.k8s.io",
        "v1",
        "subjectaccessreviews",
        "SubjectAccessReview",
        namespaced=False,
        verbs=CREATE_ONLY,
        stored=False,
    ),
    # ---------------------------------------------------------------- autoscaling/v2 (preferred), autoscaling/v1
    _r(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        categories=ALL,
        subresources=("status",),
        storage=_HPA_STORAGE,
    ),
    _r(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        short=("hpa",),
        categories=ALL,
        subresources=("status",),
        storage=_HPA_STORAGE,
        preferred=False,
    ),
    # ---------------------------------------------------------------- batch/v1
    _r(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        short=("cj",),
        categories=ALL,
        subresources=("status",),
        generation=True,
    ),
    _r("batch", "v1", "jobs", "Job", categories=ALL, subresources=("status",), generation=True),
    # ---------------------------------------------------------------- certificates.k8s.io/v1
    _r(
        "certificates.k8s.io",
        "v1",
        "certificatesigningrequests",
        "CertificateSigningRequest",
        namespaced=False,
        short=("csr",),
        subresources=("approval", "status"),
    ),
    # ---------------------------------------------------------------- coordination.k8s.io/v1
    _r("coordination.k8s.io", "v1", "leases", "Lease"),
    # ---------------------------------------------------------------- discovery.k8s.io/v1
    _r("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", generation=True),
    # ---------------------------------------------------------------- events.k8s.io/v1
    _r("events.k8s.io", "v1", "events", "Event", short=("ev",), storage=_EVENT_STORAGE),
    # ---------------------------------------------------------------- networking.k8s.io/v1
    _r(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        namespaced=False,
        generation=True,
    ),
    _r(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        short=("ing",),
        subresources=("status",),
        generation=True,
    ),
    _r(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        short=("netpol",),
        generation=True,
    ),
    # ---------------------------------------------------------------- policy/v1
    _r(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        short=("pdb",),
        subresources=("status",),
        generation=True,
    ),
    # ---------------------------------------------------------------- rbac.authorization.k8s.io/v1
    _r(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        namespaced=False,
    ),
    _r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    # ---------------------------------------------------------------- scheduling.k8s.io/v1
    _r("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced=False, short=("pc",)),
    # ---------------------------------------------------------------- storage.k8s.io/v1
    _r("storage.k8s.io", "v1", "csidrivers", "CSIDriver", namespaced=False, generation=True),
    _r("storage.k8s.io", "v1", "csinodes", "CSINode", namespaced=False),
    _r("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False, short=("sc",)),
    _r(
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "VolumeAttachment",
        namespaced=False,
        subresources=("status",),
    ),
]


# ---------------------------------------------------------------- subresource discovery data

# name -> (upstream discovery kind or None for "the resource's kind", verbs, group, version)
_SUBRESOURCE_DISCOVERY: dict[str, tuple[str | None, tuple[str, ...], str | None, str | None]] = {
    "status": (None, _GET_PATCH_UPDATE, None, None),
    "scale": ("Scale", _GET_PATCH_UPDATE, "autoscaling", "v1"),
    "binding": ("Binding", CREATE_ONLY, None, None),
    "eviction": ("Eviction", CREATE_ONLY, "policy", "v1"),
    "token": ("TokenRequest", CREATE_ONLY, "authentication.k8s.io", "v1"),
    "log": (None, ("get",), None, None),
    "exec": ("PodExecOptions", _CREATE_GET, None, None),
    "attach": ("PodAttachOptions", _CREATE_GET, None, None),
    "portforward": ("PodPortForwardOptions", _CREATE_GET, None, None),
    "ephemeralcontainers": (None, _GET_PATCH_UPDATE, None, None),
    "finalize": (None, ("update",), None, None),
    "approval": (None, _GET_PATCH_UPDATE, None, None),
}

_PROXY_KIND = {"Pod": "PodProxyOptions", "Service": "ServiceProxyOptions", "Node": "NodeProxyOptions"}


def subresource_info(info: ResourceInfo, name: str) -> SubresourceInfo | None:
    """The discovery data of subresource ``name`` of ``info`` (None if it has no such subresource)."""
    if info.subresource_kind(name) is None:
        return None
    if name == "proxy":
        return SubresourceInfo(name, _PROXY_KIND.get(info.kind, info.kind + "ProxyOptions"), _PROXY_VERBS)
    kind, verbs, group, version = _SUBRESOURCE_DISCOVERY.get(name, (None, _GET_PATCH_UPDATE, None, None))
    return SubresourceInfo(name, kind or info.kind, verbs, group, version)


def subresources_of(info: ResourceInfo) -> tuple[SubresourceInfo, ...]:
    """All subresources of ``info`` in discovery form, sorted by name as upstream lists them."""
    out = [subresource_info(info, name) for name, _ in info.subresources]
    return tuple(sorted((s for s in out if s is not None), key=lambda s: s.name))


# upstream discovery advertises the hash of apiextensions.k8s.io/v1beta1 for CRDs (an opaque
# cache key for clients; we keep it identical)
_STORAGE_HASH_GVK = {
    (
        "apiextensions.k8s.io",
        "customresourcedefinitions",
    ): "apiextensions.k8s.io/v1beta1/CustomResourceDefinition",
}


def storage_version_hash(info: ResourceInfo) -> str | None:
    """``storageVersionHash`` of discovery: base64 of the first 8 bytes of sha256("group/version/kind")
    of the storage version. None for resources that are not stored (reviews, bindings)."""
    if not info.stored:
        return None
    gvk = _STORAGE_HASH_GVK.get((info.stored_group, info.stored_resource))
    if gvk is None:
        gvk = f"{info.stored_group}/{info.stored_version}/{info.kind}"
    digest = hashlib.sha256(gvk.encode()).digest()
    return base64.b64encode(digest[:8]).decode()
