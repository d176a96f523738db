"""The official `kubernetes` Python client against `kyb up`."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from kybernetes.testing.cluster import KybCluster


@pytest.fixture(scope="module")
def api(cluster: KybCluster) -> client.ApiClient:
    return cluster.api_client()


@pytest.fixture
def pns(api: client.ApiClient) -> str:
    name = "py-" + uuid.uuid4().hex[:8]
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


def _cm(name: str, labels: dict[str, str] | None = None, data: dict[str, str] | None = None) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data or {"k": "v"})


def test_core_crud(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_config_map(pns, _cm("one", {"a": "1"}))
    assert created.metadata.uid and created.metadata.resource_version
    got = core.read_namespaced_config_map("one", pns)
    assert got.data == {"k": "v"}
    got.data["k"] = "changed"
    replaced = core.replace_namespaced_config_map("one", pns, got)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    # a stale resourceVersion is a conflict with upstream's message
    got.metadata.resource_version = created.metadata.resource_version
    with pytest.raises(ApiException) as e:
        core.replace_namespaced_config_map("one", pns, got)
    assert e.value.status == 409
    assert "the object has been modified; please apply your changes to the latest version and try again" in e.value.body
    patched = core.patch_namespaced_config_map("one", pns, {"metadata": {"labels": {"b": "2"}}})
    assert patched.metadata.labels == {"a": "1", "b": "2"}
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(pns, _cm("one"))
    assert e.value.status == 409 and "AlreadyExists" in e.value.body
    core.delete_namespaced_config_map("one", pns)
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("one", pns)
    assert e.value.status == 404
    assert json.loads(e.value.body)["message"] == 'configmaps "one" not found'


def test_apps_crud_and_status_split(api: client.ApiClient, pns: str) -> None:
    """The deployment controller runs meanwhile: every assertion is on what a write returned."""
    apps = client.AppsV1Api(api)
    dep = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="d"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels={"app": "d"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "d"}),
                spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx:1")]),
            ),
        ),
    )
    created = apps.create_namespaced_deployment(pns, dep)
    assert created.metadata.generation == 1
    assert created.spec.strategy.type == "RollingUpdate"
    # a status write keeps spec (the spec part of the body is ignored)
    st = apps.patch_namespaced_deployment_status(
        "d", pns, {"spec": {"replicas": 7}, "status": {"observedGeneration": 1, "replicas": 2}})
    assert st.spec.replicas == 2 and st.status.replicas == 2 and st.metadata.generation == 1
    # a spec write keeps status and bumps generation
    sp = apps.patch_namespaced_deployment("d", pns, {"spec": {"replicas": 3}, "status": {"replicas": 99}})
    assert sp.spec.replicas == 3 and sp.metadata.generation == 2 and sp.status.replicas != 99
    # a label-only change does not bump generation
    lab = apps.patch_namespaced_deployment("d", pns, {"metadata": {"labels": {"x": "y"}}})
    assert lab.metadata.generation == 2
    scale = apps.read_namespaced_deployment_scale("d", pns)
    assert scale.spec.replicas == 3 and scale.status.selector == "app=d"
    apps.patch_namespaced_deployment_scale("d", pns, {"spec": {"replicas": 5}})
    assert apps.read_namespaced_deployment("d", pns).spec.replicas == 5
    # the selector is immutable
    with pytest.raises(ApiException) as e:
        apps.patch_namespaced_deployment("d", pns, {"spec": {"selector": {"matchLabels": {"app": "other"}},
                                                            "template": {"metadata": {"labels": {"app": "other"}}}}})
    assert e.value.status == 422 and "field is immutable" in e.value.body
    apps.delete_namespaced_deployment("d", pns)


def test_list_selectors_and_pagination(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    for i in range(7):
        core.create_namespaced_config_map(pns, _cm(f"c{i}", {"parity": "even" if i % 2 == 0 else "odd", "i": str(i)}))
    evens = core.list_namespaced_config_map(pns, label_selector="parity=even")
    assert sorted(c.metadata.name for c in evens.items) == ["c0", "c2", "c4", "c6"]
    notin = core.list_namespaced_config_map(pns, label_selector="i notin (0,1,2),parity")
    assert sorted(c.metadata.name for c in notin.items) == ["c3", "c4", "c5", "c6"]
    by_name = core.list_namespaced_config_map(pns, field_selector="metadata.name=c3")
    assert [c.metadata.name for c in by_name.items] == ["c3"]
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map(pns, field_selector="data.k=v")
    assert e.value.status == 400
    pages = []
    cont = None
    while True:
        page = core.list_namespaced_config_map(pns, limit=3, _continue=cont, label_selector="parity")
        pages.append([c.metadata.name for c in page.items])
        cont = page.metadata._continue
        if not cont:
            break
        # writes between pages do not change what the snapshot returns
        core.create_namespaced_config_map(pns, _cm(f"late-{len(pages)}", {"parity": "late"}))
    assert pages == [["c0", "c1", "c2"], ["c3", "c4", "c5"], ["c6"]]
    first = core.list_namespaced_config_map(pns, limit=2, label_selector="parity in (even,odd)")
    assert first.metadata.remaining_item_count is None or first.metadata.remaining_item_count >= 0
    everything = core.list_config_map_for_all_namespaces(label_selector="parity=odd")
    assert {c.metadata.namespace for c in everything.items} == {pns}


def test_watch_order_resume_and_gone(api: client.ApiClient, pns: str, cluster: KybCluster) -> None:
    core = client.CoreV1Api(api)
    start_rv = core.list_namespaced_config_map(pns).metadata.resource_version
    events: list[tuple[str, str, str]] = []

    def consume() -> None:
        w = watch.Watch()
        for ev in w.stream(core.list_namespaced_config_map, pns, resource_version=start_rv, timeout_seconds=10,
                           field_selector="metadata.name=w"):
            obj = ev["object"]
            events.append((ev["type"], obj.metadata.name, obj.metadata.resource_version))
            if ev["type"] == "DELETED":
                w.stop()

    t = threading.Thread(target=consume)
    t.start()
    time.sleep(0.5)
    core.create_namespaced_config_map(pns, _cm("w"))
    core.patch_namespaced_config_map("w", pns, {"data": {"k": "2"}})
    core.delete_namespaced_config_map("w", pns)
    t.join(15)
    assert [(e[0], e[1]) for e in events] == [("ADDED", "w"), ("MODIFIED", "w"), ("DELETED", "w")]
    rvs = [int(e[2]) for e in events]
    assert rvs == sorted(rvs)
    # resume from the ADDED event's resourceVersion: the rest is replayed
    resumed = []
    w = watch.Watch()
    for ev in w.stream(core.list_namespaced_config_map, pns, resource_version=events[0][2], timeout_seconds=2,
                       field_selector="metadata.name=w"):
        resumed.append((ev["type"], ev["object"].metadata.name))
        if ev["type"] == "DELETED":
            w.stop()
    assert resumed == [("MODIFIED", "w"), ("DELETED", "w")]


def test_watch_from_compacted_resource_version_is_gone(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A resourceVersion older than the watch cache's history answers 410 Gone (as after etcd compaction)."""
    with KybCluster(tmp_path_factory.mktemp("small-cache"), ["--default-watch-cache-size=5", "--etcd-compaction-interval=1s"]) as small:
        core = client.CoreV1Api(small.api_client())
        first = core.create_namespaced_config_map("default", _cm("first"))
        for i in range(10):
            core.create_namespaced_config_map("default", _cm(f"more-{i}"))
        w = watch.Watch()
        with pytest.raises(ApiException) as e:
            for _ in w.stream(core.list_namespaced_config_map, "default",
                              resource_version=first.metadata.resource_version, timeout_seconds=2):
                pass
        assert e.value.status == 410
        # a list paged over a compacted revision is gone too
        page = core.list_namespaced_config_map("default", limit=2)
        core.create_namespaced_config_map("default", _cm("after-page"))
        time.sleep(2.5)  # two compaction rounds: the page's revision is compacted
        with pytest.raises(ApiException) as e:
            core.list_namespaced_config_map("default", limit=2, _continue=page.metadata._continue)
        assert e.value.status == 410


def test_kubernetes_service_is_reconciled(api: client.ApiClient) -> None:
    """The bootstrap controller brings back the `kubernetes` Service and its endpoints."""
    core = client.CoreV1Api(api)
    core.delete_namespaced_service("kubernetes", "default")
    deadline = time.monotonic() + 20
    while True:
        try:
            svc = core.read_namespaced_service("kubernetes", "default")
            break
        except ApiException as e:
            assert e.status == 404 and time.monotonic() < deadline
            time.sleep(0.5)
    assert svc.spec.cluster_ip == "10.96.0.1"
    eps = core.read_namespaced_endpoints("kubernetes", "default")
    assert eps.subsets[0].ports[0].name == "https"
