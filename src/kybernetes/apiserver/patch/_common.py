"""Helpers shared by the patch mechanisms (JSON patch, merge patch, strategic merge patch)."""

from __future__ import annotations

import copy
from typing import Any, Final

import orjson

from kybernetes.api.errors import StatusError

#: The message kube-apiserver puts on a 422 it raises itself when a patch cannot be applied
#: (apierrors.NewGenericServerResponse(422, ...) without a resource: no causes, empty details).
UNPROCESSABLE_MESSAGE: Final = "the server rejected our request due to an error in our request"


class PatchApplyError(Exception):
    """The library-level reason a patch did not apply (evanphx/json-patch or strategicpatch wording).

    It is chained as ``__cause__`` of the :class:`StatusError` the apiserver returns, so that the
    reason can be logged even where upstream does not send it to the client.
    """


def unprocessable(reason: str) -> StatusError:
    """422 Invalid exactly as ``NewGenericServerResponse(422, "", GroupResource{}, "", msg, 0, false)``.

    The ``reason`` is not part of the body (upstream drops it too); callers raise the
    returned error ``from PatchApplyError(reason)``.
    """
    err = StatusError(422, "Invalid", UNPROCESSABLE_MESSAGE, {})
    err.__cause__ = PatchApplyError(reason)
    return err


def copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (orjson round trip; falls back to copy.deepcopy)."""
    try:
        return orjson.loads(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(value)


def json_kind(value: Any) -> str:
    """The JSON kind name Go's encoding/json uses in UnmarshalTypeError messages."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if value is None:
        return "null"
    return "number"


def json_equal(a: Any, b: Any) -> bool:
    """Structural JSON equality that, like Go, tells ``true`` from ``1`` and ``1`` from ``1.0``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        for k, v in a.items():
            if k not in b or not json_equal(v, b[k]):
                return False
        return True
    if isinstance(a, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def go_format(value: Any) -> str:
    """Go's ``%v`` rendering of a decoded JSON value (maps print as ``map[k:v ...]`` with sorted keys)."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_format(v) for v in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return str(value)


def go_type_name(value: Any) -> str:
    """reflect.TypeOf(value).String() for a decoded JSON value."""
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    return "%!s(<nil>)"
