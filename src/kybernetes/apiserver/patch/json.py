"""JSON patch (RFC 6902, ``application/json-patch+json``) as kube-apiserver applies it.

kube-apiserver uses ``gopkg.in/evanphx/json-patch.v4``; this module follows that library's
semantics rather than the letter of the RFC where the two differ, because that is what
clients of a real cluster observe:

* ``replace`` of a missing key of an object succeeds (it adds the key);
* negative array indices count from the end (``-1`` is the last element);
* ``copy``/``move`` from a missing object key copy ``null``;
* a path whose parent does not exist fails (``add /metadata/annotations/x`` needs annotations).

Errors are translated as in ``handlers/patch.go``: an undecodable patch is 400 BadRequest; a
patch that does not apply (a failing ``test``, a missing path, a bad index, an unknown op) is
422 Invalid with the generic message ``the server rejected our request due to an error in our
request`` and empty details; more than 10000 operations is 413.
"""

from __future__ import annotations

import re
from typing import Any, Final

from kybernetes.api.errors import StatusError, bad_request, request_entity_too_large
from kybernetes.apiserver.patch._common import copy_json, json_equal, json_kind, unprocessable

__all__ = ["MAX_JSON_PATCH_OPERATIONS", "apply_json_patch"]

#: handlers.maxJSONPatchOperations
MAX_JSON_PATCH_OPERATIONS: Final = 10000

_INDEX = re.compile(r"[+-]?[0-9]+")
_ESCAPE = re.compile(r"~[01]")


class _OpError(Exception):
    pass


def _missing(msg: str) -> _OpError:
    return _OpError(f"{msg}: missing value")


def _decode_key(part: str) -> str:
    if "~" not in part:
        return part
    return _ESCAPE.sub(lambda m: "/" if m.group(0) == "~1" else "~", part)


def _atoi(key: str) -> int:
    if not _INDEX.fullmatch(key):
        raise _OpError(f'strconv.Atoi: parsing "{key}": invalid syntax')
    return int(key)


def _invalid_index(idx: int) -> _OpError:
    return _OpError(f"Unable to access invalid index: {idx}: invalid index referenced")


# --- containers: a JSON object (dict) or array (list), as partialDoc / partialArray ---


def _get(con: dict[str, Any] | list[Any], key: str) -> Any:
    if isinstance(con, dict):
        return con.get(key)
    idx = _atoi(key)
    if idx < 0:
        if idx < -len(con):
            raise _invalid_index(idx)
        idx += len(con)
    if idx >= len(con):
        raise _invalid_index(idx)
    return con[idx]


def _set(con: dict[str, Any] | list[Any], key: str, value: Any) -> None:
    if isinstance(con, dict):
        con[key] = value
        return
    idx = _atoi(key)
    if idx < 0:
        if idx < -len(con):
            raise _invalid_index(idx)
        idx += len(con)
    con[idx] = value


def _add(con: dict[str, Any] | list[Any], key: str, value: Any) -> None:
    if isinstance(con, dict):
        con[key] = value
        return
    if key == "-":
        con.append(value)
        return
    try:
        idx = _atoi(key)
    except _OpError as e:
        raise _OpError(f"value was not a proper array index: '{key}': {e}") from None
    size = len(con) + 1
    if idx >= size or idx < -size:
        raise _invalid_index(idx)
    if idx < 0:
        idx += size
    con.insert(idx, value)


def _remove(con: dict[str, Any] | list[Any], key: str) -> None:
    if isinstance(con, dict):
        if key not in con:
            raise _missing(f"Unable to remove nonexistent key: {key}")
        del con[key]
        return
    idx = _atoi(key)
    if idx >= len(con) or idx < -len(con):
        raise _invalid_index(idx)
    del con[idx]


def _find(doc: dict[str, Any], path: str) -> tuple[dict[str, Any] | list[Any] | None, str]:
    """findObject: the container holding the last segment of ``path``, and that segment."""
    split = path.split("/")
    if len(split) < 2:
        return None, ""
    con: dict[str, Any] | list[Any] = doc
    for part in split[1:-1]:
        try:
            nxt = _get(con, _decode_key(part))
        except _OpError:
            return None, ""
        if not isinstance(nxt, dict | list):
            return None, ""
        con = nxt
    return con, _decode_key(split[-1])


def _str_field(op: dict[str, Any], name: str) -> str | None:
    v = op.get(name)
    return v if isinstance(v, str) else None


def _apply_op(doc: dict[str, Any], op: dict[str, Any]) -> None:
    kind = op.get("op")
    if not isinstance(kind, str):
        kind = "unknown"
    path = _str_field(op, "path")
    value = op.get("value")

    if kind == "add":
        if path is None:
            raise _missing("add operation failed to decode path")
        con, key = _find(doc, path)
        if con is None:
            raise _missing(f'add operation does not apply: doc is missing path: "{path}"')
        try:
            _add(con, key, value)
        except _OpError as e:
            raise _OpError(f"error in add for path: '{path}': {e}") from None
    elif kind == "remove":
        if path is None:
            raise _missing("remove operation failed to decode path")
        con, key = _find(doc, path)
        if con is None:
            raise _missing(f'remove operation does not apply: doc is missing path: "{path}"')
        try:
            _remove(con, key)
        except _OpError as e:
            raise _OpError(f"error in remove for path: '{path}': {e}") from None
    elif kind == "replace":
        if path is None:
            raise _missing("replace operation failed to decode path")
        con, key = _find(doc, path)
        if con is None:
            raise _missing(f"replace operation does not apply: doc is missing path: {path}")
        try:
            _get(con, key)
        except _OpError:
            raise _missing(f"replace operation does not apply: doc is missing key: {path}") from None
        _set(con, key, value)
    elif kind in ("move", "copy"):
        src = _str_field(op, "from")
        if src is None:
            raise _missing(f"{kind} operation, missing from field")
        con, key = _find(doc, src)
        if con is None:
            raise _missing(f"{kind} operation does not apply: doc is missing from path: {src}")
        try:
            val = _get(con, key)
            if kind == "move":
                _remove(con, key)
            else:
                val = copy_json(val)
        except _OpError as e:
            raise _OpError(f"error in {kind} for path: '{key}': {e}") from None
        if path is None:
            raise _missing(f"{kind} operation failed to decode path")
        con, key = _find(doc, path)
        if con is None:
            raise _missing(f"{kind} operation does not apply: doc is missing destination path: {path}")
        try:
            _add(con, key, val)
        except _OpError as e:
            raise _OpError(f"error in {kind} for path: '{path}': {e}") from None
    elif kind == "test":
        if path is None:
            raise _missing("test operation failed to decode path")
        if path == "":
            current: Any = doc
        else:
            con, key = _find(doc, path)
            if con is None:
                raise _missing(f"test operation does not apply: is missing path: {path}")
            try:
                current = _get(con, key)
            except _OpError as e:
                raise _OpError(f"error in test for path: '{path}': {e}") from None
        if current is None:
            ok = value is None
        else:
            ok = "value" in op and json_equal(current, value)
        if not ok:
            raise _OpError(f"testing value {path} failed: test failed")
    else:
        raise _OpError(f"Unexpected kind: {kind}")


def apply_json_patch(obj: dict[str, Any], patch: list[Any]) -> dict[str, Any]:
    """Apply an RFC 6902 patch (already JSON-decoded) to ``obj``; ``obj`` is not modified.

    Raises :class:`StatusError` 400 (not a patch document), 413 (too many operations) or
    422 (the patch does not apply).
    """
    ops: Any = patch
    if ops is None:
        ops = []
    if not isinstance(ops, list):
        raise bad_request(f"json: cannot unmarshal {json_kind(ops)} into Go value of type jsonpatch.Patch")
    for op in ops:
        if op is not None and not isinstance(op, dict):
            raise bad_request(
                f"json: cannot unmarshal {json_kind(op)} into Go value of type jsonpatch.Operation"
            )
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise request_entity_too_large(
            f"The allowed maximum operations in a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}"
        )
    doc = copy_json(obj)
    ops = copy_json(ops)
    for op in ops:
        try:
            _apply_op(doc, op or {})
        except _OpError as e:
            err: StatusError = unprocessable(str(e))
            raise err from err.__cause__
    result: dict[str, Any] = doc
    return result
