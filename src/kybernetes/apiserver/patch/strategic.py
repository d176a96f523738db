"""Strategic merge patch (``application/strategic-merge-patch+json``), the server half.

A port of the apply side of ``k8s.io/apimachinery/pkg/util/strategicpatch``
(``StrategicMergeMapPatch`` with ``MergeParallelList`` and ``IgnoreUnmatchedNulls``), driven by
the OpenAPI schema of the object's kind instead of Go struct tags:

* maps merge recursively; ``null`` deletes a key;
* a list field whose ``x-kubernetes-patch-strategy`` is ``merge`` merges element-wise by
  ``x-kubernetes-patch-merge-key`` (lists of maps) or is unioned (lists of primitives); every
  other list is replaced; a map field with strategy ``replace`` is replaced;
* directives: ``$patch: replace|delete`` in a map, ``$patch: delete|replace`` elements in a
  merging list, ``$retainKeys``, ``$setElementOrder/<field>``, ``$deleteFromPrimitiveList/<field>``;
* the order of a merged list follows upstream exactly: ``$setElementOrder`` first, then the order
  of the patch, then the order of the live list (so, as upstream, elements a patch adds without
  ``$setElementOrder`` come before the server-only ones).

Where the schema does not describe a field (``schema=None``, unknown fields) maps still merge
and lists are replaced, as with fields that carry no patch metadata upstream.

Errors are translated as ``interpretStrategicMergePatchError`` does: malformed directives are
400 BadRequest with the upstream message, lists of lists and retainKeys mismatches are 422
Invalid (generic message); the other failures of the library (missing merge key, unknown
``$patch`` value, mixed element types) carry the upstream message with code 400 — upstream
returns them as 500 InternalError, which this project does not return for bad input.
"""

from __future__ import annotations

from typing import Any, Final

from kybernetes.api import schema as apischema
from kybernetes.api.errors import StatusError, bad_request
from kybernetes.apiserver.patch._common import (
    PatchApplyError,
    copy_json,
    go_format,
    go_type_name,
    json_equal,
    json_kind,
    unprocessable,
)

__all__ = [
    "DELETE_FROM_PRIMITIVE_LIST_PREFIX",
    "DIRECTIVE_MARKER",
    "RETAIN_KEYS_DIRECTIVE",
    "SET_ELEMENT_ORDER_PREFIX",
    "apply_strategic_merge_patch",
    "create_two_way_merge_patch",
]

Schema = dict[str, Any]

DIRECTIVE_MARKER: Final = "$patch"
_DELETE: Final = "delete"
_REPLACE: Final = "replace"
_MERGE: Final = "merge"
_RETAIN_KEYS_STRATEGY: Final = "retainKeys"
DELETE_FROM_PRIMITIVE_LIST_PREFIX: Final = "$deleteFromPrimitiveList"
RETAIN_KEYS_DIRECTIVE: Final = "$retainKeys"
SET_ELEMENT_ORDER_PREFIX: Final = "$setElementOrder"

# mergepatch sentinel errors (their text is the message upstream returns)
ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST: Final = "invalid patch format of primitive list"
ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS: Final = "invalid patch format of retainKeys"
ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST: Final = "invalid patch format of setElementOrder list"
ERR_NO_LIST_OF_LISTS: Final = "lists of lists are not supported"
ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS: Final = "patch content doesn't match retainKeys list"

_BAD_REQUEST_ERRORS: Final = frozenset(
    {
        ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST,
        ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS,
        ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST,
    }
)
_UNPROCESSABLE_ERRORS: Final = frozenset({ERR_NO_LIST_OF_LISTS, ERR_PATCH_CONTENT_NOT_MATCH_RETAIN_KEYS})


class _SMPError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def status_error(self) -> StatusError:
        if self.message in _UNPROCESSABLE_ERRORS:
            return unprocessable(self.message)
        err = bad_request(self.message)
        err.__cause__ = PatchApplyError(self.message)
        return err


def _err_bad_arg_type(expected: str, actual: Any) -> _SMPError:
    return _SMPError(f"expected a {expected}, but received a {go_type_name(actual)}")


def _err_no_merge_key(m: dict[str, Any], key: str) -> _SMPError:
    return _SMPError(f"map: {go_format(m)} does not contain declared merge key: {key}")


def _err_bad_patch_type(t: Any, m: dict[str, Any]) -> _SMPError:
    return _SMPError(f"unknown patch type: {go_format(t)} in map: {go_format(m)}")


_MAP = "map[string]interface {}"
_SLICE = "[]interface {}"


# --- schema lookups (LookupPatchMeta) ---


def _patch_strategy(prop: Schema) -> str:
    """The strategy other than retainKeys (extractRetainKeysPatchStrategy)."""
    raw = prop.get("x-kubernetes-patch-strategy")
    if not raw:
        return ""
    parts = str(raw).split(",")
    if len(parts) == 1:
        return "" if parts[0] == _RETAIN_KEYS_STRATEGY else parts[0]
    if len(parts) == 2:
        if parts[0] == _RETAIN_KEYS_STRATEGY:
            return parts[1]
        if parts[1] == _RETAIN_KEYS_STRATEGY:
            return parts[0]
    raise _SMPError(f"unexpected patch strategy: [{' '.join(parts)}]")


def _lookup(node: Schema | None, key: str) -> tuple[Schema | None, str, str]:
    """(the field's schema, its patch strategy, its merge key)."""
    if node is None:
        return None, "", ""
    prop = apischema.property_schema(node, key)
    if prop is None:
        return None, "", ""
    merge_key = prop.get("x-kubernetes-patch-merge-key") or ""
    return prop, _patch_strategy(prop), str(merge_key)


def _lookup_struct(node: Schema | None, key: str) -> tuple[Schema | None, str]:
    prop, strategy, _ = _lookup(node, key)
    return prop, strategy


def _lookup_slice(node: Schema | None, key: str) -> tuple[Schema | None, str, str]:
    prop, strategy, merge_key = _lookup(node, key)
    return (apischema.items_schema(prop) if prop is not None else None), strategy, merge_key


# --- value helpers ---


class _Unhashable:
    """A lookup key that never equals anything (Go would panic comparing such values)."""

    __slots__ = ()


def _hkey(value: Any) -> Any:
    """A hashable key with Go interface{} equality: same dynamic type and same value."""
    if isinstance(value, dict | list):
        return _Unhashable()
    return (type(value), value)


def _eq(a: Any, b: Any) -> bool:
    return type(a) is type(b) and bool(a == b)


def _is_directive_key(key: str) -> bool:
    return key.startswith("$") and (
        key == DIRECTIVE_MARKER
        or key == RETAIN_KEYS_DIRECTIVE
        or key.startswith(SET_ELEMENT_ORDER_PREFIX)
        or key.startswith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
    )


def _take(value: Any, drop_marked: bool = True) -> tuple[Any, bool]:
    """The value to store when a patch value is taken as is.

    Upstream ``discardNullValuesFromPatch`` + ``removeDirectives``: null members are dropped and
    maps carrying ``$patch`` are dropped (``drop_marked``); other directive keys, which upstream
    loses when it decodes into the typed object, are stripped here.
    """
    if isinstance(value, dict):
        if drop_marked and DIRECTIVE_MARKER in value:
            return None, False
        out: dict[str, Any] = {}
        for k, v in value.items():
            if v is None or _is_directive_key(k):
                continue
            nv, keep = _take(v, drop_marked)
            if keep:
                out[k] = nv
        return out, True
    if isinstance(value, list):
        items: list[Any] = []
        for v in value:
            nv, keep = _take(v, drop_marked)
            if keep:
                items.append(nv)
        return items, True
    return value, True


def _clean(value: Any) -> Any:
    """A patch value taken verbatim by upstream, as its typed decoding would leave it."""
    return _take(value, drop_marked=False)[0]


def _extract_key(s: str, prefix: str) -> str:
    parts = s.split("/", 1)
    if len(parts) <= 1 or parts[0] != prefix:
        if prefix == DELETE_FROM_PRIMITIVE_LIST_PREFIX:
            raise _SMPError(ERR_BAD_PATCH_FORMAT_FOR_PRIMITIVE_LIST)
        raise _SMPError(ERR_BAD_PATCH_FORMAT_FOR_SET_ELEMENT_ORDER_LIST)
    return parts[1]


def _element_kind(*slices: list[Any] | None) -> type | None:
    """sliceElementType: the common element type; errors on lists of lists or mixed types."""
    prev: type | None = None
    for s in slices:
        if not s:
            continue
        for v in s:
            t = type(v)
            if prev is None:
                prev = t
                if t is list:
                    raise _SMPError(ERR_NO_LIST_OF_LISTS)
            elif t is not prev:
                raise _SMPError(
                    "list element types are not identical: ["
                    + " ".join(go_format(x) for x in slices if x is not None)
                    + "]"
                )
    return prev


# --- map merging ---


def _merge_map(original: dict[str, Any], patch: dict[str, Any], node: Schema | None) -> dict[str, Any]:
    if DIRECTIVE_MARKER in patch:
        directive = patch[DIRECTIVE_MARKER]
        if directive == _REPLACE:
            del patch[DIRECTIVE_MARKER]
            replaced: dict[str, Any] = _clean(patch)
            return replaced
        if directive == _DELETE:
            return {}
        raise _err_bad_patch_type(directive, patch)

    _apply_retain_keys(original, patch)
    _merge_set_element_order(original, patch, node)

    for key, pv in patch.items():
        k = key
        is_delete_list = False
        if k.startswith(DELETE_FROM_PRIMITIVE_LIST_PREFIX):
            k = _extract_key(k, DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            is_delete_list = True

        if pv is None:
            original.pop(k, None)
            continue

        if k not in original:
            if not is_delete_list:
                v, keep = _take(pv)
                if keep:
                    original[k] = v
            continue

        ov = original[k]
        if type(ov) is not type(pv):
            if not is_delete_list:
                v, keep = _take(pv)
                if keep:
                    original[k] = v
                else:
                    del original[k]
            continue

        if isinstance(ov, dict):
            sub, strategy = _lookup_struct(node, k)
            if strategy == _REPLACE:
                original[k] = _clean(pv)
            else:
                original[k] = _merge_map(ov, pv, sub)
        elif isinstance(ov, list):
            elem, strategy, merge_key = _lookup_slice(node, k)
            original[k] = _merge_slice_handler(ov, pv, elem, strategy, merge_key, is_delete_list)
        else:
            original[k] = pv
    return original


def _apply_retain_keys(original: dict[str, Any], patch: dict[str, Any]) -> None:
    if RETAIN_KEYS_DIRECTIVE not in patch:
        return
    retain = patch.pop(RETAIN_KEYS_DIRECTIVE)
    if not isinstance(retain, list):
        raise _SMPError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    keep = {v for v in retain if isinstance(v, str)}
    for k, v in patch.items():
        if (
            v is None
            or k.startswith(DELETE_FROM_PRIMITIVE_LIST_PREFIX)
            or k.startswith(SET_ELEMENT_ORDER_PREFIX)
        ):
            continue
        if k not in keep:
            raise _SMPError(ERR_BAD_PATCH_FORMAT_FOR_RETAIN_KEYS)
    for k in [k for k in original if k not in keep]:
        del original[k]


def _merge_set_element_order(original: dict[str, Any], patch: dict[str, Any], node: Schema | None) -> None:
    """mergePatchIntoOriginal: process ``$setElementOrder/<field>`` with its list."""
    keys = [k for k in patch if k.startswith(SET_ELEMENT_ORDER_PREFIX)]
    for key in keys:
        order = patch.pop(key)
        if not isinstance(order, list):
            raise _err_bad_arg_type(_SLICE, order)
        okey = _extract_key(key, SET_ELEMENT_ORDER_PREFIX)
        original_list: list[Any] | None = None
        patch_list: list[Any] | None = None
        found_original = okey in original and original[okey] is not None
        found_patch = okey in patch
        if found_original:
            ov = original[okey]
            if not isinstance(ov, list):
                raise _err_bad_arg_type(_SLICE, ov)
            original_list = ov
        if found_patch:
            pv = patch[okey]
            if not isinstance(pv, list):
                raise _err_bad_arg_type(_SLICE, pv)
            patch_list = pv

        elem, strategy, merge_key = _lookup_slice(node, okey)
        _validate_patch_with_set_order(patch_list, order, merge_key)

        if original_list is not None and patch_list is None:
            merged = original_list
        elif original_list is None and patch_list is not None:
            merged = _take(patch_list)[0]
        elif original_list is not None and patch_list is not None:
            merged = _merge_slice_handler(original_list, patch_list, elem, strategy, merge_key, False)
        else:
            continue

        if merge_key:
            patch_items, server_only = _partition_maps(merged, order, merge_key)
        else:
            patch_items, server_only = _partition_primitives(merged, order)
        kind = _element_kind(original_list, patch_list)
        if kind is None:
            original[okey] = merged
        else:
            original[okey] = _normalize_element_order(
                patch_items, server_only, order, original_list or [], merge_key, kind
            )
        patch.pop(okey, None)


def _validate_patch_with_set_order(patch_list: list[Any] | None, order: list[Any], merge_key: str) -> None:
    if not order or not patch_list:
        return
    if merge_key:
        non_delete, _ = _extract_to_delete_items(patch_list)
    else:
        non_delete = patch_list
    pi = si = 0
    while pi < len(non_delete) and si < len(order):
        item = non_delete[pi]
        if isinstance(item, dict) and DIRECTIVE_MARKER in item:
            pi += 1
            continue
        if _merge_key_value_equal(item, order[si], merge_key):
            pi += 1
        si += 1
    if pi < len(non_delete) and si >= len(order):
        raise _SMPError(
            f"The order in patch list:\n{go_format(patch_list)}\n doesn't match "
            f"{SET_ELEMENT_ORDER_PREFIX} list:\n{go_format(order)}\n"
        )


def _merge_key_value_equal(left: Any, right: Any, merge_key: str) -> bool:
    if not merge_key:
        return _eq(left, right)
    if not isinstance(left, dict):
        raise _err_bad_arg_type(_MAP, left)
    if not isinstance(right, dict):
        raise _err_bad_arg_type(_MAP, right)
    if merge_key not in left:
        raise _err_no_merge_key(left, merge_key)
    if merge_key not in right:
        raise _err_no_merge_key(right, merge_key)
    return _eq(left[merge_key], right[merge_key])


# --- list merging ---


def _merge_slice_handler(
    original: list[Any],
    patch: list[Any],
    elem: Schema | None,
    strategy: str,
    merge_key: str,
    is_delete_list: bool,
) -> list[Any]:
    if strategy == _MERGE or is_delete_list:
        return _merge_slice(original, patch, elem, merge_key, is_delete_list)
    replaced: list[Any] = _clean(patch)
    return replaced


def _merge_slice(
    original: list[Any], patch: list[Any], elem: Schema | None, merge_key: str, is_delete_list: bool
) -> list[Any]:
    if not original and not patch:
        return original
    kind = _element_kind(original, patch)
    assert kind is not None
    if kind is not dict:
        if is_delete_list:
            return _delete_from_slice(original, patch)
        merged = _deduplicate_scalars(original + patch)
    else:
        if not merge_key:
            raise _SMPError("cannot merge lists without merge key for struct")
        original, patch = _merge_slice_with_special_elements(original, patch, merge_key)
        merged = _merge_slice_without_special_elements(original, patch, merge_key, elem)

    if merge_key:
        patch_items, server_only = _partition_maps(merged, patch, merge_key)
    else:
        patch_items, server_only = _partition_primitives(merged, patch)
    return _normalize_element_order(patch_items, server_only, patch, original, merge_key, kind)


def _merge_slice_with_special_elements(
    original: list[Any], patch: list[Any], merge_key: str
) -> tuple[list[Any], list[Any]]:
    plain: list[Any] = []
    replace = False
    for v in patch:
        if DIRECTIVE_MARKER not in v:
            plain.append(v)
            continue
        directive = v[DIRECTIVE_MARKER]
        if directive == _DELETE:
            if merge_key not in v:
                raise _err_no_merge_key(v, merge_key)
            value = v[merge_key]
            original = [o for o in original if not (merge_key in o and _eq(o[merge_key], value))]
        elif directive == _REPLACE:
            replace = True
        elif directive == _MERGE:
            raise _SMPError("merging lists cannot yet be specified in the patch")
        else:
            raise _err_bad_patch_type(directive, v)
    if replace:
        return [_clean(v) for v in plain], []
    return original, plain


def _merge_slice_without_special_elements(
    original: list[Any], patch: list[Any], merge_key: str, elem: Schema | None
) -> list[Any]:
    merged = list(original)
    for v in patch:
        if merge_key not in v:
            raise _err_no_merge_key(v, merge_key)
        value = v[merge_key]
        for i, o in enumerate(merged):
            if merge_key in o and _eq(o[merge_key], value):
                merged[i] = _merge_map(o, v, elem)
                break
        else:
            merged.append(_clean(v))
    return merged


def _delete_from_slice(current: list[Any], to_delete: list[Any]) -> list[Any]:
    gone = {_hkey(v) for v in to_delete}
    return [v for v in current if _hkey(v) not in gone]


def _deduplicate_scalars(s: list[Any]) -> list[Any]:
    """deduplicateScalars, including the order it leaves the list in."""
    length = len(s) - 1
    i = 0
    while i < length:
        j = i + 1
        while j <= length:
            if _eq(s[i], s[j]):
                s[j] = s[length]
                del s[length:]
                length -= 1
                j -= 1
            j += 1
        i += 1
    return s


def _extract_to_delete_items(items: list[Any]) -> tuple[list[Any], list[Any]]:
    keep: list[Any] = []
    delete: list[Any] = []
    for v in items:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP, v)
        if v.get(DIRECTIVE_MARKER) == _DELETE:
            delete.append(v)
        else:
            keep.append(v)
    return keep, delete


def _partition_primitives(merged: list[Any], by: list[Any]) -> tuple[list[Any], list[Any]]:
    in_patch = {_hkey(v) for v in by}
    patch_items: list[Any] = []
    server_only: list[Any] = []
    for v in merged:
        (patch_items if _hkey(v) in in_patch else server_only).append(v)
    return patch_items, server_only


def _partition_maps(merged: list[Any], by: list[Any], merge_key: str) -> tuple[list[Any], list[Any]]:
    keys = set()
    for i, v in enumerate(by):
        if not isinstance(v, dict):
            raise _SMPError(f"value for key {i} is not a map")
        if merge_key in v:
            keys.add(_hkey(v[merge_key]))
    patch_items: list[Any] = []
    server_only: list[Any] = []
    for v in merged:
        if not isinstance(v, dict):
            raise _err_bad_arg_type(_MAP, v)
        if merge_key not in v:
            raise _err_no_merge_key(v, merge_key)
        (patch_items if _hkey(v[merge_key]) in keys else server_only).append(v)
    return patch_items, server_only


def _order_index(order: list[Any], merge_key: str, kind: type) -> dict[Any, int]:
    index: dict[Any, int] = {}
    for i, v in enumerate(order):
        if kind is dict:
            k = _hkey(v.get(merge_key)) if isinstance(v, dict) else _hkey(None)
        else:
            k = _hkey(v)
        index.setdefault(k, i)
    return index


def _item_key(v: Any, merge_key: str, kind: type) -> Any:
    if kind is dict:
        return _hkey(v.get(merge_key)) if isinstance(v, dict) else _hkey(None)
    return _hkey(v)


def _normalize_slice_order(to_sort: list[Any], order: list[Any], merge_key: str, kind: type) -> list[Any]:
    to_delete: list[Any] = []
    if kind is dict:
        for lst in (to_sort, order):
            for item in lst:
                if not isinstance(item, dict):
                    raise _err_bad_arg_type(_MAP, item)
                if merge_key not in item:
                    raise _err_no_merge_key(item, merge_key)
        to_sort, to_delete = _extract_to_delete_items(to_sort)
    index = _order_index(order, merge_key, kind)
    missing = len(order)
    to_sort = sorted(to_sort, key=lambda v: index.get(_item_key(v, merge_key, kind), missing))
    return to_sort + to_delete


def _normalize_element_order(
    patch_items: list[Any],
    server_only: list[Any],
    patch_order: list[Any],
    server_order: list[Any],
    merge_key: str,
    kind: type,
) -> list[Any]:
    patch_items = _normalize_slice_order(patch_items, patch_order, merge_key, kind)
    server_only = _normalize_slice_order(server_only, server_order, merge_key, kind)
    return _merge_sorted_slice(server_only, patch_items, server_order, merge_key, kind)


def _merge_sorted_slice(
    left: list[Any], right: list[Any], server_order: list[Any], merge_key: str, kind: type
) -> list[Any]:
    """mergeSortedSlice: interleave server-only items (left) with patch items (right)."""
    index = _order_index(server_order, merge_key, kind)
    out: list[Any] = []
    i = j = 0
    nl, nr = len(left), len(right)
    while i < nl or j < nr:
        if i >= nl:
            out.append(right[j])
            j += 1
        elif j >= nr:
            out.append(left[i])
            i += 1
        else:
            li = index.get(_item_key(left[i], merge_key, kind))
            ri = index.get(_item_key(right[j], merge_key, kind))
            if li is not None and ri is not None and li < ri:
                out.append(left[i])
                i += 1
            else:
                out.append(right[j])
                j += 1
    return out


# --- public API ---


def apply_strategic_merge_patch(
    obj: dict[str, Any], patch: dict[str, Any], schema: Schema | None
) -> dict[str, Any]:
    """Apply a strategic merge patch (already JSON-decoded) to ``obj``; ``obj`` is not modified.

    ``schema`` is the OpenAPI definition of the object's kind
    (``kybernetes.api.schema.schema_for(group, version, kind)``), or None when unknown.
    Raises :class:`StatusError` (400 or 422) when the patch cannot be applied.
    """
    p: Any = patch
    if p is None:
        p = {}
    if not isinstance(p, dict):
        raise bad_request(
            f"json: cannot unmarshal {json_kind(p)} into Go value of type map[string]interface {{}}"
        )
    original = copy_json(obj)
    try:
        result = _merge_map(original, copy_json(p), apischema.resolve(schema) if schema is not None else None)
    except _SMPError as e:
        err = e.status_error()
        raise err from err.__cause__
    except RecursionError:
        raise bad_request("patch nesting is too deep") from None
    return result


# --- two-way patch creation (what a client computes; used by tests and server-side helpers) ---


def create_two_way_merge_patch(
    original: dict[str, Any], modified: dict[str, Any], schema: Schema | None
) -> dict[str, Any]:
    """CreateTwoWayMergePatch: a patch that turns ``original`` into ``modified``.

    Like upstream (DiffOptions{SetElementOrder: true}): changed and added fields are set,
    removed fields become ``null``, merging lists of maps send changed/added elements plus
    ``$patch: delete`` elements and ``$setElementOrder``, merging lists of primitives send added
    values, ``$deleteFromPrimitiveList`` and ``$setElementOrder``; other lists are replaced whole;
    maps with a retainKeys strategy get ``$retainKeys``.
    """
    try:
        return _diff_maps(
            original, modified, apischema.resolve(schema) if schema is not None else None, False
        )
    except _SMPError as e:
        err = e.status_error()
        raise err from err.__cause__


def _has_retain_keys(prop: Schema | None) -> bool:
    if prop is None:
        return False
    return _RETAIN_KEYS_STRATEGY in str(prop.get("x-kubernetes-patch-strategy", "")).split(",")


def _sort_scalars(values: list[Any]) -> list[Any]:
    return sorted(values, key=go_format)


def _diff_maps(
    original: dict[str, Any], modified: dict[str, Any], node: Schema | None, retain_keys: bool
) -> dict[str, Any]:
    patch: dict[str, Any] = {}
    retain: list[Any] = []
    for key, mv in modified.items():
        if retain_keys and mv is not None:
            retain.append(key)
        if key not in original:
            patch[key] = mv
            continue
        ov = original[key]
        if type(ov) is not type(mv):
            patch[key] = mv
            continue
        if isinstance(ov, dict):
            prop, strategy, _ = _lookup(node, key)
            if strategy == _REPLACE:
                patch[key] = mv
            else:
                sub = _diff_maps(ov, mv, prop, _has_retain_keys(prop))
                if sub:
                    patch[key] = sub
        elif isinstance(ov, list):
            prop, strategy, merge_key = _lookup(node, key)
            if strategy == _MERGE:
                elem = apischema.items_schema(prop) if prop is not None else None
                _diff_merging_lists(key, ov, mv, elem, merge_key, _has_retain_keys(prop), patch)
            elif not json_equal(ov, mv):
                patch[key] = mv
        elif not _eq(ov, mv):
            patch[key] = mv
    for key in original:
        if key not in modified:
            patch[key] = None
    if retain and patch:
        patch[RETAIN_KEYS_DIRECTIVE] = _sort_scalars(retain)
    return patch


def _diff_merging_lists(
    key: str,
    original: list[Any],
    modified: list[Any],
    elem: Schema | None,
    merge_key: str,
    retain_keys: bool,
    patch: dict[str, Any],
) -> None:
    if not original:
        if modified:
            patch[key] = modified
        return
    kind = _element_kind(original, modified)
    if kind is dict:
        if not merge_key:
            raise _SMPError("cannot merge lists without merge key for object")
        orig_by_key: dict[Any, dict[str, Any]] = {}
        for o in original:
            if merge_key not in o:
                raise _err_no_merge_key(o, merge_key)
            orig_by_key.setdefault(_hkey(o[merge_key]), o)
        mod_keys = set()
        changes: list[Any] = []
        for m in modified:
            if merge_key not in m:
                raise _err_no_merge_key(m, merge_key)
            hk = _hkey(m[merge_key])
            mod_keys.add(hk)
            o = orig_by_key.get(hk)
            if o is None:
                changes.append(m)
            else:
                d = _diff_maps(o, m, elem, retain_keys)
                if d:
                    d[merge_key] = m[merge_key]
                    changes.append(d)
        deletions = [
            {DIRECTIVE_MARKER: _DELETE, merge_key: o[merge_key]}
            for o in original
            if _hkey(o[merge_key]) not in mod_keys
        ]
        same_order = len(original) == len(modified) and all(
            _eq(o[merge_key], m[merge_key]) for o, m in zip(original, modified, strict=True)
        )
        all_changes = changes + deletions
        if all_changes:
            patch[key] = all_changes
        if all_changes or not same_order:
            patch[f"{SET_ELEMENT_ORDER_PREFIX}/{key}"] = [{merge_key: m[merge_key]} for m in modified]
        return
    orig_keys = {_hkey(v) for v in original}
    mod_keys = {_hkey(v) for v in modified}
    added = [v for v in modified if _hkey(v) not in orig_keys]
    deleted: list[Any] = []
    seen: set[Any] = set()
    for v in original:
        hk = _hkey(v)
        if hk not in mod_keys and hk not in seen:
            seen.add(hk)
            deleted.append(v)
    if added:
        patch[key] = added
    if deleted:
        patch[f"{DELETE_FROM_PRIMITIVE_LIST_PREFIX}/{key}"] = _sort_scalars(deleted)
    if deleted or not json_equal(original, modified):
        patch[f"{SET_ELEMENT_ORDER_PREFIX}/{key}"] = modified
