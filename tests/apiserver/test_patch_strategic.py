"""Strategic merge patch: behaviours of upstream's strategicpatch (apply side) and what kubectl sends.

The first part follows the cases of k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go,
using a schema equivalent to its ``MergeItem`` test type; the second part patches real kinds
(Deployment, Pod, Service, PodDisruptionBudget) through their OpenAPI schema as kubectl does.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import pytest

from kybernetes.api.errors import StatusError
from kybernetes.api.schema import schema_for
from kybernetes.apiserver.patch.strategic import apply_strategic_merge_patch, create_two_way_merge_patch

# --- a schema equivalent to upstream's MergeItem test struct ---

_STRING: dict[str, Any] = {"type": "string"}
_INT: dict[str, Any] = {"type": "integer"}


def _merge_item_schema() -> dict[str, Any]:
    item: dict[str, Any] = {"type": "object", "properties": {}}
    retain_item: dict[str, Any] = {"type": "object", "properties": {}}
    merging_list = {
        "type": "array",
        "items": item,
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-patch-merge-key": "name",
    }
    item["properties"].update(
        {
            "name": _STRING,
            "value": _STRING,
            "other": _STRING,
            "mergingList": merging_list,
            "nonMergingList": {"type": "array", "items": item},
            "mergingIntList": {"type": "array", "items": _INT, "x-kubernetes-patch-strategy": "merge"},
            "nonMergingIntList": {"type": "array", "items": _INT},
            "simpleMap": {"type": "object", "additionalProperties": _STRING},
            "replacingItem": {"type": "object", "x-kubernetes-patch-strategy": "replace"},
            "retainKeysMap": {**retain_item, "x-kubernetes-patch-strategy": "retainKeys"},
            "retainKeysMergingList": {
                "type": "array",
                "items": item,
                "x-kubernetes-patch-strategy": "merge,retainKeys",
                "x-kubernetes-patch-merge-key": "name",
            },
        }
    )
    retain_item["properties"].update(
        {
            "name": _STRING,
            "value": _STRING,
            "other": _STRING,
            "simpleMap": {"type": "object", "additionalProperties": _STRING},
            "mergingIntList": {"type": "array", "items": _INT, "x-kubernetes-patch-strategy": "merge"},
            "mergingList": merging_list,
            "nonMergingList": {"type": "array", "items": item},
        }
    )
    return item


MERGE_ITEM = _merge_item_schema()


def smp(
    original: dict[str, Any], patch: dict[str, Any], schema: dict[str, Any] | None = MERGE_ITEM
) -> dict[str, Any]:
    before_original = copy.deepcopy(original)
    before_patch = copy.deepcopy(patch)
    out = apply_strategic_merge_patch(original, patch, schema)
    assert original == before_original, "the current object must not be modified"
    assert patch == before_patch, "the patch must not be modified"
    return out


def items(*names: Any, **fields: Any) -> list[dict[str, Any]]:
    return [{"name": n, **fields} for n in names]


# --- maps ---


def test_add_field_to_map() -> None:
    assert smp({"name": "1", "other": "a"}, {"value": "1"}) == {"name": "1", "value": "1", "other": "a"}


def test_empty_and_null_patch() -> None:
    assert smp({"name": "1"}, {}) == {"name": "1"}
    assert apply_strategic_merge_patch({"name": "1"}, None, MERGE_ITEM) == {"name": "1"}  # type: ignore[arg-type]


def test_null_deletes_and_unmatched_null_is_ignored() -> None:
    assert smp({"name": "1", "value": "1", "other": "a"}, {"name": None, "value": None}) == {"other": "a"}
    assert smp({"name": "a", "other": "a"}, {"name": "1", "value": "1", "other": None}) == {
        "name": "1",
        "value": "1",
    }
    assert smp({"name": "2"}, {"name": "1", "value": "1", "other": None}) == {"name": "1", "value": "1"}


def test_delete_field_from_nested_map() -> None:
    out = smp({"simpleMap": {"key1": "1", "key2": "1", "other": "a"}}, {"simpleMap": {"key2": None}})
    assert out == {"simpleMap": {"key1": "1", "other": "a"}}


def test_patch_delete_directive_empties_nested_map() -> None:
    assert smp({"simpleMap": {"key1": "1", "key2": "1"}}, {"simpleMap": {"$patch": "delete"}}) == {
        "simpleMap": {}
    }


def test_patch_replace_directive_on_map() -> None:
    assert smp({"name": "1", "value": "1"}, {"$patch": "replace"}) == {}
    assert smp({"name": "1", "value": "1"}, {"other": "a", "$patch": "replace"}) == {"other": "a"}
    out = smp({"simpleMap": {"a": "1", "b": "2"}}, {"simpleMap": {"$patch": "replace", "c": "3"}})
    assert out == {"simpleMap": {"c": "3"}}


def test_replace_strategy_on_map_field() -> None:
    out = smp({"replacingItem": {"a": 1, "b": {"c": 1}}}, {"replacingItem": {"b": {"d": 2}}})
    assert out == {"replacingItem": {"b": {"d": 2}}}


def test_nulls_in_new_values_are_dropped() -> None:
    out = smp(
        {"name": "1"}, {"simpleMap": {"a": "1", "b": None}, "mergingList": [{"name": "x", "value": None}]}
    )
    assert out == {"name": "1", "simpleMap": {"a": "1"}, "mergingList": [{"name": "x"}]}


def test_directives_in_new_values_are_removed() -> None:
    # upstream removeDirectives (kubernetes#117568): taking a patch value for an absent field
    out = smp(
        {"name": "1"},
        {
            "mergingList": [{"name": "a"}, {"name": "b", "$patch": "delete"}],
            "simpleMap": {"$patch": "replace", "a": "1"},
        },
    )
    assert out == {"name": "1", "mergingList": [{"name": "a"}]}


def test_type_change_takes_patch_value() -> None:
    assert smp({"simpleMap": "scalar"}, {"simpleMap": {"a": "1", "b": None}}) == {"simpleMap": {"a": "1"}}
    assert smp({"name": {"x": 1}}, {"name": "s"}) == {"name": "s"}


# --- lists of primitives ---


def test_replace_list_of_scalars() -> None:
    assert smp({"nonMergingIntList": [1, 4]}, {"nonMergingIntList": [2, 3]}) == {"nonMergingIntList": [2, 3]}


def test_merging_int_list_is_unioned_with_unique_values() -> None:
    assert smp({"mergingIntList": [1, 2]}, {"mergingIntList": [2, 3]}) == {"mergingIntList": [1, 2, 3]}


def test_merging_int_list_follows_patch_order() -> None:
    assert smp({"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1, 2]}) == {"mergingIntList": [3, 1, 2]}
    assert smp({"mergingIntList": [1, 2, 3]}, {"mergingIntList": [3, 1]}) == {"mergingIntList": [2, 3, 1]}


def test_delete_from_primitive_list() -> None:
    patch = {"$setElementOrder/mergingIntList": [1, 2], "$deleteFromPrimitiveList/mergingIntList": [3]}
    assert smp({"mergingIntList": [1, 2, 3, 4]}, patch) == {"mergingIntList": [1, 2, 4]}
    assert smp({"mergingIntList": [1, 2, 3, 3, 4]}, patch) == {"mergingIntList": [1, 2, 4]}


def test_add_and_delete_in_primitive_list() -> None:
    patch = {
        "$setElementOrder/mergingIntList": [1, 2, 4],
        "$deleteFromPrimitiveList/mergingIntList": [3],
        "mergingIntList": [4],
    }
    assert smp({"mergingIntList": [1, 2, 3]}, patch) == {"mergingIntList": [1, 2, 4]}


def test_delete_from_primitive_list_ignores_patch_strategy() -> None:
    # kubernetes#110472: the deletion list deletes even on a list without merge strategy
    out = smp({"nonMergingIntList": [1, 2, 3]}, {"$deleteFromPrimitiveList/nonMergingIntList": [2]})
    assert out == {"nonMergingIntList": [1, 3]}


def test_delete_from_primitive_list_for_absent_field_is_ignored() -> None:
    assert smp({"name": "1"}, {"$deleteFromPrimitiveList/mergingIntList": [2]}) == {"name": "1"}


def test_set_element_order_with_values_absent_from_list() -> None:
    assert smp({"mergingIntList": [1, 3]}, {"$setElementOrder/mergingIntList": [3, 2, 1]}) == {
        "mergingIntList": [3, 1]
    }


def test_set_element_order_mismatch_int_list() -> None:
    with pytest.raises(StatusError) as ei:
        smp(
            {"mergingIntList": [1, 3, 2]},
            {"$setElementOrder/mergingIntList": [1, 2, 3], "mergingIntList": [3, 1]},
        )
    assert ei.value.code == 400
    assert "doesn't match" in ei.value.message


# --- lists of maps ---


def test_merge_lists_of_maps_with_set_element_order() -> None:
    current = {"mergingList": [{"name": "1", "other": "a"}, {"name": "2", "value": "2", "other": "b"}]}
    patch = {
        "$setElementOrder/mergingList": [{"name": "4"}, {"name": "1"}, {"name": "2"}, {"name": "3"}],
        "mergingList": [{"name": "4", "value": "4"}, {"name": "3", "value": "3"}],
    }
    assert smp(current, patch) == {
        "mergingList": [
            {"name": "4", "value": "4"},
            {"name": "1", "other": "a"},
            {"name": "2", "value": "2", "other": "b"},
            {"name": "3", "value": "3"},
        ]
    }


def test_add_field_to_map_in_merging_list() -> None:
    current = {"mergingList": [{"name": "1", "other": "a"}, {"name": "2", "value": "2", "other": "b"}]}
    patch = {
        "$setElementOrder/mergingList": [{"name": "1"}, {"name": "2"}],
        "mergingList": [{"name": "1", "value": "1"}],
    }
    assert smp(current, patch) == {
        "mergingList": [{"name": "1", "value": "1", "other": "a"}, {"name": "2", "value": "2", "other": "b"}]
    }


def test_merging_list_preserves_patch_order() -> None:
    original = {"mergingList": [{"name": "1"}, {"name": "2", "value": "b"}, {"name": "3"}]}
    out = smp(
        original,
        {
            "mergingList": [
                {"name": "3", "value": "c"},
                {"name": "1", "value": "a"},
                {"name": "2", "other": "x"},
            ]
        },
    )
    assert out == {
        "mergingList": [
            {"name": "3", "value": "c"},
            {"name": "1", "value": "a"},
            {"name": "2", "value": "b", "other": "x"},
        ]
    }
    out = smp(original, {"mergingList": [{"name": "3", "value": "c"}, {"name": "1", "value": "a"}]})
    assert out == {
        "mergingList": [{"name": "2", "value": "b"}, {"name": "3", "value": "c"}, {"name": "1", "value": "a"}]
    }


def test_new_element_without_set_element_order_goes_first() -> None:
    # upstream's mergeSortedSlice puts patch items unknown to the server before server-only items
    out = smp({"mergingList": items("a", "b")}, {"mergingList": [{"name": "c", "value": "x"}]})
    assert [i["name"] for i in out["mergingList"]] == ["c", "a", "b"]


def test_delete_elements_from_merging_list() -> None:
    original = {"mergingList": [{"name": "1", "other": "a"}, {"name": "2", "other": "b"}]}
    patch = {"mergingList": [{"name": "1", "$patch": "delete"}, {"name": "2", "$patch": "delete"}]}
    assert smp(original, patch) == {"mergingList": []}
    assert smp({"mergingList": []}, patch) == {"mergingList": []}


def test_delete_removes_all_duplicates() -> None:
    original = {
        "mergingList": [
            {"name": "1"},
            {"name": "1"},
            {"name": "2", "value": "a"},
            {"name": "3"},
            {"name": "3"},
        ]
    }
    patch = {"mergingList": [{"name": "1", "$patch": "delete"}, {"name": "3", "$patch": "delete"}]}
    assert smp(original, patch) == {"mergingList": [{"name": "2", "value": "a"}]}


def test_replace_directive_in_merging_list() -> None:
    original = {"mergingList": items("1", "2")}
    assert smp(original, {"mergingList": [{"$patch": "replace"}]}) == {"mergingList": []}
    out = smp(original, {"mergingList": [{"name": "3", "value": None}, {"$patch": "replace"}]})
    assert out == {"mergingList": [{"name": "3"}]}


def test_merge_empty_merging_lists() -> None:
    assert smp({"mergingList": []}, {"mergingList": []}) == {"mergingList": []}


def test_non_merging_list_of_maps_is_replaced() -> None:
    out = smp({"nonMergingList": items("1", "2")}, {"nonMergingList": [{"name": "1", "value": "x"}]})
    assert out == {"nonMergingList": [{"name": "1", "value": "x"}]}


def test_nested_merging_lists() -> None:
    original = {"mergingList": [{"name": "a", "mergingList": items("x", "y"), "nonMergingList": items("p")}]}
    patch = {
        "mergingList": [
            {"name": "a", "mergingList": [{"name": "y", "value": "1"}], "nonMergingList": items("q")}
        ]
    }
    assert smp(original, patch) == {
        "mergingList": [
            {
                "name": "a",
                "mergingList": [{"name": "x"}, {"name": "y", "value": "1"}],
                "nonMergingList": items("q"),
            }
        ]
    }


def test_set_element_order_with_item_absent_from_list() -> None:
    original = {"mergingList": items("1", "3")}
    patch = {
        "$setElementOrder/mergingList": [{"name": "3"}, {"name": "2"}, {"name": "1"}],
        "mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}],
    }
    assert smp(original, patch) == {"mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}]}


def test_set_element_order_reorders_without_changes() -> None:
    original = {"mergingList": [{"name": "1", "value": "a"}, {"name": "2"}, {"name": "3"}]}
    patch = {"$setElementOrder/mergingList": [{"name": "3"}, {"name": "1"}, {"name": "2"}]}
    assert [i["name"] for i in smp(original, patch)["mergingList"]] == ["3", "1", "2"]


def test_set_element_order_for_absent_list_adds_patch_list() -> None:
    patch = {
        "$setElementOrder/mergingList": [{"name": "c"}, {"name": "a"}, {"name": "b"}],
        "mergingList": [{"name": "a", "value": "1"}, {"name": "x", "$patch": "delete"}, {"name": "b"}],
    }
    assert smp({}, patch) == {"mergingList": [{"name": "a", "value": "1"}, {"name": "b"}]}


def test_set_element_order_mismatch() -> None:
    with pytest.raises(StatusError) as ei:
        smp(
            {"mergingList": items("1", "3", "2")},
            {
                "$setElementOrder/mergingList": [{"name": "1"}, {"name": "2"}, {"name": "3"}],
                "mergingList": [{"name": "3", "value": "3"}, {"name": "1", "value": "1"}],
            },
        )
    assert ei.value.code == 400
    assert "doesn't match $setElementOrder list" in ei.value.message


def test_missing_merge_key() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"mergingList": [{"name": "1", "value": "a"}]}, {"mergingList": [{"value": "b"}]})
    assert ei.value.code == 400
    assert ei.value.message == "map: map[value:b] does not contain declared merge key: name"


# --- retainKeys ---


def test_retain_keys_map_without_directive_merges() -> None:
    assert smp({"retainKeysMap": {"name": "foo"}}, {"retainKeysMap": {"value": "bar"}}) == {
        "retainKeysMap": {"name": "foo", "value": "bar"}
    }
    assert smp({"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {"value": None}}) == {
        "retainKeysMap": {"name": "foo"}
    }
    assert smp({"retainKeysMap": {"name": "foo", "value": "a"}}, {"retainKeysMap": {}}) == {
        "retainKeysMap": {"name": "foo", "value": "a"}
    }


def test_retain_keys_directive_clears_other_fields() -> None:
    out = smp(
        {"retainKeysMap": {"name": "foo", "value": "a", "simpleMap": {"k": "v"}}},
        {"retainKeysMap": {"$retainKeys": ["name", "other"], "other": "b"}},
    )
    assert out == {"retainKeysMap": {"name": "foo", "other": "b"}}


def test_retain_keys_in_merging_list_element() -> None:
    out = smp(
        {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "a", "other": "o"}]},
        {"retainKeysMergingList": [{"name": "foo", "$retainKeys": ["name", "value"], "value": "b"}]},
    )
    assert out == {"retainKeysMergingList": [{"name": "bar"}, {"name": "foo", "value": "b"}]}


def test_retain_keys_must_list_every_patched_field() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"retainKeysMap": {"name": "foo"}}, {"retainKeysMap": {"$retainKeys": ["name"], "value": "x"}})
    assert ei.value.code == 400
    assert ei.value.message == "invalid patch format of retainKeys"


def test_retain_keys_must_be_a_list() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"retainKeysMap": {"name": "foo"}}, {"retainKeysMap": {"$retainKeys": "name"}})
    assert ei.value.code == 400
    assert ei.value.message == "invalid patch format of retainKeys"


# --- errors ---


def test_unknown_patch_directive_in_map() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"simpleMap": {"a": "1"}}, {"simpleMap": {"$patch": "frobnicate"}})
    assert ei.value.code == 400
    assert ei.value.message == "unknown patch type: frobnicate in map: map[$patch:frobnicate]"
    with pytest.raises(StatusError):
        smp({"simpleMap": {"a": "1"}}, {"simpleMap": {"$patch": "merge"}})


def test_merge_directive_in_list_is_not_supported() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"mergingList": items("1")}, {"mergingList": [{"$patch": "merge"}]})
    assert ei.value.message == "merging lists cannot yet be specified in the patch"
    with pytest.raises(StatusError) as ei:
        smp({"mergingList": items("1")}, {"mergingList": [{"name": "1", "$patch": "bogus"}]})
    assert ei.value.message.startswith("unknown patch type: bogus in map:")


def test_lists_of_lists_are_unprocessable() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"mergingIntList": [[1]]}, {"mergingIntList": [[2]]})
    assert ei.value.code == 422
    assert ei.value.reason == "Invalid"
    assert ei.value.message == "the server rejected our request due to an error in our request"


def test_mixed_element_types() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"mergingIntList": [1, 2]}, {"mergingIntList": ["x"]})
    assert ei.value.code == 400
    assert ei.value.message.startswith("list element types are not identical")


def test_bad_directive_key_format() -> None:
    with pytest.raises(StatusError) as ei:
        smp({"mergingIntList": [1]}, {"$deleteFromPrimitiveListmergingIntList": [1]})
    assert ei.value.code == 400
    assert ei.value.message == "invalid patch format of primitive list"
    with pytest.raises(StatusError) as ei:
        smp({"mergingIntList": [1]}, {"$setElementOrdermergingIntList": [1]})
    assert ei.value.message == "invalid patch format of setElementOrder list"


def test_patch_must_be_an_object() -> None:
    with pytest.raises(StatusError) as ei:
        apply_strategic_merge_patch({}, [1], MERGE_ITEM)  # type: ignore[arg-type]
    assert ei.value.code == 400
    assert ei.value.message == "json: cannot unmarshal array into Go value of type map[string]interface {}"


def test_without_schema_maps_merge_and_lists_are_replaced() -> None:
    original = {"spec": {"a": 1, "list": [{"name": "x", "v": 1}], "m": {"k": "v"}}}
    out = smp(original, {"spec": {"b": 2, "list": [{"name": "y"}], "m": {"k2": "v2"}}}, None)
    assert out == {"spec": {"a": 1, "b": 2, "list": [{"name": "y"}], "m": {"k": "v", "k2": "v2"}}}


# --- real kinds, as kubectl patches them ---

DEPLOYMENT_SCHEMA = schema_for("apps", "v1", "Deployment")
POD_SCHEMA = schema_for("", "v1", "Pod")


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "labels": {"app": "web"},
            "annotations": {"deployment.kubernetes.io/revision": "1"},
            "resourceVersion": "42",
            "uid": "8f0d4b0e-0000-4000-8000-000000000001",
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.25",
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                            "resources": {"limits": {"cpu": "500m"}},
                        },
                        {"name": "sidecar", "image": "busybox", "args": ["sleep", "3600"]},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                    "restartPolicy": "Always",
                },
            },
        },
    }


def dsmp(patch: dict[str, Any], obj: dict[str, Any] | None = None) -> dict[str, Any]:
    return smp(obj if obj is not None else deployment(), patch, DEPLOYMENT_SCHEMA)


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def test_schemas_are_available() -> None:
    assert DEPLOYMENT_SCHEMA is not None
    assert POD_SCHEMA is not None


def test_kubectl_label_and_annotate() -> None:
    out = dsmp({"metadata": {"labels": {"tier": "fe"}}})
    assert out["metadata"]["labels"] == {"app": "web", "tier": "fe"}
    out = dsmp({"metadata": {"labels": {"app": None}}})
    assert out["metadata"]["labels"] == {}
    out = dsmp({"metadata": {"annotations": {"note": "x", "deployment.kubernetes.io/revision": None}}})
    assert out["metadata"]["annotations"] == {"note": "x"}
    assert out["spec"] == deployment()["spec"]


def test_kubectl_set_image() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "containers": [{"image": "nginx:1.26", "name": "nginx"}],
                }
            }
        }
    }
    out = dsmp(patch)
    expected = deployment()
    containers(expected)[0]["image"] = "nginx:1.26"
    assert out == expected


def test_kubectl_rollout_restart() -> None:
    patch = {
        "spec": {
            "template": {
                "metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"}}
            }
        }
    }
    out = dsmp(patch)
    assert out["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "2024-01-01T00:00:00Z"},
    }


def test_kubectl_apply_adds_container_in_order() -> None:
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "nginx"},
                        {"name": "sidecar"},
                        {"name": "logger"},
                    ],
                    "containers": [{"name": "logger", "image": "fluentbit"}],
                }
            }
        },
    }
    out = dsmp(patch)
    assert [c["name"] for c in containers(out)] == ["nginx", "sidecar", "logger"]
    assert containers(out)[2] == {"name": "logger", "image": "fluentbit"}
    assert out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] == "{}"


def test_kubectl_apply_removes_container() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"$patch": "delete", "name": "sidecar"}],
                }
            }
        }
    }
    out = dsmp(patch)
    assert [c["name"] for c in containers(out)] == ["nginx"]
    assert containers(out)[0] == containers(deployment())[0]


def test_kubectl_patch_deletes_container() -> None:
    out = dsmp({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "$patch": "delete"}]}}}})
    assert [c["name"] for c in containers(out)] == ["sidecar"]


def test_kubectl_patch_adds_container_first() -> None:
    out = dsmp({"spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}}})
    assert [c["name"] for c in containers(out)] == ["debug", "nginx", "sidecar"]


def test_env_merges_by_name() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                            "env": [{"name": "C", "value": "3"}, {"name": "B", "$patch": "delete"}],
                        }
                    ]
                }
            }
        }
    }
    out = dsmp(patch)
    assert containers(out)[0]["env"] == [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    assert "$setElementOrder/env" not in containers(out)[0]


def test_env_value_from_replaces_value() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "env": [
                                {
                                    "name": "A",
                                    "value": None,
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                }
                            ],
                        }
                    ]
                }
            }
        }
    }
    env = containers(dsmp(patch))[0]["env"]
    assert env[0] == {"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}
    assert env[1] == {"name": "B", "value": "2"}


def test_ports_merge_by_container_port() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "ports": [
                                {"containerPort": 443, "name": "https"},
                                {"containerPort": 80, "name": "http"},
                            ],
                        }
                    ]
                }
            }
        }
    }
    ports = containers(dsmp(patch))[0]["ports"]
    assert ports == [
        {"containerPort": 443, "name": "https"},
        {"containerPort": 80, "protocol": "TCP", "name": "http"},
    ]


def test_args_are_replaced() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "sidecar", "args": ["sleep", "10"]}]}}}}
    assert containers(dsmp(patch))[1]["args"] == ["sleep", "10"]


def test_resources_merge_as_maps() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "nginx", "resources": {"requests": {"cpu": "100m"}}}]}
            }
        }
    }
    assert containers(dsmp(patch))[0]["resources"] == {"limits": {"cpu": "500m"}, "requests": {"cpu": "100m"}}


def test_tolerations_are_replaced() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"tolerations": [{"key": "b", "operator": "Exists", "effect": "NoSchedule"}]}
            }
        }
    }
    assert dsmp(patch)["spec"]["template"]["spec"]["tolerations"] == [
        {"key": "b", "operator": "Exists", "effect": "NoSchedule"}
    ]


def test_strategy_switch_to_recreate_with_retain_keys() -> None:
    # kubectl apply of `strategy: {type: Recreate}` over a RollingUpdate deployment
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}}
    assert dsmp(patch)["spec"]["strategy"] == {"type": "Recreate"}
    # without the directive the old field stays (what an old client would get)
    assert dsmp({"spec": {"strategy": {"type": "Recreate"}}})["spec"]["strategy"] == {
        "type": "Recreate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }


def test_volume_source_switch_with_retain_keys() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "volumes": [
                        {"name": "data", "$retainKeys": ["configMap", "name"], "configMap": {"name": "cfg"}}
                    ],
                }
            }
        }
    }
    assert dsmp(patch)["spec"]["template"]["spec"]["volumes"] == [
        {"name": "data", "configMap": {"name": "cfg"}}
    ]


def test_volume_mounts_merge_by_mount_path() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "volumeMounts": [{"mountPath": "/data", "readOnly": True, "name": "data"}],
                        }
                    ]
                }
            }
        }
    }
    assert containers(dsmp(patch))[0]["volumeMounts"] == [
        {"name": "data", "mountPath": "/data", "readOnly": True}
    ]


def test_replace_containers_with_directive() -> None:
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}}
        }
    }
    assert containers(dsmp(patch)) == [{"name": "only", "image": "x"}]


def test_scale_via_strategic_patch() -> None:
    out = dsmp({"spec": {"replicas": 5}})
    assert out["spec"]["replicas"] == 5


def test_match_labels_map_merges() -> None:
    out = dsmp({"spec": {"selector": {"matchLabels": {"extra": "x"}}}})
    assert out["spec"]["selector"]["matchLabels"] == {"app": "web", "extra": "x"}


def test_finalizers_merge_and_delete() -> None:
    obj = deployment()
    obj["metadata"]["finalizers"] = ["a.example.com/x", "b.example.com/y"]
    out = dsmp(
        {
            "metadata": {
                "$setElementOrder/finalizers": ["a.example.com/x", "c.example.com/z"],
                "$deleteFromPrimitiveList/finalizers": ["b.example.com/y"],
                "finalizers": ["c.example.com/z"],
            }
        },
        obj,
    )
    assert out["metadata"]["finalizers"] == ["a.example.com/x", "c.example.com/z"]
    out = dsmp({"metadata": {"finalizers": ["b.example.com/y", "c.example.com/z"]}}, obj)
    assert out["metadata"]["finalizers"] == ["a.example.com/x", "b.example.com/y", "c.example.com/z"]


def test_owner_references_merge_by_uid() -> None:
    obj = deployment()
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u1"}]
    out = dsmp(
        {"metadata": {"ownerReferences": [{"apiVersion": "v1", "kind": "Y", "name": "y", "uid": "u2"}]}}, obj
    )
    assert [o["uid"] for o in out["metadata"]["ownerReferences"]] == ["u2", "u1"]
    out = dsmp({"metadata": {"ownerReferences": [{"uid": "u1", "$patch": "delete"}]}}, obj)
    assert out["metadata"]["ownerReferences"] == []


def test_pod_patches() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "b"}},
        "spec": {
            "containers": [{"name": "c", "image": "nginx"}],
            "initContainers": [{"name": "init", "image": "busybox"}],
            "nodeSelector": {"disk": "ssd"},
        },
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }
    out = smp(
        pod,
        {
            "spec": {
                "containers": [{"name": "c", "image": "nginx:2"}],
                "initContainers": [{"name": "init", "$patch": "delete"}],
                "nodeSelector": {"zone": "a"},
            }
        },
        POD_SCHEMA,
    )
    assert out["spec"] == {
        "containers": [{"name": "c", "image": "nginx:2"}],
        "initContainers": [],
        "nodeSelector": {"disk": "ssd", "zone": "a"},
    }
    # status conditions are merged by type (what the kubelet's status patches rely on)
    out = smp(pod, {"status": {"conditions": [{"type": "PodScheduled", "status": "True"}]}}, POD_SCHEMA)
    assert [c["type"] for c in out["status"]["conditions"]] == ["PodScheduled", "Ready"]


def test_service_ports_merge_by_port() -> None:
    svc = {"spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}], "selector": {"app": "x"}}}
    out = smp(svc, {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}, schema_for("", "v1", "Service"))
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 9090, "protocol": "TCP"}]


def test_pdb_selector_is_replaced() -> None:
    pdb = {"spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "x"}}}}
    out = smp(
        pdb,
        {"spec": {"selector": {"matchLabels": {"app": "y"}}}},
        schema_for("policy", "v1", "PodDisruptionBudget"),
    )
    assert out["spec"]["selector"] == {"matchLabels": {"app": "y"}}
    out = smp(
        pdb,
        {"spec": {"selector": {"matchExpressions": []}}},
        schema_for("policy", "v1", "PodDisruptionBudget"),
    )
    assert out["spec"]["selector"] == {"matchExpressions": []}


def test_unknown_fields_merge_as_maps() -> None:
    out = dsmp({"spec": {"unknownField": {"a": [1]}, "template": {"spec": {"extra": [1, 2]}}}})
    assert out["spec"]["unknownField"] == {"a": [1]}
    assert out["spec"]["template"]["spec"]["extra"] == [1, 2]


# --- two-way patches (what kubectl computes) round-trip through the server side ---


def test_two_way_patch_round_trip() -> None:
    original = deployment()
    modified = deployment()
    modified["metadata"]["labels"]["tier"] = "fe"
    del modified["metadata"]["annotations"]
    containers(modified)[0]["image"] = "nginx:1.26"
    containers(modified)[0]["env"] = [{"name": "B", "value": "2"}, {"name": "C", "value": "3"}]
    containers(modified).reverse()
    modified["spec"]["strategy"] = {"type": "Recreate"}
    modified["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "configMap": {"name": "cfg"}}]
    modified["metadata"]["finalizers"] = ["x"]
    original["metadata"]["finalizers"] = ["y", "x"]
    patch = create_two_way_merge_patch(original, modified, DEPLOYMENT_SCHEMA)
    assert patch["spec"]["strategy"]["$retainKeys"] == ["type"]
    assert patch["metadata"]["$deleteFromPrimitiveList/finalizers"] == ["y"]
    assert patch["spec"]["template"]["spec"]["$setElementOrder/containers"] == [
        {"name": "sidecar"},
        {"name": "nginx"},
    ]
    assert smp(original, patch, DEPLOYMENT_SCHEMA) == modified


def test_two_way_patch_of_equal_objects_is_empty() -> None:
    assert create_two_way_merge_patch(deployment(), deployment(), DEPLOYMENT_SCHEMA) == {}


def test_performance_well_under_a_millisecond() -> None:
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.26",
                            "$setElementOrder/env": [{"name": "A"}, {"name": "B"}],
                            "env": [{"name": "A", "value": "9"}],
                        }
                    ],
                }
            },
        },
    }
    obj = deployment()
    apply_strategic_merge_patch(obj, patch, DEPLOYMENT_SCHEMA)
    n = 200
    start = time.perf_counter()
    for _ in range(n):
        apply_strategic_merge_patch(obj, patch, DEPLOYMENT_SCHEMA)
    per_op = (time.perf_counter() - start) / n
    assert per_op < 0.001, f"{per_op * 1e6:.0f} µs per patch"
