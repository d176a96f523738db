"""JSON merge patch (RFC 7386, ``application/merge-patch+json``) as kube-apiserver applies it.

Semantics of ``jsonpatch.MergePatch`` (evanphx/json-patch v4): objects merge recursively, a
``null`` member deletes the key, anything else (arrays included) replaces the current value, and
``null`` members inside newly added objects are dropped. A patch that is not a JSON object
(``null``, a number, a string) is 400 ``Invalid JSON Patch``; an array patch replaces the whole
document, which then cannot be an object: 422 Invalid, as when upstream decodes the result.
"""

from __future__ import annotations

from typing import Any

import orjson

from kybernetes.api import errors
from kybernetes.api.validation import field
from kybernetes.apiserver.patch._common import copy_json, json_kind

__all__ = ["apply_merge_patch"]

_BAD_JSON_PATCH = "Invalid JSON Patch"


def _prune_nulls(value: Any) -> Any:
    """pruneNulls: drop null members of objects (recursively); null array elements stay."""
    if isinstance(value, dict):
        for k in [k for k, v in value.items() if v is None]:
            del value[k]
        for v in value.values():
            _prune_nulls(v)
    elif isinstance(value, list):
        for v in value:
            if v is not None:
                _prune_nulls(v)
    return value


def _merge_docs(doc: dict[str, Any], patch: dict[str, Any]) -> None:
    for k, v in patch.items():
        if v is None:
            doc.pop(k, None)
            continue
        cur = doc.get(k)
        if cur is None:
            doc[k] = _prune_nulls(v)
        elif isinstance(cur, dict):
            if isinstance(v, dict):
                _merge_docs(cur, v)
            else:
                doc[k] = v
        else:
            doc[k] = _prune_nulls(v)


def apply_merge_patch(obj: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply a JSON merge patch (already JSON-decoded) to ``obj``; ``obj`` is not modified."""
    p: Any = patch
    if isinstance(p, list):
        result = _prune_nulls(copy_json(p))
        text = orjson.dumps(result).decode()
        raise errors.invalid(
            "",
            "",
            "",
            [
                field.invalid(
                    "patch",
                    text,
                    f"json: cannot unmarshal {json_kind(result)} into Go value of type map[string]interface {{}}",
                )
            ],
        )
    if not isinstance(p, dict):
        raise errors.bad_request(_BAD_JSON_PATCH)
    doc = copy_json(obj)
    _merge_docs(doc, copy_json(p))
    out: dict[str, Any] = doc
    return out
