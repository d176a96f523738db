"""JSON merge patch (RFC 7386) as kube-apiserver applies it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.errors import StatusError
from kybernetes.apiserver.patch.merge import apply_merge_patch


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
        "spec": {
            "replicas": 1,
            "template": {
                "spec": {
                    "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "busybox"}],
                }
            },
        },
    }


def test_scale_patch() -> None:
    # what `kubectl scale` sends to the scale subresource
    obj = deployment()
    before = copy.deepcopy(obj)
    out = apply_merge_patch(obj, {"spec": {"replicas": 3}})
    assert out["spec"]["replicas"] == 3
    assert out["spec"]["template"] == before["spec"]["template"]
    assert obj == before


def test_null_deletes_key() -> None:
    out = apply_merge_patch(deployment(), {"metadata": {"labels": {"tier": None, "new": "x"}}})
    assert out["metadata"]["labels"] == {"app": "web", "new": "x"}


def test_null_for_missing_key_is_ignored() -> None:
    out = apply_merge_patch(deployment(), {"metadata": {"annotations": None}})
    assert "annotations" not in out["metadata"]


def test_lists_are_replaced() -> None:
    out = apply_merge_patch(
        deployment(), {"spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx:2"}]}}}}
    )
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "a", "image": "nginx:2"}]


def test_nulls_in_new_objects_are_pruned() -> None:
    out = apply_merge_patch(
        deployment(), {"metadata": {"annotations": {"a": "1", "b": None, "c": {"d": None}}}}
    )
    assert out["metadata"]["annotations"] == {"a": "1", "c": {}}


def test_nulls_in_arrays_are_kept_but_objects_inside_pruned() -> None:
    out = apply_merge_patch({}, {"x": [None, {"a": None, "b": 1}]})
    assert out == {"x": [None, {"b": 1}]}


def test_object_replaces_scalar_and_scalar_replaces_object() -> None:
    out = apply_merge_patch({"a": 1, "b": {"c": 1}}, {"a": {"x": None, "y": 2}, "b": "s"})
    assert out == {"a": {"y": 2}, "b": "s"}


def test_rfc7386_examples() -> None:
    target = {
        "title": "Goodbye!",
        "author": {"givenName": "John", "familyName": "Doe"},
        "tags": ["example", "sample"],
        "content": "This will be unchanged",
    }
    patch = {
        "title": "Hello!",
        "phoneNumber": "+01-123-456-7890",
        "author": {"familyName": None},
        "tags": ["example"],
    }
    assert apply_merge_patch(target, patch) == {
        "title": "Hello!",
        "author": {"givenName": "John"},
        "tags": ["example"],
        "content": "This will be unchanged",
        "phoneNumber": "+01-123-456-7890",
    }


def test_empty_patch_is_no_op() -> None:
    assert apply_merge_patch(deployment(), {}) == deployment()


@pytest.mark.parametrize("bad", [None, 5, "x", True])
def test_non_object_patch_is_bad_request(bad: Any) -> None:
    with pytest.raises(StatusError) as ei:
        apply_merge_patch(deployment(), bad)
    assert ei.value.code == 400
    assert ei.value.reason == "BadRequest"
    assert ei.value.message == "Invalid JSON Patch"


def test_array_patch_is_invalid() -> None:
    with pytest.raises(StatusError) as ei:
        apply_merge_patch(deployment(), [1, 2])  # type: ignore[arg-type]
    assert ei.value.code == 422
    assert ei.value.reason == "Invalid"
    assert "patch: Invalid value" in ei.value.message


def test_apply_patch_dispatches_on_content_type() -> None:
    from kybernetes.api.schema import schema_for
    from kybernetes.apiserver.patch import apply_patch

    schema = schema_for("apps", "v1", "Deployment")
    obj = deployment()
    assert (
        apply_patch("application/merge-patch+json", obj, {"spec": {"replicas": 4}}, schema)["spec"][
            "replicas"
        ]
        == 4
    )
    out = apply_patch(
        "application/json-patch+json; charset=utf-8",
        obj,
        [{"op": "replace", "path": "/spec/replicas", "value": 5}],
        schema,
    )
    assert out["spec"]["replicas"] == 5
    out = apply_patch(
        "application/strategic-merge-patch+json",
        obj,
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}},
        schema,
    )
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["c", "a", "b"]
    # the same body as a merge patch replaces the list
    out = apply_patch(
        "application/merge-patch+json",
        obj,
        {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}},
        schema,
    )
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "c", "image": "x"}]
    with pytest.raises(StatusError) as ei:
        apply_patch("application/xml", obj, {}, schema)
    assert ei.value.code == 415
    assert ei.value.message == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json"
    )
