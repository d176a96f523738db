"""/openapi/v2 and /openapi/v3 documents built from the resource table."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from kybernetes.api import openapi, schema
from kybernetes.api.resource_table import subresources_of
from kybernetes.api.resources import ResourceInfo, all_resources


@pytest.fixture(scope="module")
def svc() -> openapi.OpenAPIService:
    return openapi.service()


@pytest.fixture(scope="module")
def v2(svc: openapi.OpenAPIService) -> dict[str, Any]:
    return svc.v2()


@pytest.fixture(scope="module")
def core_v3(svc: openapi.OpenAPIService) -> dict[str, Any]:
    doc = svc.v3("api/v1")
    assert doc is not None
    return doc


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            yield cur
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


def _param_names(op: dict[str, Any]) -> set[str]:
    return {p["name"] for p in op.get("parameters", ()) if p["in"] == "query"}


# ---------------------------------------------------------------- definitions


def test_definition_conversion_v2() -> None:
    pod = openapi.convert_definition(
        "io.k8s.api.core.v1.Pod", schema.definitions()["io.k8s.api.core.v1.Pod"], v3=False
    )
    assert pod["type"] == "object"
    assert pod["properties"]["apiVersion"] == {
        "description": pod["properties"]["apiVersion"]["description"],
        "type": "string",
    }
    assert "enum" not in pod["properties"]["kind"]
    assert pod["properties"]["spec"]["$ref"] == "#/definitions/io.k8s.api.core.v1.PodSpec"
    assert pod["properties"]["metadata"]["description"].startswith("Standard object's metadata")
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]

    spec = openapi.convert_definition(
        "io.k8s.api.core.v1.PodSpec", schema.definitions()["io.k8s.api.core.v1.PodSpec"], v3=False
    )
    containers = spec["properties"]["containers"]
    assert containers["items"] == {"$ref": "#/definitions/io.k8s.api.core.v1.Container"}
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-map-keys"] == ["name"]
    assert spec["properties"]["nodeSelector"]["additionalProperties"] == {"type": "string"}


def test_int_or_string_and_quantity() -> None:
    ios = openapi.convert_definition(openapi.INT_OR_STRING, {}, v3=False)
    assert (ios["type"], ios["format"]) == ("string", "int-or-string")
    assert openapi.convert_definition(openapi.QUANTITY, {}, v3=False)["type"] == "string"
    ios3 = openapi.convert_definition(openapi.INT_OR_STRING, {}, v3=True)
    assert ios3["oneOf"] == [{"type": "integer"}, {"type": "string"}]
    assert ios3["format"] == "int-or-string"
    q3 = openapi.convert_definition(openapi.QUANTITY, {}, v3=True)
    assert q3["oneOf"] == [{"type": "string"}, {"type": "number"}]


def test_definition_conversion_v3_wraps_refs() -> None:
    pod = openapi.convert_definition(
        "io.k8s.api.core.v1.Pod", schema.definitions()["io.k8s.api.core.v1.Pod"], v3=True
    )
    meta = pod["properties"]["metadata"]
    assert meta["allOf"] == [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]
    assert meta["default"] == {}
    assert "$ref" not in meta
    lst = openapi.convert_definition(
        "io.k8s.api.core.v1.PodList", schema.definitions()["io.k8s.api.core.v1.PodList"], v3=True
    )
    assert lst["properties"]["items"]["items"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}],
        "default": {},
    }
    # a bare reference stays bare
    spec = openapi.convert_definition(
        "io.k8s.api.core.v1.PodSpec", schema.definitions()["io.k8s.api.core.v1.PodSpec"], v3=True
    )
    assert spec["properties"]["containers"]["items"] == {
        "$ref": "#/components/schemas/io.k8s.api.core.v1.Container"
    }


def test_crd_schema_props_keep_their_property_names() -> None:
    name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
    props = openapi.convert_definition(name, schema.definitions()[name], v3=False)["properties"]
    # properties literally named "$ref", "type", "items" are properties, not keywords
    assert props["$ref"]["type"] == "string"
    assert props["type"]["type"] == "string"
    assert "items" in props and "properties" in props


# ---------------------------------------------------------------- v2


def test_v2_is_swagger_with_resolvable_refs(v2: dict[str, Any]) -> None:
    assert v2["swagger"] == "2.0"
    assert v2["info"] == {"title": "Kubernetes", "version": "v1.32.0"}
    defs = v2["definitions"]
    for node in _walk(v2):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/definitions/"), ref
            assert ref.removeprefix("#/definitions/") in defs, ref
        t = node.get("type")
        assert not isinstance(t, list), node
    # only the definitions the paths need (no v1alpha/v1beta types)
    assert "io.k8s.api.core.v1.Pod" in defs
    assert not any(".v1beta1." in n or ".v1alpha" in n for n in defs)


def test_v2_paths_and_operation_ids(v2: dict[str, Any]) -> None:
    paths = v2["paths"]
    pods = paths["/api/v1/namespaces/{namespace}/pods"]
    assert pods["get"]["operationId"] == "listCoreV1NamespacedPod"
    assert pods["get"]["x-kubernetes-action"] == "list"
    assert pods["post"]["operationId"] == "createCoreV1NamespacedPod"
    assert pods["delete"]["operationId"] == "deleteCoreV1CollectionNamespacedPod"
    assert [p["name"] for p in pods["parameters"]] == ["namespace", "pretty"]
    assert {
        "labelSelector",
        "fieldSelector",
        "watch",
        "limit",
        "continue",
        "resourceVersion",
        "sendInitialEvents",
    } <= (_param_names(pods["get"]))
    assert pods["get"]["responses"]["200"]["schema"] == {"$ref": "#/definitions/io.k8s.api.core.v1.PodList"}
    assert "application/json;stream=watch" in pods["get"]["produces"]

    pod = paths["/api/v1/namespaces/{namespace}/pods/{name}"]
    assert set(pod) == {"get", "put", "patch", "delete", "parameters"}
    assert pod["get"]["operationId"] == "readCoreV1NamespacedPod"
    assert pod["put"]["operationId"] == "replaceCoreV1NamespacedPod"
    assert pod["delete"]["operationId"] == "deleteCoreV1NamespacedPod"
    assert pod["delete"]["responses"]["202"]["schema"]["$ref"].endswith("meta.v1.Status")
    assert paths["/api/v1/pods"]["get"]["operationId"] == "listCoreV1PodForAllNamespaces"
    assert (
        paths["/api/v1/watch/namespaces/{namespace}/pods"]["get"]["operationId"]
        == "watchCoreV1NamespacedPodList"
    )
    assert paths["/api/v1/watch/namespaces/{namespace}/pods/{name}"]["get"]["x-kubernetes-action"] == "watch"

    assert paths["/api/v1/nodes"]["get"]["operationId"] == "listCoreV1Node"
    assert (
        paths["/api/v1/namespaces/{name}/finalize"]["put"]["operationId"] == "replaceCoreV1NamespaceFinalize"
    )
    assert "delete" not in paths["/api/v1/namespaces"]  # no deletecollection on namespaces
    assert set(paths["/api/v1/namespaces/{namespace}/bindings"]) == {"post", "parameters"}
    assert set(paths["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]) == {"post", "parameters"}
    assert (
        paths["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]["post"]["operationId"]
        == "createAuthorizationV1SelfSubjectAccessReview"
    )
    assert (
        paths["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["get"]["operationId"]
        == "listRbacAuthorizationV1ClusterRole"
    )
    assert paths["/apis/rbac.authorization.k8s.io/v1/clusterroles"]["get"]["tags"] == ["rbacAuthorization_v1"]


def test_v2_subresources(v2: dict[str, Any]) -> None:
    paths = v2["paths"]
    scale = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]
    assert scale["get"]["operationId"] == "readAppsV1NamespacedDeploymentScale"
    assert scale["patch"]["operationId"] == "patchAppsV1NamespacedDeploymentScale"
    assert scale["get"]["x-kubernetes-group-version-kind"] == {
        "group": "autoscaling",
        "kind": "Scale",
        "version": "v1",
    }
    assert (
        scale["get"]["responses"]["200"]["schema"]["$ref"] == "#/definitions/io.k8s.api.autoscaling.v1.Scale"
    )

    status = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status"]
    assert status["put"]["operationId"] == "replaceAppsV1NamespacedDeploymentStatus"

    eviction = paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
    assert eviction["operationId"] == "createCoreV1NamespacedPodEviction"
    assert eviction["x-kubernetes-group-version-kind"] == {
        "group": "policy",
        "kind": "Eviction",
        "version": "v1",
    }
    body = next(p for p in eviction["parameters"] if p["in"] == "body")
    assert body["schema"] == {"$ref": "#/definitions/io.k8s.api.policy.v1.Eviction"}

    token = paths["/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token"]["post"]
    assert token["operationId"] == "createCoreV1NamespacedServiceAccountToken"

    log = paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]
    assert log["get"]["operationId"] == "readCoreV1NamespacedPodLog"
    assert "text/plain" in log["get"]["produces"]
    assert {"container", "follow", "previous", "tailLines", "sinceSeconds"} <= {
        p["name"] for p in log["parameters"]
    }

    exec_ = paths["/api/v1/namespaces/{namespace}/pods/{name}/exec"]
    assert exec_["post"]["operationId"] == "connectCoreV1PostNamespacedPodExec"
    assert exec_["get"]["x-kubernetes-action"] == "connect"
    assert {"command", "container", "stdin", "stdout", "stderr", "tty"} <= {
        p["name"] for p in exec_["parameters"]
    }
    assert "/api/v1/namespaces/{namespace}/pods/{name}/proxy/{path}" in paths
    assert (
        paths["/api/v1/nodes/{name}/proxy/{path}"]["get"]["operationId"]
        == "connectCoreV1GetNodeProxyWithPath"
    )


def test_v2_patch_and_post_carry_field_validation(v2: dict[str, Any]) -> None:
    # kubectl decides whether server-side field validation is supported by looking for this
    for path, item in v2["paths"].items():
        for method in ("patch", "post", "put"):
            op = item.get(method)
            if op is None or op.get("x-kubernetes-action") == "connect":
                continue
            names = _param_names(op)
            assert {"fieldValidation", "dryRun", "fieldManager"} <= names, (path, method)
            if method == "patch":
                assert "force" in names
                assert op["consumes"] == [
                    "application/json-patch+json",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                    "application/apply-patch+yaml",
                ]
                assert "x-kubernetes-group-version-kind" in op


def test_every_table_resource_has_paths(v2: dict[str, Any]) -> None:
    paths = v2["paths"]
    for r in all_resources():
        prefix = f"/apis/{r.group}/{r.version}" if r.group else f"/api/{r.version}"
        coll = f"{prefix}/namespaces/{{namespace}}/{r.resource}" if r.namespaced else f"{prefix}/{r.resource}"
        if "create" in r.verbs or "list" in r.verbs:
            assert coll in paths, coll
        if "get" in r.verbs:
            assert coll + "/{name}" in paths, coll
        for sub in subresources_of(r):
            assert f"{coll}/{{name}}/{sub.name}" in paths, (r.resource, sub.name)


def test_v2_document_bytes_and_etag(svc: openapi.OpenAPIService) -> None:
    doc = svc.v2_document()
    assert orjson.loads(doc.data) == svc.v2()
    assert doc.hash == hashlib.sha512(doc.data).hexdigest().upper()
    assert doc.etag == f'"{doc.hash}"'
    assert svc.v2_document() is doc  # cached


# ---------------------------------------------------------------- v3


def test_v3_index(svc: openapi.OpenAPIService) -> None:
    index = svc.v3_index()
    keys = set(index["paths"])
    assert {
        "api",
        "api/v1",
        "apis",
        "apis/apps",
        "apis/apps/v1",
        "apis/autoscaling/v1",
        "apis/autoscaling/v2",
        "version",
    } <= keys
    for key, entry in index["paths"].items():
        url = entry["serverRelativeURL"]
        prefix = f"/openapi/v3/{key}?hash="
        assert url.startswith(prefix)
        h = url[len(prefix) :]
        assert len(h) == 128 and h == h.upper()
        doc = svc.v3_document(key)
        assert doc is not None and doc.hash == h == hashlib.sha512(doc.data).hexdigest().upper()
    assert orjson.loads(svc.v3_index_document().data) == index


def test_v3_hashes_are_deterministic(svc: openapi.OpenAPIService) -> None:
    fresh = openapi.OpenAPIService(all_resources())
    for key in ("api/v1", "apis/apps/v1", "apis/events.k8s.io/v1"):
        a, b = svc.v3_document(key), fresh.v3_document(key)
        assert a is not None and b is not None and a.hash == b.hash


def test_v3_core_document(core_v3: dict[str, Any]) -> None:
    assert core_v3["openapi"] == "3.0.0"
    schemas = core_v3["components"]["schemas"]
    pod = schemas["io.k8s.api.core.v1.Pod"]
    assert pod["x-kubernetes-group-version-kind"] == [{"group": "", "kind": "Pod", "version": "v1"}]
    containers = schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["x-kubernetes-patch-merge-key"] == "name"
    assert containers["x-kubernetes-patch-strategy"] == "merge"
    assert containers["x-kubernetes-list-type"] == "map"
    probe = schemas["io.k8s.api.core.v1.Container"]["properties"]["livenessProbe"]
    assert probe["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.core.v1.Probe"}]
    assert "io.k8s.api.core.v1.Probe" in schemas
    # every reference resolves inside the document, in v3 form
    for node in _walk(core_v3):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/components/schemas/"), ref
            assert ref.removeprefix("#/components/schemas/") in schemas, ref
    # only core/v1 paths
    assert all(p.startswith("/api/v1/") for p in core_v3["paths"])
    assert "io.k8s.api.apps.v1.Deployment" not in schemas


def test_v3_operations(core_v3: dict[str, Any]) -> None:
    pod = core_v3["paths"]["/api/v1/namespaces/{namespace}/pods/{name}"]
    patch = pod["patch"]
    assert patch["operationId"] == "patchCoreV1NamespacedPod"
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "kind": "Pod", "version": "v1"}
    assert patch["x-kubernetes-action"] == "patch"
    assert {p["name"]: p["schema"]["type"] for p in patch["parameters"]} == {
        "dryRun": "string",
        "fieldManager": "string",
        "fieldValidation": "string",
        "force": "boolean",
    }
    content = patch["requestBody"]["content"]
    assert set(content) == {
        "application/json-patch+json",
        "application/merge-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
    }
    assert content["application/apply-patch+yaml"]["schema"] == {
        "$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"
    }
    assert patch["requestBody"]["required"] is True
    ok = patch["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}
    create = core_v3["paths"]["/api/v1/namespaces/{namespace}/pods"]["post"]
    assert create["requestBody"]["content"] == {
        "*/*": {"schema": {"$ref": "#/components/schemas/io.k8s.api.core.v1.Pod"}}
    }
    assert set(create["responses"]) == {"200", "201", "202", "401"}


def test_build_functions_accept_group_versions() -> None:
    apps = openapi.build_v3("apps/v1")
    assert apps is not None and apps is openapi.build_v3("apis/apps/v1")
    assert "io.k8s.api.apps.v1.Deployment" in apps["components"]["schemas"]
    assert openapi.build_v3("v1") is openapi.build_v3("api/v1")
    assert openapi.build_v3("nope.example.com/v1") is None
    group = openapi.build_v3("apis/apps")
    assert group is not None and group["paths"]["/apis/apps/"]["get"]["operationId"] == "getAppsAPIGroup"
    assert openapi.build_v2() is openapi.build_v2(all_resources())
    assert "api/v1" in openapi.build_v3_index()["paths"]


def test_service_is_lazy() -> None:
    svc = openapi.OpenAPIService(all_resources())
    assert svc.v3("apis/coordination.k8s.io/v1") is not None
    assert svc._v2 is None  # building one v3 document builds nothing else
    assert list(svc._v3) == ["apis/coordination.k8s.io/v1"]


def test_hpa_versions_have_their_own_documents(svc: openapi.OpenAPIService) -> None:
    v1 = svc.v3("apis/autoscaling/v1")
    v2 = svc.v3("apis/autoscaling/v2")
    assert v1 is not None and v2 is not None
    assert "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler" in v1["components"]["schemas"]
    assert "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler" in v2["components"]["schemas"]
    assert (
        v2["paths"]["/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers"]["get"][
            "operationId"
        ]
        == "listAutoscalingV2NamespacedHorizontalPodAutoscaler"
    )


# ---------------------------------------------------------------- custom resources

_WIDGET_DEFS: dict[str, Any] = {
    "com.example.v1.Widget": {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "Widget", "version": "v1"}],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"},
            "spec": {
                "type": "object",
                "properties": {"size": {"type": "integer", "description": "how big"}},
            },
        },
    },
    "com.example.v1.WidgetList": {
        "type": "object",
        "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "WidgetList", "version": "v1"}],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/definitions/com.example.v1.Widget"}},
            "metadata": {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"},
        },
        "required": ["items"],
    },
}


def test_extra_definitions_for_custom_resources() -> None:
    widget = ResourceInfo("example.com", "v1", "widgets", "Widget", "widget", True, short_names=("wd",))
    svc = openapi.service([*all_resources(), widget], _WIDGET_DEFS)
    assert svc is openapi.service([*all_resources(), widget], dict(_WIDGET_DEFS))
    doc = svc.v3("apis/example.com/v1")
    assert doc is not None
    schemas = doc["components"]["schemas"]
    assert schemas["com.example.v1.Widget"]["properties"]["metadata"] == {
        "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}],
        "default": {},
    }
    assert "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" in schemas
    item = doc["paths"]["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]
    assert item["patch"]["operationId"] == "patchExampleComV1NamespacedWidget"
    # custom resources do not support strategic merge patch
    assert "application/strategic-merge-patch+json" not in item["patch"]["requestBody"]["content"]
    assert item["patch"]["tags"] == ["exampleCom_v1"]
    assert "apis/example.com/v1" in svc.v3_index()["paths"]
    v2 = svc.v2()
    assert v2["definitions"]["com.example.v1.WidgetList"]["properties"]["items"]["items"] == {
        "$ref": "#/definitions/com.example.v1.Widget"
    }


# ---------------------------------------------------------------- the real kubectl


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _resource_list(group: str, version: str) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for r in all_resources():
        if (r.group, r.version) != (group, version):
            continue
        out.append(
            {
                "name": r.resource,
                "singularName": r.singular,
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": list(r.verbs),
                "shortNames": list(r.short_names),
            }
        )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}".lstrip("/"),
        "resources": out,
    }


@pytest.mark.kubectl
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
async def test_kubectl_explain_against_v3(tmp_path: Path) -> None:
    from aiohttp import web

    svc = openapi.service()
    groups: dict[str, list[str]] = {}
    for r in all_resources():
        if r.group and r.version not in groups.setdefault(r.group, []):
            groups[r.group].append(r.version)

    async def handle(request: web.Request) -> web.Response:
        path = request.path.rstrip("/")
        if path == "/api":
            return web.json_response(
                {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        if path == "/api/v1":
            return web.json_response(_resource_list("", "v1"))
        if path == "/apis":
            return web.json_response(
                {
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": g,
                            "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                            "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                        }
                        for g, vs in groups.items()
                    ],
                }
            )
        parts = path.split("/")
        if path.startswith("/apis/") and len(parts) == 4:
            return web.json_response(_resource_list(parts[2], parts[3]))
        if path == "/openapi/v3":
            return web.Response(body=svc.v3_index_document().data, content_type="application/json")
        if path.startswith("/openapi/v3/"):
            doc = svc.v3_document(path.removeprefix("/openapi/v3/"))
            if doc is not None:
                return web.Response(body=doc.data, content_type="application/json")
        return web.Response(status=404)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: k, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
        "contexts: [{name: k, context: {cluster: k, user: u}}]\n"
        "users: [{name: u, user: {}}]\ncurrent-context: k\n"
    )

    async def kubectl(*args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            "kubectl",
            f"--kubeconfig={kubeconfig}",
            f"--cache-dir={tmp_path / 'cache'}",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, out.decode()
        return out.decode()

    try:
        out = await kubectl("explain", "pod.spec.containers.livenessProbe")
        assert "FIELD: livenessProbe <Probe>" in out
        assert "httpGet\t<HTTPGetAction>" in out
        out = await kubectl("explain", "deploy.spec.strategy.rollingUpdate.maxSurge")
        assert "<IntOrString>" in out
        out = await kubectl("explain", "hpa")
        assert "VERSION:    v2" in out
        out = await kubectl("explain", "pods.spec.containers.resources.limits")
        assert "<map[string]Quantity>" in out
    finally:
        await runner.cleanup()
