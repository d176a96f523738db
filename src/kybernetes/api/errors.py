"""API errors rendered as metav1.Status, exactly as kube-apiserver renders them.

Every layer above `api` raises :class:`StatusError` (or translates its own errors into
one at its boundary); the apiserver turns it into a Status body with the same code,
reason, message and details as upstream.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kybernetes.api.validation.field import FieldError


class StatusError(Exception):
    """An error with an HTTP code and a metav1.Status body."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body

    def __repr__(self) -> str:
        return f"StatusError({self.code}, {self.reason!r}, {self.message!r})"


def _qualified(group: str, resource: str) -> str:
    """`pods` for the core group, `deployments.apps` otherwise (schema.GroupResource.String())."""
    return f"{resource}.{group}" if group else resource


def _details(group: str, kind_or_resource: str, name: str | None) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    d["kind"] = kind_or_resource
    return d


def not_found(group: str, resource: str, name: str) -> StatusError:
    return StatusError(
        404, "NotFound", f'{_qualified(group, resource)} "{name}" not found', _details(group, resource, name)
    )


def already_exists(group: str, resource: str, name: str) -> StatusError:
    return StatusError(
        409,
        "AlreadyExists",
        f'{_qualified(group, resource)} "{name}" already exists',
        _details(group, resource, name),
    )


def conflict(group: str, resource: str, name: str, why: str) -> StatusError:
    return StatusError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(group, resource)} "{name}": {why}',
        _details(group, resource, name),
    )


OPTIMISTIC_LOCK_MESSAGE = "the object has been modified; please apply your changes to the latest version and try again"


def invalid(group: str, kind: str, name: str, errors: Iterable[FieldError]) -> StatusError:
    """422 Invalid, as apierrors.NewInvalid: `Kind.group "name" is invalid: [a, b]`."""
    errs = list(errors)
    qualified_kind = f"{kind}.{group}" if group else kind
    if len(errs) == 1:
        agg = str(errs[0])
    else:
        agg = "[" + ", ".join(str(e) for e in errs) + "]"
    details = _details(group, kind, name)
    details["causes"] = [e.cause() for e in errs]
    return StatusError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {agg}', details)


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def unauthorized(message: str = "Unauthorized") -> StatusError:
    return StatusError(401, "Unauthorized", message)


def forbidden(group: str, resource: str, name: str, why: str) -> StatusError:
    target = f'{_qualified(group, resource)} "{name}"' if name else _qualified(group, resource)
    return StatusError(403, "Forbidden", f"{target} is forbidden: {why}", _details(group, resource, name))


def method_not_supported(group: str, resource: str, action: str) -> StatusError:
    return StatusError(
        405,
        "MethodNotAllowed",
        f'{action} is not supported on resources of kind "{_qualified(group, resource)}"',
        _details(group, resource, None),
    )


def not_acceptable(message: str) -> StatusError:
    return StatusError(406, "NotAcceptable", message)


def gone(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def resource_expired(message: str) -> StatusError:
    return StatusError(410, "Expired", message)


def request_entity_too_large(message: str) -> StatusError:
    return StatusError(413, "RequestEntityTooLarge", message)


def unsupported_media_type(accepted: list[str]) -> StatusError:
    return StatusError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted),
    )


def too_many_requests(message: str, retry_after: int = 1) -> StatusError:
    return StatusError(429, "TooManyRequests", message, {"retryAfterSeconds": retry_after})


def internal(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})


def service_unavailable(message: str) -> StatusError:
    return StatusError(503, "ServiceUnavailable", message)


def timeout(message: str) -> StatusError:
    return StatusError(504, "Timeout", message)
