"""API conventions through the official client: dry-run, deletecollection, terminating namespaces,
resourceVersionMatch, per-kind field selectors, unsupported verbs."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from kybernetes.testing.cluster import KybCluster


@pytest.fixture(scope="module")
def api(cluster: KybCluster) -> client.ApiClient:
    return cluster.api_client()


@pytest.fixture
def pns(api: client.ApiClient) -> str:
    name = "sem-" + uuid.uuid4().hex[:8]
    core = client.CoreV1Api(api)
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    deadline = time.monotonic() + 30
    while True:  # pods need the namespace's default ServiceAccount (the controller makes it)
        try:
            core.read_namespaced_service_account("default", name)
            return name
        except ApiException:
            assert time.monotonic() < deadline
            time.sleep(0.1)


def _cm(name: str, **labels: str) -> client.V1ConfigMap:
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels or None), data={"k": "v"})


def test_dry_run_on_every_mutating_verb(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    dry = core.create_namespaced_config_map(pns, _cm("d"), dry_run="All")
    assert dry.metadata.uid and dry.metadata.name == "d"
    with pytest.raises(ApiException) as e:
        core.read_namespaced_config_map("d", pns)
    assert e.value.status == 404
    real = core.create_namespaced_config_map(pns, _cm("d"))
    rv = real.metadata.resource_version
    real.data = {"k": "changed"}
    core.replace_namespaced_config_map("d", pns, real, dry_run="All")
    core.patch_namespaced_config_map("d", pns, {"data": {"k": "patched"}}, dry_run="All")
    core.delete_namespaced_config_map("d", pns, dry_run="All")
    after = core.read_namespaced_config_map("d", pns)
    assert after.data == {"k": "v"} and after.metadata.resource_version == rv


def test_deletecollection_with_selector(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    for i in range(4):
        core.create_namespaced_config_map(pns, _cm(f"dc{i}", tier="a" if i < 3 else "b"))
    core.delete_collection_namespaced_config_map(pns, label_selector="tier=a")
    left = [c.metadata.name for c in core.list_namespaced_config_map(pns, label_selector="tier").items]
    assert left == ["dc3"]


def test_resource_version_match_exact_reads_the_past(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_config_map(pns, _cm("old"))
    then = core.list_namespaced_config_map(pns).metadata.resource_version
    core.create_namespaced_config_map(pns, _cm("new"))
    past = core.list_namespaced_config_map(pns, resource_version=then, resource_version_match="Exact")
    names = {c.metadata.name for c in past.items}
    assert "old" in names and "new" not in names
    assert past.metadata.resource_version == then
    now = core.list_namespaced_config_map(pns, resource_version=then, resource_version_match="NotOlderThan")
    assert "new" in {c.metadata.name for c in now.items}
    with pytest.raises(ApiException) as e:
        core.list_namespaced_config_map(pns, resource_version_match="Exact")
    assert e.value.status in (400, 422)


def test_pod_field_selectors(api: client.ApiClient, pns: str) -> None:
    core = client.CoreV1Api(api)
    for name, node in (("on-a", "node-a"), ("on-b", "node-b"), ("nowhere", None)):
        core.create_namespaced_pod(pns, client.V1Pod(
            metadata=client.V1ObjectMeta(name=name),
            spec=client.V1PodSpec(node_name=node, containers=[client.V1Container(name="c", image="busybox")]),
        ))
    on_a = core.list_namespaced_pod(pns, field_selector="spec.nodeName=node-a")
    assert [p.metadata.name for p in on_a.items] == ["on-a"]
    unscheduled = core.list_namespaced_pod(pns, field_selector="spec.nodeName=")
    assert [p.metadata.name for p in unscheduled.items] == ["nowhere"]
    pending = core.list_namespaced_pod(pns, field_selector="status.phase=Pending,metadata.name!=on-b")
    assert sorted(p.metadata.name for p in pending.items) == ["nowhere", "on-a"]
    with pytest.raises(ApiException) as e:
        core.list_namespaced_pod(pns, field_selector="spec.bogus=x")
    assert e.value.status == 400 and "spec.bogus" in json.loads(e.value.body)["message"]


def test_terminating_namespace_refuses_new_content(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    name = "term-" + uuid.uuid4().hex[:6]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    held = _cm("held")
    held.metadata.finalizers = ["example.com/hold"]
    core.create_namespaced_config_map(name, held)
    core.delete_namespace(name)
    ns = core.read_namespace(name)
    assert ns.status.phase == "Terminating" and ns.metadata.deletion_timestamp
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map(name, _cm("late"))
    body = json.loads(e.value.body)
    assert e.value.status == 403
    assert body["message"] == f"unable to create new content in namespace {name} because it is being terminated"
    # release the finalizer: the namespace controller finishes the deletion
    core.patch_namespaced_config_map("held", name, {"metadata": {"finalizers": None}})
    deadline = time.monotonic() + 30
    while True:
        try:
            core.read_namespace(name)
        except ApiException as ex:
            assert ex.status == 404
            break
        assert time.monotonic() < deadline, "namespace was not finalized"
        time.sleep(0.2)


def test_create_in_missing_namespace_and_unsupported_verbs(api: client.ApiClient, cluster: KybCluster) -> None:
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as e:
        core.create_namespaced_config_map("does-not-exist", _cm("x"))
    assert e.value.status == 404 and json.loads(e.value.body)["message"] == 'namespaces "does-not-exist" not found'
    with pytest.raises(ApiException) as e:
        core.delete_namespace("default")
    assert e.value.status == 403
    res = cluster.kubectl("get", "--raw", "/api/v1/namespaces/default/bindings", check=False)
    assert res.returncode != 0
    assert 'MethodNotAllowed' in res.stderr and 'list is not supported on resources of kind "bindings"' in res.stderr


def test_scheduler_status_update_keeps_other_conditions(api: client.ApiClient, pns: str) -> None:
    """The scheduler (in `kyb up`; this cluster has no nodes) marks PodScheduled=False with a strategic
    merge patch: a condition another component wrote stays."""
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(pns, client.V1Pod(
        metadata=client.V1ObjectMeta(name="unschedulable"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
    ))
    core.patch_namespaced_pod_status("unschedulable", pns, {"status": {"conditions": [
        {"type": "example.com/Gate", "status": "True"}]}})
    deadline = time.monotonic() + 30
    while True:
        pod = core.read_namespaced_pod("unschedulable", pns)
        types = {c.type: c for c in pod.status.conditions or []}
        if "PodScheduled" in types:
            break
        assert time.monotonic() < deadline, "the scheduler did not report the pod unschedulable"
        time.sleep(0.2)
    assert types["PodScheduled"].status == "False" and types["PodScheduled"].reason == "Unschedulable"
    core.patch_namespaced_pod_status("unschedulable", pns, {"status": {"conditions": [
        {"type": "example.com/Gate", "status": "True"}]}})
    time.sleep(1.5)  # the scheduler retries the pod (backoff); its writes must keep the gate
    types = {c.type for c in core.read_namespaced_pod("unschedulable", pns).status.conditions}
    assert {"PodScheduled", "example.com/Gate"} <= types
