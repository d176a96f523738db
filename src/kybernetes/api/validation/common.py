"""Helpers shared by the semantic validators: paths, Go-style value rendering, quantities,
object metadata and label selectors (k8s.io/apimachinery/pkg/api/validation)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from kybernetes.api.validation import field, names
from kybernetes.api.validation.field import FieldError

Obj = dict[str, Any]
Errs = list[FieldError]
NameFn = Callable[[str, bool], list[str]]

TOTAL_ANNOTATION_SIZE_LIMIT: Final = 256 * 1024


# --- value access --------------------------------------------------------------------------


def d(parent: Any, key: str) -> Obj:
    """``parent[key]`` if it is an object, else an empty dict (never stored)."""
    if isinstance(parent, dict):
        v = parent.get(key)
        if isinstance(v, dict):
            return v
    return {}


def lst(parent: Any, key: str) -> list[Any]:
    if isinstance(parent, dict):
        v = parent.get(key)
        if isinstance(v, list):
            return v
    return []


def s(parent: Any, key: str) -> str:
    if isinstance(parent, dict):
        v = parent.get(key)
        if isinstance(v, str):
            return v
    return ""


def i(parent: Any, key: str) -> int | None:
    if isinstance(parent, dict):
        v = parent.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
    return None


def str_map(parent: Any, key: str) -> dict[str, str]:
    return {k: v for k, v in d(parent, key).items() if isinstance(v, str)}


def normalized(value: Any) -> Any:
    """For semantic equality: null, empty lists and empty maps are the same as absent."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            nv = normalized(v)
            if nv is None or nv == [] or nv == {}:
                continue
            out[k] = nv
        return out
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def semantic_equal(a: Any, b: Any) -> bool:
    na, nb = normalized(a), normalized(b)
    if na == {} or na == []:
        na = None
    if nb == {} or nb == []:
        nb = None
    return bool(na == nb)


# --- Go-style rendering of bad values (field.Invalid prints %#v for structs and maps) -------


class GoRepr:
    """A bad value that renders like Go's ``%#v`` in error messages."""

    def __init__(self, text: str, value: Any = None) -> None:
        self.text = text
        self.value = value

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoRepr) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def go_string_map(m: dict[str, str] | None) -> GoRepr:
    if m is None:
        return GoRepr("map[string]string(nil)")
    inner = ", ".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in sorted(m.items()))
    return GoRepr("map[string]string{" + inner + "}", m)


def go_string_slice(values: Iterable[str]) -> GoRepr:
    vals = list(values)
    return GoRepr("[]string{" + ", ".join(json.dumps(v) for v in vals) + "}", vals)


def go_label_selector(sel: Any, pointer: bool = True) -> GoRepr:
    sel = sel if isinstance(sel, dict) else {}
    ml = sel.get("matchLabels")
    labels = go_string_map(ml if isinstance(ml, dict) else None).text
    exprs = [e for e in lst(sel, "matchExpressions") if isinstance(e, dict)]
    if exprs:
        parts = []
        for e in exprs:
            vals = lst(e, "values")
            vtext = go_string_slice(str(v) for v in vals).text if vals else "[]string(nil)"
            parts.append(
                f'v1.LabelSelectorRequirement{{Key:{json.dumps(s(e, "key"))}, Operator:"{s(e, "operator")}", Values:{vtext}}}'
            )
        etext = "[]v1.LabelSelectorRequirement{" + ", ".join(parts) + "}"
    else:
        etext = "[]v1.LabelSelectorRequirement(nil)"
    text = f"v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{etext}}}"
    return GoRepr(("&" if pointer else "") + text, sel)


def go_struct(type_name: str, value: Any) -> GoRepr:
    """A compact rendering of a struct value (upstream prints every field; we print the JSON)."""
    return GoRepr(type_name + json.dumps(normalized(value), separators=(",", ":"), sort_keys=True), value)


# --- numbers and quantities ----------------------------------------------------------------

_SUFFIXES: Final[dict[str, Decimal]] = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY_PARTS: Final = re.compile(
    r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))([eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?"
)


def parse_quantity(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    m = _QUANTITY_PARTS.fullmatch(value)
    if m is None:
        return None
    try:
        number = Decimal(m.group(1))
        suffix = m.group(2) or ""
        if suffix[:1] in ("e", "E"):
            return number * (Decimal(10) ** int(suffix[1:]))
        return number * _SUFFIXES[suffix]
    except (InvalidOperation, KeyError, ValueError):
        return None


def quantity_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def nonnegative(errs: Errs, obj: Any, key: str, path: str) -> None:
    v = i(obj, key)
    if v is not None and v < 0:
        errs.append(field.invalid(f"{path}.{key}" if path else key, v, "must be greater than or equal to 0"))


def immutable(errs: Errs, new: Any, old: Any, path: str, bad_value: Any = None) -> None:
    if not semantic_equal(new, old):
        errs.append(field.invalid(path, new if bad_value is None else bad_value, "field is immutable"))


# --- names ---------------------------------------------------------------------------------


def name_is_dns_subdomain(name: str, prefix: bool) -> list[str]:
    return names.is_dns1123_subdomain(names.mask_trailing_dash(name) if prefix else name)


def name_is_dns_label(name: str, prefix: bool) -> list[str]:
    return names.is_dns1123_label(names.mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    return names.is_dns1035_label(names.mask_trailing_dash(name) if prefix else name)


def name_is_path_segment(name: str, prefix: bool) -> list[str]:
    if prefix:
        return [m for m in names.is_valid_path_segment_name(name) if not m.startswith("may not be '")]
    return names.is_valid_path_segment_name(name)


# --- labels, annotations, metadata --------------------------------------------------------


def validate_labels(errs: Errs, labels: Any, path: str) -> None:
    if not isinstance(labels, dict):
        return
    for k, v in labels.items():
        for msg in names.is_qualified_name(k):
            errs.append(field.invalid(path, k, msg))
        if isinstance(v, str):
            for msg in names.is_valid_label_value(v):
                errs.append(field.invalid(path, v, msg))


def validate_annotations(errs: Errs, annotations: Any, path: str) -> None:
    if not isinstance(annotations, dict):
        return
    total = 0
    for k, v in annotations.items():
        for msg in names.is_qualified_name(k.lower()):
            errs.append(field.invalid(path, k, msg))
        total += len(k.encode()) + (len(v.encode()) if isinstance(v, str) else 0)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(field.too_long(path, "", TOTAL_ANNOTATION_SIZE_LIMIT))


def _validate_owner_references(errs: Errs, refs: list[Any], path: str) -> None:
    first_controller = ""
    for ref in refs:
        if not isinstance(ref, dict):
            continue
        api_version = s(ref, "apiVersion")
        version = api_version.rpartition("/")[2]
        if not version:
            errs.append(field.invalid(path + ".apiVersion", api_version, "version must not be empty"))
        if not s(ref, "kind"):
            errs.append(field.invalid(path + ".kind", s(ref, "kind"), "kind must not be empty"))
        if not s(ref, "name"):
            errs.append(field.invalid(path + ".name", s(ref, "name"), "name must not be empty"))
        if not s(ref, "uid"):
            errs.append(field.invalid(path + ".uid", s(ref, "uid"), "uid must not be empty"))
        if ref.get("controller") is True:
            current = f"{s(ref, 'kind')}/{s(ref, 'name')}"
            if first_controller:
                errs.append(
                    field.invalid(
                        path,
                        go_struct("[]v1.OwnerReference", refs),
                        'Only one reference can have Controller set to true. Found "true" in references for '
                        f"{first_controller} and {current}",
                    )
                )
            else:
                first_controller = current


def _validate_finalizers(errs: Errs, finalizers: list[Any], path: str) -> None:
    strs = [f for f in finalizers if isinstance(f, str)]
    for f in strs:
        for msg in names.is_qualified_name(f):
            errs.append(field.invalid(path, f, msg))
    if "orphan" in strs and "foregroundDeletion" in strs:
        errs.append(
            field.invalid(
                path, go_string_slice(strs), "finalizer orphan and foregroundDeletion cannot be both set"
            )
        )


def _validate_meta_common(errs: Errs, meta: Obj) -> None:
    nonnegative(errs, meta, "generation", "metadata")
    validate_labels(errs, meta.get("labels"), "metadata.labels")
    validate_annotations(errs, meta.get("annotations"), "metadata.annotations")
    _validate_owner_references(errs, lst(meta, "ownerReferences"), "metadata.ownerReferences")


def validate_object_meta(errs: Errs, obj: Obj, name_fn: NameFn) -> None:
    """ValidateObjectMeta (namespace presence is checked by the apiserver)."""
    meta = d(obj, "metadata")
    generate_name = s(meta, "generateName")
    if generate_name:
        for msg in name_fn(generate_name, True):
            errs.append(field.invalid("metadata.generateName", generate_name, msg))
    name = s(meta, "name")
    if not name:
        errs.append(field.required("metadata.name", "name or generateName is required"))
    else:
        for msg in name_fn(name, False):
            errs.append(field.invalid("metadata.name", name, msg))
    _validate_meta_common(errs, meta)
    _validate_finalizers(errs, lst(meta, "finalizers"), "metadata.finalizers")


def validate_object_meta_update(errs: Errs, new: Obj, old: Obj) -> None:
    """ValidateObjectMetaUpdate. Fields the registry copies from the old object before
    validating (uid, creationTimestamp...) are only compared when the new object sets them."""
    nm, om = d(new, "metadata"), d(old, "metadata")
    if om.get("deletionTimestamp"):
        old_f = set(x for x in lst(om, "finalizers") if isinstance(x, str))
        extra = sorted(x for x in lst(nm, "finalizers") if isinstance(x, str) and x not in old_f)
        if extra:
            errs.append(
                field.forbidden(
                    "metadata.finalizers",
                    "no new finalizers can be added if the object is being deleted, found new finalizers "
                    + go_string_slice(extra).text,
                )
            )
    new_gen, old_gen = i(nm, "generation"), i(om, "generation")
    if new_gen is not None and old_gen is not None and new_gen < old_gen:
        errs.append(field.invalid("metadata.generation", new_gen, "must not be decremented"))
    for key in ("name", "namespace"):
        if s(nm, key) != s(om, key):
            errs.append(field.invalid(f"metadata.{key}", s(nm, key), "field is immutable"))
    for key in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
        nv, ov = nm.get(key), om.get(key)
        if nv is not None and nv != ov:
            errs.append(field.invalid(f"metadata.{key}", nv, "field is immutable"))
    _validate_meta_common(errs, nm)
    _validate_finalizers(errs, lst(nm, "finalizers"), "metadata.finalizers")


# --- label selectors -------------------------------------------------------------------------


def validate_label_selector(errs: Errs, sel: Any, path: str) -> None:
    if not isinstance(sel, dict):
        return
    validate_labels(errs, sel.get("matchLabels"), path + ".matchLabels")
    for idx, expr in enumerate(lst(sel, "matchExpressions")):
        if not isinstance(expr, dict):
            continue
        p = f"{path}.matchExpressions[{idx}]"
        op = s(expr, "operator")
        values = lst(expr, "values")
        if op in ("In", "NotIn"):
            if not values:
                errs.append(
                    field.required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'")
                )
        elif op in ("Exists", "DoesNotExist"):
            if values:
                errs.append(
                    field.forbidden(
                        p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    )
                )
        else:
            errs.append(field.invalid(p + ".operator", op, "not a valid selector operator"))
        for msg in names.is_qualified_name(s(expr, "key")):
            errs.append(field.invalid(p + ".key", s(expr, "key"), msg))
        for vi, v in enumerate(values):
            if isinstance(v, str):
                for msg in names.is_valid_label_value(v):
                    errs.append(field.invalid(f"{p}.values[{vi}]", v, msg))


def selector_is_empty(sel: Any) -> bool:
    if not isinstance(sel, dict):
        return True
    return not sel.get("matchLabels") and not lst(sel, "matchExpressions")


def selector_matches(sel: Any, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(sel).Matches(labels); a nil/empty selector matches everything."""
    if not isinstance(sel, dict):
        return True
    for k, v in d(sel, "matchLabels").items():
        if labels.get(k) != v:
            return False
    for expr in lst(sel, "matchExpressions"):
        if not isinstance(expr, dict):
            continue
        key, op, values = s(expr, "key"), s(expr, "operator"), lst(expr, "values")
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
