"""Field errors, as k8s.io/apimachinery/pkg/util/validation/field.

`str(err)` renders exactly as upstream's ErrorList entries, e.g.
``metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must ...`` or
``spec.containers[0].image: Required value``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

_OMIT: Final = object()


class ErrorType:
    NOT_FOUND = "FieldValueNotFound"
    REQUIRED = "FieldValueRequired"
    DUPLICATE = "FieldValueDuplicate"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    FORBIDDEN = "FieldValueForbidden"
    TOO_LONG = "FieldValueTooLong"
    TOO_MANY = "FieldValueTooMany"
    INTERNAL = "InternalError"
    TYPE_INVALID = "FieldValueTypeInvalid"


_TYPE_TEXT: Final = {
    ErrorType.NOT_FOUND: "Not found",
    ErrorType.REQUIRED: "Required value",
    ErrorType.DUPLICATE: "Duplicate value",
    ErrorType.INVALID: "Invalid value",
    ErrorType.NOT_SUPPORTED: "Unsupported value",
    ErrorType.FORBIDDEN: "Forbidden",
    ErrorType.TOO_LONG: "Too long",
    ErrorType.TOO_MANY: "Too many",
    ErrorType.INTERNAL: "Internal error",
    ErrorType.TYPE_INVALID: "Invalid value",
}


def _render_value(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True)
class FieldError:
    type: str
    field: str
    bad_value: Any = _OMIT
    detail: str = ""

    def error_body(self) -> str:
        s = _TYPE_TEXT.get(self.type, self.type)
        if self.type in (ErrorType.REQUIRED, ErrorType.FORBIDDEN, ErrorType.TOO_LONG, ErrorType.INTERNAL):
            pass  # these omit the value, as upstream
        elif self.bad_value is not _OMIT:
            s += ": " + _render_value(self.bad_value)
        if self.detail:
            s += ": " + self.detail
        return s

    def __str__(self) -> str:
        return f"{self.field}: {self.error_body()}" if self.field else self.error_body()

    def cause(self) -> dict[str, Any]:
        return {"reason": self.type, "message": self.error_body(), "field": self.field}


def required(field: str, detail: str = "") -> FieldError:
    return FieldError(ErrorType.REQUIRED, field, _OMIT, detail)


def invalid(field: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(ErrorType.INVALID, field, value, detail)


def forbidden(field: str, detail: str) -> FieldError:
    return FieldError(ErrorType.FORBIDDEN, field, _OMIT, detail)


def duplicate(field: str, value: Any) -> FieldError:
    return FieldError(ErrorType.DUPLICATE, field, value)


def not_found(field: str, value: Any) -> FieldError:
    return FieldError(ErrorType.NOT_FOUND, field, value)


def not_supported(field: str, value: Any, valid: list[str]) -> FieldError:
    detail = "supported values: " + ", ".join(json.dumps(v) for v in valid) if valid else ""
    return FieldError(ErrorType.NOT_SUPPORTED, field, value, detail)


def too_long(field: str, value: Any, max_length: int) -> FieldError:
    return FieldError(ErrorType.TOO_LONG, field, value, f"may not be more than {max_length} bytes")


def too_many(field: str, actual: int, max_items: int) -> FieldError:
    return FieldError(ErrorType.TOO_MANY, field, actual, f"must have at most {max_items} items")


def type_invalid(field: str, value: Any, detail: str) -> FieldError:
    return FieldError(ErrorType.TYPE_INVALID, field, value, detail)
