"""Structural checks of built-in objects against the upstream OpenAPI definitions.

:func:`check` finds what upstream's (strict) JSON decoding would reject or report:

- values of the wrong JSON type, reported as field errors in the wording of upstream's
  OpenAPI validation (``spec.replicas: Invalid value: "string": spec.replicas in body must
  be of type integer: "string"``), as well as int32 overflow, malformed quantities, times
  and base64 (``[]byte``) strings;
- unknown fields, everywhere (inside lists and maps of objects too), as paths in the form
  upstream's strict decoding names them in ``unknown field "<path>"``: ``spec.foo``,
  ``spec.containers[0].foo``, ``spec.selector.matchLabelz``; keys of maps of objects are
  written ``data[key].foo``.

``null`` is accepted anywhere (Go decodes it as the zero value). ``required`` is not
enforced here: semantic validation reports missing fields with upstream's messages.

One checker (a closure) is compiled per definition, lazily, on first use, and cached;
nothing here uses jsonschema at request time.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Callable
from typing import Any, Final

from kybernetes.api import schema
from kybernetes.api.validation.field import ErrorType, FieldError, invalid, type_invalid

# checker(value, path, errors, unknown_fields); value is never None
Checker = Callable[[Any, str, list[FieldError], list[str]], None]

_INT32_MIN: Final = -(2**31)
_INT32_MAX: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1

_QUANTITY_RE: Final = re.compile(
    r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?"
)
_QUANTITY_MSG: Final = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
_TIME_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_B64_ALPHABET: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")

_JSON_TYPE_NAMES: Final[dict[type, str]] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
}


def _type_name(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _type_error(path: str, value: Any, expected: str) -> FieldError:
    actual = _type_name(value)
    return type_invalid(path, actual, f'{path} in body must be of type {expected}: "{actual}"')


# --- scalar checkers ---------------------------------------------------------------------


def _check_string(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not str:
        errs.append(_type_error(path, v, "string"))


def _check_boolean(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not bool:
        errs.append(_type_error(path, v, "boolean"))


def _check_number(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    t = type(v)
    if t is not int and t is not float:
        errs.append(_type_error(path, v, "number"))


def _integer_checker(lo: int, hi: int) -> Checker:
    def check(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
        t = type(v)
        if t is int:
            pass
        elif t is float and v.is_integer():
            v = int(v)
        else:
            errs.append(_type_error(path, v, "integer"))
            return
        if v > hi:
            errs.append(invalid(path, v, f"{path} in body should be less than or equal to {hi}"))
        elif v < lo:
            errs.append(invalid(path, v, f"{path} in body should be greater than or equal to {lo}"))

    return check


_check_int32 = _integer_checker(_INT32_MIN, _INT32_MAX)
_check_int64 = _integer_checker(_INT64_MIN, _INT64_MAX)


def _check_int_or_string(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    t = type(v)
    if t is str or t is int:
        return
    if t is float and v.is_integer():
        return
    errs.append(_type_error(path, v, "integer or string"))


def _check_quantity(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    t = type(v)
    if t is str:
        if not _QUANTITY_RE.fullmatch(v):
            errs.append(invalid(path, v, _QUANTITY_MSG))
    elif t is not int and t is not float:
        errs.append(_type_error(path, v, "string or number"))


def _check_time(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not str:
        errs.append(_type_error(path, v, "string"))
    elif v and not _TIME_RE.fullmatch(v):
        errs.append(invalid(path, v, f"{path} in body must be of type date-time: {_quote(v)}"))


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def base64_error(s: str) -> str | None:
    """None if ``s`` is valid standard base64 (as Go's encoding/json decodes []byte), else a message."""
    data = s.replace("\r", "").replace("\n", "")
    try:
        binascii.a2b_base64(data.encode("ascii"), strict_mode=True)
        return None
    except (binascii.Error, UnicodeEncodeError, ValueError):
        pass
    raw = data.encode("utf-8", "replace")
    pos = next((i for i, b in enumerate(raw) if b not in _B64_ALPHABET), None)
    if pos is None:
        pad = raw.find(b"=")
        pos = pad if 0 <= pad < len(raw) - 2 or len(raw) % 4 == 0 else (len(raw) // 4) * 4
    return f"illegal base64 data at input byte {pos}"


def _check_bytes(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not str:
        errs.append(_type_error(path, v, "string"))
        return
    msg = base64_error(v)
    if msg is not None:
        errs.append(FieldError(ErrorType.INVALID, path, detail=msg))


def _check_any(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    return


def _check_free_object(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not dict:
        errs.append(_type_error(path, v, "object"))


# --- composite checkers ------------------------------------------------------------------


_FAST_TYPES: Final[dict[Checker, frozenset[type]]] = {}


def _object_checker(props: dict[str, Checker]) -> Checker:
    # scalars whose type alone proves them valid (or null) are settled by one set lookup and
    # never build their path
    fast_types = {k: _FAST_TYPES[c] | {type(None)} for k, c in props.items() if c in _FAST_TYPES}
    fast = fast_types.get
    get = props.get

    def check(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
        if type(v) is not dict:
            errs.append(_type_error(path, v, "object"))
            return
        for k, x in v.items():
            ft = fast(k)
            if ft is not None and type(x) in ft:
                continue
            c = get(k)
            if c is None:
                unknown.append(path + "." + k if path else k)
            elif x is not None:
                c(x, path + "." + k if path else k, errs, unknown)

    return check


def _map_checker(value_check: Checker) -> Checker:
    if value_check is _check_string:

        def check_strings(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
            if type(v) is not dict:
                errs.append(_type_error(path, v, "object"))
                return
            for k, x in v.items():
                if x is not None and type(x) is not str:
                    errs.append(_type_error(f"{path}[{k}]", x, "string"))

        return check_strings

    def check(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
        if type(v) is not dict:
            errs.append(_type_error(path, v, "object"))
            return
        for k, x in v.items():
            if x is not None:
                value_check(x, f"{path}[{k}]", errs, unknown)

    return check


def _array_checker(item_check: Checker) -> Checker:
    def check(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
        if type(v) is not list:
            errs.append(_type_error(path, v, "array"))
            return
        for i, x in enumerate(v):
            if x is not None:
                item_check(x, f"{path}[{i}]", errs, unknown)

    return check


def _untyped_array(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
    if type(v) is not list:
        errs.append(_type_error(path, v, "array"))


_FAST_TYPES.update(
    {
        _check_string: frozenset({str}),
        _check_boolean: frozenset({bool}),
        _check_number: frozenset({int, float}),
        _check_int_or_string: frozenset({int, str}),
        _check_free_object: frozenset({dict}),
        _check_any: frozenset({str, int, float, bool, list, dict}),
    }
)

# --- compilation -------------------------------------------------------------------------

_SPECIAL_REFS: Final[dict[str, Checker]] = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": _check_quantity,
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": _check_int_or_string,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": _check_time,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": _check_time,
    "io.k8s.apimachinery.pkg.runtime.RawExtension": _check_free_object,
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": _check_free_object,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": _check_free_object,
}

_compiled: dict[str, Checker] = {}
_in_progress: set[str] = set()


def _by_name(name: str) -> Checker:
    special = _SPECIAL_REFS.get(name)
    if special is not None:
        return special
    c = _compiled.get(name)
    if c is not None:
        return c
    if name in _in_progress:
        # a recursive definition (JSONSchemaProps): look the checker up when first called

        def deferred(v: Any, path: str, errs: list[FieldError], unknown: list[str]) -> None:
            _compiled[name](v, path, errs, unknown)

        return deferred
    node = schema.definitions().get(name)
    if node is None:
        return _check_any
    _in_progress.add(name)
    try:
        c = _compile(node)
    finally:
        _in_progress.discard(name)
    _compiled[name] = c
    return c


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("type")
    if isinstance(t, str):
        return {t} - {"null"}
    if isinstance(t, list):
        return {x for x in t if x != "null"}
    return set()


def _compile(node: dict[str, Any]) -> Checker:
    ref = schema.ref_name(node)
    if ref is not None:
        return _by_name(ref)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        return _compile(all_of[0])
    if node.get("x-kubernetes-preserve-unknown-fields"):
        return _check_free_object if "object" in _types(node) else _check_any
    if node.get("x-kubernetes-int-or-string"):
        return _check_int_or_string
    types = _types(node)
    if not types:
        alts = node.get("oneOf") or node.get("anyOf")
        if isinstance(alts, list):
            alt_types: set[str] = set()
            for alt in alts:
                if isinstance(alt, dict):
                    alt_types |= _types(alt)
            if alt_types == {"string", "integer"}:
                return _check_int_or_string
            if alt_types == {"string", "number"}:
                return _check_quantity
        return _check_any
    if len(types) > 1:
        return _check_any
    (t,) = types
    fmt = node.get("format")
    if t == "string":
        if fmt == "byte":
            return _check_bytes
        if fmt == "date-time":
            return _check_time
        if fmt == "int-or-string":
            return _check_int_or_string
        return _check_string
    if t == "integer":
        return _check_int32 if fmt == "int32" else _check_int64
    if t == "number":
        return _check_number
    if t == "boolean":
        return _check_boolean
    if t == "array":
        items = node.get("items")
        if isinstance(items, dict):
            return _array_checker(_compile(items))
        return _untyped_array
    if t == "object":
        props = node.get("properties")
        if isinstance(props, dict) and props:
            return _object_checker({k: _compile(p) for k, p in props.items() if isinstance(p, dict)})
        addl = node.get("additionalProperties")
        if isinstance(addl, dict):
            return _map_checker(_compile(addl))
        return _check_free_object
    return _check_any


def checker_for(api_version: str, kind: str) -> Checker | None:
    """The compiled checker of a kind, or None when the kind has no upstream definition."""
    group, _, version = api_version.rpartition("/")
    name = schema.definition_name(group, version, kind)
    if name is None:
        return None
    return _by_name(name)


_checker_cache: dict[tuple[str, str], Checker | None] = {}


def check(obj: dict[str, Any]) -> tuple[list[FieldError], list[str]]:
    """Type errors and unknown field paths of a built-in object (see the module docstring)."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [], []
    key = (api_version, kind)
    try:
        c = _checker_cache[key]
    except KeyError:
        c = _checker_cache[key] = checker_for(api_version, kind)
    errs: list[FieldError] = []
    unknown: list[str] = []
    if c is not None:
        c(obj, "", errs, unknown)
    return errs, unknown


def check_definition(definition: str, value: Any, path: str = "") -> tuple[list[FieldError], list[str]]:
    """Check a value against one named definition (e.g. a PodTemplateSpec inside something else)."""
    errs: list[FieldError] = []
    unknown: list[str] = []
    if value is not None:
        _by_name(definition)(value, path, errs, unknown)
    return errs, unknown
