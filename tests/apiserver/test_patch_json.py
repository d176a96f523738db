"""JSON patch (RFC 6902) with the semantics and status codes of kube-apiserver (evanphx/json-patch v4)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kybernetes.api.errors import StatusError
from kybernetes.apiserver.patch._common import UNPROCESSABLE_MESSAGE, PatchApplyError
from kybernetes.apiserver.patch.json import MAX_JSON_PATCH_OPERATIONS, apply_json_patch


def pod() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {"name": "a", "image": "nginx", "args": ["x", "y"]},
                {"name": "b", "image": "busybox"},
            ],
            "restartPolicy": "Always",
        },
    }


def assert_unprocessable(excinfo: pytest.ExceptionInfo[StatusError], reason: str) -> None:
    err = excinfo.value
    assert err.code == 422
    assert err.reason == "Invalid"
    assert err.message == UNPROCESSABLE_MESSAGE
    assert err.status()["details"] == {}
    assert isinstance(err.__cause__, PatchApplyError)
    assert reason in str(err.__cause__)


def test_add_replace_remove() -> None:
    obj = pod()
    before = copy.deepcopy(obj)
    out = apply_json_patch(
        obj,
        [
            {"op": "add", "path": "/metadata/labels/tier", "value": "fe"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1.26"},
            {"op": "remove", "path": "/spec/restartPolicy"},
        ],
    )
    assert out["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    assert out["spec"]["containers"][0]["image"] == "nginx:1.26"
    assert "restartPolicy" not in out["spec"]
    assert obj == before  # the input is not modified


def test_array_add_insert_append_and_negative_index() -> None:
    out = apply_json_patch(
        pod(),
        [
            {"op": "add", "path": "/spec/containers/0/args/0", "value": "first"},
            {"op": "add", "path": "/spec/containers/0/args/-", "value": "last"},
            {"op": "replace", "path": "/spec/containers/-1/image", "value": "alpine"},
        ],
    )
    assert out["spec"]["containers"][0]["args"] == ["first", "x", "y", "last"]
    assert out["spec"]["containers"][1]["image"] == "alpine"


def test_add_at_array_length_appends_and_beyond_fails() -> None:
    out = apply_json_patch(pod(), [{"op": "add", "path": "/spec/containers/0/args/2", "value": "z"}])
    assert out["spec"]["containers"][0]["args"] == ["x", "y", "z"]
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "add", "path": "/spec/containers/0/args/5", "value": "z"}])
    assert_unprocessable(ei, "Unable to access invalid index: 5")


def test_escaped_keys() -> None:
    out = apply_json_patch(
        pod(),
        [{"op": "add", "path": "/metadata/labels/example.com~1role", "value": "x"}],
    )
    assert out["metadata"]["labels"]["example.com/role"] == "x"
    out = apply_json_patch(out, [{"op": "remove", "path": "/metadata/labels/example.com~1role"}])
    assert "example.com/role" not in out["metadata"]["labels"]
    out = apply_json_patch(pod(), [{"op": "add", "path": "/metadata/labels/a~0b", "value": "t"}])
    assert out["metadata"]["labels"]["a~b"] == "t"


def test_replace_missing_object_key_adds_it_like_upstream() -> None:
    # evanphx/json-patch v4 (the library kube-apiserver uses) does not check that the key exists
    out = apply_json_patch(pod(), [{"op": "replace", "path": "/metadata/labels/new", "value": "v"}])
    assert out["metadata"]["labels"]["new"] == "v"


def test_replace_missing_array_index_fails() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "replace", "path": "/spec/containers/7", "value": {}}])
    assert_unprocessable(ei, "replace operation does not apply: doc is missing key: /spec/containers/7")
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "replace", "path": "/spec/containers/7/image", "value": "v"}])
    assert_unprocessable(
        ei, "replace operation does not apply: doc is missing path: /spec/containers/7/image"
    )


def test_add_under_missing_parent_fails() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "add", "path": "/metadata/annotations/foo", "value": "bar"}])
    assert_unprocessable(ei, 'add operation does not apply: doc is missing path: "/metadata/annotations/foo"')


def test_add_parent_then_child() -> None:
    out = apply_json_patch(
        pod(),
        [
            {"op": "add", "path": "/metadata/annotations", "value": {}},
            {"op": "add", "path": "/metadata/annotations/foo", "value": "bar"},
        ],
    )
    assert out["metadata"]["annotations"] == {"foo": "bar"}


def test_remove_missing_key_fails() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "remove", "path": "/spec/nodeName"}])
    assert_unprocessable(ei, "Unable to remove nonexistent key: nodeName: missing value")


def test_test_op_success_and_failure() -> None:
    ok = apply_json_patch(
        pod(),
        [
            {"op": "test", "path": "/metadata/labels/app", "value": "web"},
            {
                "op": "test",
                "path": "/spec/containers/0",
                "value": {"name": "a", "image": "nginx", "args": ["x", "y"]},
            },
            {"op": "test", "path": "/spec/nodeName", "value": None},
            {"op": "replace", "path": "/metadata/labels/app", "value": "api"},
        ],
    )
    assert ok["metadata"]["labels"]["app"] == "api"
    with pytest.raises(StatusError) as ei:
        apply_json_patch(
            pod(),
            [
                {"op": "test", "path": "/metadata/labels/app", "value": "api"},
                {"op": "replace", "path": "/metadata/labels/app", "value": "x"},
            ],
        )
    assert_unprocessable(ei, "testing value /metadata/labels/app failed: test failed")


def test_test_op_distinguishes_types() -> None:
    obj = {"spec": {"replicas": 1, "paused": True}}
    with pytest.raises(StatusError):
        apply_json_patch(obj, [{"op": "test", "path": "/spec/paused", "value": 1}])
    with pytest.raises(StatusError):
        apply_json_patch(obj, [{"op": "test", "path": "/spec/replicas", "value": True}])
    with pytest.raises(StatusError):
        apply_json_patch(obj, [{"op": "test", "path": "/spec/replicas", "value": "1"}])
    apply_json_patch(obj, [{"op": "test", "path": "/spec/replicas", "value": 1}])


def test_test_whole_document() -> None:
    obj = {"a": 1}
    apply_json_patch(obj, [{"op": "test", "path": "", "value": {"a": 1}}])
    with pytest.raises(StatusError):
        apply_json_patch(obj, [{"op": "test", "path": "", "value": {"a": 2}}])


def test_move_and_copy() -> None:
    out = apply_json_patch(
        pod(),
        [
            {"op": "copy", "from": "/metadata/labels", "path": "/metadata/annotations"},
            {"op": "move", "from": "/spec/containers/1", "path": "/spec/containers/0"},
        ],
    )
    assert out["metadata"]["annotations"] == {"app": "web"}
    out["metadata"]["annotations"]["app"] = "changed"
    assert out["metadata"]["labels"]["app"] == "web"  # copy is deep
    assert [c["name"] for c in out["spec"]["containers"]] == ["b", "a"]


def test_move_from_missing_key_fails() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "move", "from": "/spec/nope", "path": "/spec/x"}])
    assert_unprocessable(ei, "Unable to remove nonexistent key: nope")


def test_unknown_and_missing_op() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "frobnicate", "path": "/spec"}])
    assert_unprocessable(ei, "Unexpected kind: frobnicate")
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"path": "/spec"}])
    assert_unprocessable(ei, "Unexpected kind: unknown")


def test_missing_path() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), [{"op": "add", "value": 1}])
    assert_unprocessable(ei, "add operation failed to decode path: missing value")


def test_failed_patch_leaves_input_untouched() -> None:
    obj = pod()
    before = copy.deepcopy(obj)
    with pytest.raises(StatusError):
        apply_json_patch(
            obj,
            [
                {"op": "replace", "path": "/metadata/labels/app", "value": "x"},
                {"op": "remove", "path": "/does/not/exist"},
            ],
        )
    assert obj == before


def test_not_a_patch_document_is_bad_request() -> None:
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), {"op": "add"})  # type: ignore[arg-type]
    assert ei.value.code == 400
    assert ei.value.reason == "BadRequest"
    assert ei.value.message == "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), ["add"])
    assert ei.value.code == 400
    assert ei.value.message == "json: cannot unmarshal string into Go value of type jsonpatch.Operation"


def test_null_and_empty_patch_are_no_ops() -> None:
    assert apply_json_patch(pod(), []) == pod()
    assert apply_json_patch(pod(), None) == pod()  # type: ignore[arg-type]


def test_too_many_operations() -> None:
    ops = [{"op": "test", "path": "/kind", "value": "Pod"}] * (MAX_JSON_PATCH_OPERATIONS + 1)
    with pytest.raises(StatusError) as ei:
        apply_json_patch(pod(), ops)
    assert ei.value.code == 413
    assert ei.value.message == "The allowed maximum operations in a JSON patch is 10000, got 10001"


def test_added_values_are_not_shared_with_the_patch() -> None:
    value = {"k": "v"}
    out = apply_json_patch(pod(), [{"op": "add", "path": "/metadata/annotations", "value": value}])
    value["k"] = "changed"
    assert out["metadata"]["annotations"] == {"k": "v"}
