"""PATCH semantics of kube-apiserver, as pure functions over plain dicts.

* :func:`apply_json_patch` — ``application/json-patch+json`` (RFC 6902, evanphx/json-patch v4);
* :func:`apply_merge_patch` — ``application/merge-patch+json`` (RFC 7386);
* :func:`apply_strategic_merge_patch` — ``application/strategic-merge-patch+json``;
* :func:`apply_patch` — dispatch on the request's Content-Type.

Every function takes the current object and the decoded patch body, returns a new object
(the inputs are never modified) and raises :class:`kybernetes.api.errors.StatusError` with the
code, reason and message kube-apiserver returns when the patch cannot be applied.
"""

from __future__ import annotations

from typing import Any, Final

from kybernetes.api import errors
from kybernetes.apiserver.patch.json import apply_json_patch
from kybernetes.apiserver.patch.merge import apply_merge_patch
from kybernetes.apiserver.patch.strategic import apply_strategic_merge_patch, create_two_way_merge_patch

__all__ = [
    "JSON_PATCH",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_MERGE_PATCH",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_patch",
    "apply_strategic_merge_patch",
    "create_two_way_merge_patch",
]

JSON_PATCH: Final = "application/json-patch+json"
MERGE_PATCH: Final = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH: Final = "application/strategic-merge-patch+json"
#: The patch types these functions implement (server-side apply is separate).
PATCH_TYPES: Final = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)


def apply_patch(
    content_type: str, obj: dict[str, Any], patch: Any, schema: dict[str, Any] | None
) -> dict[str, Any]:
    """Apply ``patch`` according to ``content_type`` (parameters such as ``; charset=`` ignored).

    ``schema`` (the kind's OpenAPI definition) is used by strategic merge patch only.
    An unsupported content type is 415, listing :data:`PATCH_TYPES`.
    """
    base = content_type.split(";", 1)[0].strip()
    if base == JSON_PATCH:
        return apply_json_patch(obj, patch)
    if base == MERGE_PATCH:
        return apply_merge_patch(obj, patch)
    if base == STRATEGIC_MERGE_PATCH:
        return apply_strategic_merge_patch(obj, patch, schema)
    raise errors.unsupported_media_type(list(PATCH_TYPES))
