"""Field selectors, as k8s.io/apimachinery/pkg/fields, plus each kind's selectable fields.

* :func:`parse_field_selector` is ``fields.ParseSelector`` (``=``, ``==``, ``!=``, comma AND,
  backslash escaping of ``\\``, ``,`` and ``=`` in values).
* :func:`convert_field_selector` / :func:`validate_field_selector` apply the scheme's
  field-label conversion for a kind (``field label not supported: spec.foo``, or for kinds
  without one ``"spec.foo" is not a known field selector: only "metadata.name",
  "metadata.namespace"``); the apiserver answers 400 with that message.
* :func:`field_set` gives the fields a stored object exposes to selectors (upstream's
  per-registry ``ToSelectableFields``), keyed by the internal field names the converted
  selector uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final


class FieldSelectorParseError(ValueError):
    """A field selector that does not parse or is not supported; str() is upstream's message."""


# -- terms ----------------------------------------------------------------------------------

_ESCAPES: Final = {"\\": "\\\\", ",": "\\,", "=": "\\="}


def escape_value(s: str) -> str:
    """fields.EscapeValue."""
    return "".join(_ESCAPES.get(c, c) for c in s)


def unescape_value(s: str) -> str:
    """fields.UnescapeValue (upstream's messages for bad sequences)."""
    if "\\" not in s and "," not in s and "=" not in s:
        return s
    out: list[str] = []
    in_slash = False
    for c in s:
        if in_slash:
            if c in "\\,=":
                out.append(c)
            else:
                raise FieldSelectorParseError(f"invalid field selector: invalid escape sequence: \\{c}")
            in_slash = False
            continue
        if c == "\\":
            in_slash = True
        elif c in ",=":
            # upstream formats the rune with %v, i.e. as its code point
            raise FieldSelectorParseError(f"invalid field selector: unescaped character in value: {ord(c)}")
        else:
            out.append(c)
    if in_slash:
        raise FieldSelectorParseError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class FieldTerm:
    field: str
    value: str
    negated: bool = False  # "!=" (notHasTerm)

    def matches(self, fields: Mapping[str, str]) -> bool:
        v = fields.get(self.field, "")
        return v != self.value if self.negated else v == self.value

    def __str__(self) -> str:
        return f"{self.field}{'!=' if self.negated else '='}{escape_value(self.value)}"


TransformFunc = Callable[[str, str], tuple[str, str]]


class FieldSelector:
    """AND of field terms. Immutable."""

    __slots__ = ("terms",)

    def __init__(self, terms: Iterable[FieldTerm] = ()) -> None:
        self.terms: tuple[FieldTerm, ...] = tuple(terms)

    def matches(self, fields: Mapping[str, str]) -> bool:
        for t in self.terms:
            v = fields.get(t.field, "")
            if (v == t.value) == t.negated:
                return False
        return True

    def empty(self) -> bool:
        return not self.terms

    def requires_exact_match(self, field: str) -> str | None:
        """The value a selector requires for a field (a single "=" term), else None."""
        for t in self.terms:
            if t.field == field and not t.negated:
                return t.value
        return None

    def transform(self, fn: TransformFunc) -> FieldSelector:
        """Rename/convert each term; an empty field name drops the term (as upstream)."""
        out: list[FieldTerm] = []
        for t in self.terms:
            field, value = fn(t.field, t.value)
            if field:
                out.append(FieldTerm(field, value, t.negated))
        return FieldSelector(out)

    def __str__(self) -> str:
        return ",".join(str(t) for t in self.terms)

    def __repr__(self) -> str:
        return f"FieldSelector({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FieldSelector):
            return NotImplemented
        return self.terms == other.terms

    def __hash__(self) -> int:
        return hash(self.terms)


EVERYTHING: Final = FieldSelector()


def _split_terms(s: str) -> list[str]:
    if not s:
        return []
    terms: list[str] = []
    start = 0
    in_slash = False
    for i, c in enumerate(s):
        if in_slash:
            in_slash = False
        elif c == "\\":
            in_slash = True
        elif c == ",":
            terms.append(s[start:i])
            start = i + 1
    terms.append(s[start:])
    return terms


_OPERATORS: Final = ("!=", "==", "=")


def _split_term(term: str) -> tuple[str, str, str] | None:
    for i in range(len(term)):
        for op in _OPERATORS:
            if term.startswith(op, i):
                return term[:i], op, term[i + len(op) :]
    return None


def parse_field_selector(s: str) -> FieldSelector:
    """fields.ParseSelector. Raises FieldSelectorParseError with upstream's message."""
    parts = sorted(_split_terms(s))
    terms: list[FieldTerm] = []
    for part in parts:
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise FieldSelectorParseError(f"invalid selector: '{s}'; can't understand '{part}'")
        lhs, op, rhs = split
        value = unescape_value(rhs)
        terms.append(FieldTerm(lhs, value, op == "!="))
    return FieldSelector(terms)


def one_term_equal(field: str, value: str) -> FieldSelector:
    return FieldSelector([FieldTerm(field, value)])


# -- field label conversion (per external group/version/kind) -------------------------------

_META: Final = ("metadata.name", "metadata.namespace")


def _default_conversion(label: str, value: str) -> tuple[str, str]:
    """runtime.DefaultMetaV1FieldSelectorConversion."""
    if label in _META:
        return label, value
    raise FieldSelectorParseError(
        f'"{label}" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )


def _allowed(
    labels: Iterable[str],
    message: str = "field label not supported: {}",
    renames: Mapping[str, str] | None = None,
) -> TransformFunc:
    allowed = frozenset(labels)
    ren = dict(renames or {})

    def convert(label: str, value: str) -> tuple[str, str]:
        if label in ren:
            return ren[label], value
        if label in allowed:
            return label, value
        raise FieldSelectorParseError(message.format(label))

    return convert


_EVENTS_V1_MAPPING: Final = {
    "reason": "reason",
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    "reportingController": "reportingComponent",
    "type": "type",
    "metadata.namespace": "metadata.namespace",
    "metadata.name": "metadata.name",
}

_CORE_EVENT_FIELDS: Final = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
)

# (group, kind) -> conversion; kinds not listed use the default (metadata.name/namespace)
_CONVERSIONS: Final[dict[tuple[str, str], TransformFunc]] = {
    ("", "Pod"): _allowed(
        (
            "metadata.name",
            "metadata.namespace",
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ),
        # backwards compatibility with old v1 clients which send spec.host
        renames={"spec.host": "spec.nodeName"},
    ),
    ("", "Node"): _allowed(("metadata.name", "spec.unschedulable")),
    ("", "ReplicationController"): _allowed(("metadata.name", "metadata.namespace", "status.replicas")),
    ("", "Event"): _allowed(_CORE_EVENT_FIELDS),
    ("", "Namespace"): _allowed(("status.phase", "metadata.name")),
    ("", "Secret"): _allowed(("type", "metadata.namespace", "metadata.name")),
    ("", "Service"): _allowed(("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type")),
    ("events.k8s.io", "Event"): _allowed((), renames=_EVENTS_V1_MAPPING),
    ("batch", "Job"): _allowed(("metadata.name", "metadata.namespace", "status.successful")),
    ("apps", "StatefulSet"): _allowed(
        ("metadata.name", "metadata.namespace", "status.successful"),
        "field label not supported for appsv1beta2.StatefulSet: {}",
    ),
    ("certificates.k8s.io", "CertificateSigningRequest"): _allowed(("metadata.name", "spec.signerName")),
}


def conversion_for(group: str, kind: str) -> TransformFunc:
    return _CONVERSIONS.get((group, kind), _default_conversion)


def convert_field_selector(group: str, kind: str, sel: FieldSelector) -> FieldSelector:
    """Convert a parsed selector to the internal field names of a kind (raises on unsupported)."""
    if sel.empty():
        return sel
    return sel.transform(conversion_for(group, kind))


def validate_field_selector(group: str, kind: str, sel: FieldSelector) -> str | None:
    """Upstream's error message for an unsupported field label, or None when all are supported."""
    try:
        convert_field_selector(group, kind, sel)
    except FieldSelectorParseError as e:
        return str(e)
    return None


def selectable_fields(group: str, kind: str) -> tuple[str, ...]:
    """The field labels a kind accepts (external names), for documentation and errors."""
    conv = _CONVERSIONS.get((group, kind))
    if conv is None:
        return _META
    out: list[str] = []
    candidates = set(_META) | set(_CORE_EVENT_FIELDS) | set(_EVENTS_V1_MAPPING) | set(_ALL_SPECIFIC)
    for label in sorted(candidates):
        try:
            conv(label, "")
        except FieldSelectorParseError:
            continue
        out.append(label)
    return tuple(out)


_ALL_SPECIFIC: Final = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
    "spec.unschedulable",
    "status.replicas",
    "type",
    "spec.clusterIP",
    "spec.type",
    "status.successful",
    "spec.signerName",
)


# -- selectable field sets (per registry strategy) ------------------------------------------


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _meta_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    md = obj.get("metadata") or {}
    return {"metadata.name": _s(md.get("name")), "metadata.namespace": _s(md.get("namespace"))}


def _pod_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    pod_ips = status.get("podIPs") or []
    pod_ip = _s(pod_ips[0].get("ip")) if pod_ips else _s(status.get("podIP"))
    return {
        "spec.nodeName": _s(spec.get("nodeName")),
        "spec.restartPolicy": _s(spec.get("restartPolicy")),
        "spec.schedulerName": _s(spec.get("schedulerName")),
        "spec.serviceAccountName": _s(spec.get("serviceAccountName")),
        "spec.hostNetwork": "true" if spec.get("hostNetwork") else "false",
        "status.phase": _s(status.get("phase")),
        "status.podIP": pod_ip,
        "status.nominatedNodeName": _s(status.get("nominatedNodeName")),
    }


def _event_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    if "regarding" in obj or str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        io = obj.get("regarding") or {}
        source = (obj.get("deprecatedSource") or {}).get("component") or obj.get("reportingController")
        reporting = obj.get("reportingController")
    else:
        io = obj.get("involvedObject") or {}
        source = (obj.get("source") or {}).get("component") or obj.get("reportingComponent")
        reporting = obj.get("reportingComponent")
    return {
        "involvedObject.kind": _s(io.get("kind")),
        "involvedObject.namespace": _s(io.get("namespace")),
        "involvedObject.name": _s(io.get("name")),
        "involvedObject.uid": _s(io.get("uid")),
        "involvedObject.apiVersion": _s(io.get("apiVersion")),
        "involvedObject.resourceVersion": _s(io.get("resourceVersion")),
        "involvedObject.fieldPath": _s(io.get("fieldPath")),
        "reason": _s(obj.get("reason")),
        "reportingComponent": _s(reporting),
        "source": _s(source),
        "type": _s(obj.get("type")),
    }


def _status_int(obj: Mapping[str, Any], name: str) -> str:
    return str(int((obj.get("status") or {}).get(name) or 0))


_SPECIFIC: Final[dict[str, Callable[[Mapping[str, Any]], dict[str, str]]]] = {
    "/Pod": _pod_fields,
    "/Event": _event_fields,
    "events.k8s.io/Event": _event_fields,
    "/Secret": lambda o: {"type": _s(o.get("type"))},
    "/Node": lambda o: {
        "spec.unschedulable": "true" if (o.get("spec") or {}).get("unschedulable") else "false"
    },
    "/Namespace": lambda o: {
        "status.phase": _s((o.get("status") or {}).get("phase")),
        "name": _s((o.get("metadata") or {}).get("name")),
    },
    "/Service": lambda o: {
        "spec.clusterIP": _s((o.get("spec") or {}).get("clusterIP")),
        "spec.type": _s((o.get("spec") or {}).get("type")),
    },
    "/ReplicationController": lambda o: {"status.replicas": _status_int(o, "replicas")},
    "apps/ReplicaSet": lambda o: {"status.replicas": _status_int(o, "replicas")},
    "batch/Job": lambda o: {"status.successful": _status_int(o, "succeeded")},
    "certificates.k8s.io/CertificateSigningRequest": lambda o: {
        "spec.signerName": _s((o.get("spec") or {}).get("signerName"))
    },
    "/PersistentVolume": lambda o: {"name": _s((o.get("metadata") or {}).get("name"))},
    "/PersistentVolumeClaim": lambda o: {"name": _s((o.get("metadata") or {}).get("name"))},
}


def field_set(group: str, kind: str, obj: Mapping[str, Any]) -> dict[str, str]:
    """The selectable fields of a stored object (internal names, as the converted selector)."""
    fields = _meta_fields(obj)
    specific = _SPECIFIC.get(f"{group}/{kind}")
    if specific is not None:
        fields.update(specific(obj))
    return fields


def custom_field_set(obj: Mapping[str, Any], json_paths: Iterable[str]) -> dict[str, str]:
    """Fields of a custom resource: metadata plus CRD ``selectableFields`` (".spec.color" paths).

    Scalars render as upstream (strings as-is, booleans "true"/"false", numbers as decimals);
    missing or non-scalar values are left out (they never match an "=" term).
    """
    fields = _meta_fields(obj)
    for path in json_paths:
        cur: Any = obj
        for part in path.lstrip(".").split("."):
            if not isinstance(cur, Mapping) or part not in cur:
                cur = None
                break
            cur = cur[part]
        if isinstance(cur, bool | int | float | str):
            fields[path.lstrip(".")] = _s(cur)
    return fields


def matches_object(group: str, kind: str, sel: FieldSelector, obj: Mapping[str, Any]) -> bool:
    """Does a converted selector match an object (empty selectors match everything)."""
    if sel.empty():
        return True
    return sel.matches(field_set(group, kind, obj))
