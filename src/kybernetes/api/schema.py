"""The upstream Kubernetes 1.32 OpenAPI definitions, used as data.

The definitions come from the PyPI package ``kubernetes-validate`` (its
``v1.32.0-local/_definitions.json``). They drive structural validation, the
``/openapi`` documents, ``kubectl explain`` and the patch merge keys.

Schema nodes are plain dicts as stored there (JSON-schema flavoured: ``type`` may be a
list such as ``["string", "null"]``; references are ``{"$ref": "#/$defs/<name>"}``).
:func:`resolve` follows a reference; :func:`property_schema` and :func:`items_schema`
walk down a node.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import orjson

KUBERNETES_VERSION = "1.32.0"
_SCHEMA_DIR = f"v{KUBERNETES_VERSION}-local"
_REF_PREFIX = "#/$defs/"

Schema = dict[str, Any]


def _definitions_path() -> Path:
    """The data file inside the installed kubernetes-validate, found without importing that package
    (its __init__ imports jsonschema and friends: ~180 ms at every start)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package (the upstream schemas) is not installed")
    base = Path(next(iter(spec.submodule_search_locations)))
    return base / "kubernetes-json-schema" / _SCHEMA_DIR / "_definitions.json"


@cache
def definitions() -> dict[str, Schema]:
    """All definitions by their upstream name (e.g. ``io.k8s.api.core.v1.Pod``)."""
    data = orjson.loads(_definitions_path().read_bytes())
    defs: dict[str, Schema] = data["$defs"]
    return defs


@cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, d in definitions().items():
        for gvk in d.get("x-kubernetes-group-version-kind", ()):
            key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
            # meta/v1 kinds (Status, WatchEvent, DeleteOptions...) are listed under many groups;
            # the first definition wins so that real kinds are never shadowed
            index.setdefault(key, name)
    return index


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition name for a group/version/kind, e.g. ('apps','v1','Deployment')."""
    return _gvk_index().get((group, version, kind))


def schema_for(group: str, version: str, kind: str) -> Schema | None:
    name = definition_name(group, version, kind)
    return definitions()[name] if name else None


def ref_name(node: Schema) -> str | None:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
        return ref[len(_REF_PREFIX) :]
    return None


def resolve(node: Schema | None) -> Schema | None:
    """Follow ``$ref`` (and single-element ``allOf``) until a concrete node."""
    seen = 0
    while node is not None and seen < 32:
        name = ref_name(node)
        if name is not None:
            node = definitions().get(name)
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node
        seen += 1
    return node


_PROP_MEMO: dict[tuple[int, str], tuple[Schema, Schema | None]] = {}
_ITEMS_MEMO: dict[int, tuple[Schema, Schema | None]] = {}


def property_schema(node: Schema | None, name: str) -> Schema | None:
    """The schema of property ``name`` of an object node; for maps, the value schema.

    Memoized: schema nodes are long-lived, and the memo keeps each parent alive so its id stays unique.
    """
    if node is None:
        return None
    hit = _PROP_MEMO.get((id(node), name))
    if hit is not None and hit[0] is node:
        return hit[1]
    out = _property_schema(node, name)
    if len(_PROP_MEMO) < 200_000:
        _PROP_MEMO[(id(node), name)] = (node, out)
    return out


def _property_schema(node: Schema | None, name: str) -> Schema | None:
    node = resolve(node)
    if node is None:
        return None
    props = node.get("properties")
    if props and name in props:
        prop: Schema = props[name]
        # keep the extensions written on the property itself (patch strategy lives there)
        target = resolve(prop)
        if target is not prop and target is not None and any(k.startswith("x-") for k in prop):
            merged = dict(target)
            merged.update({k: v for k, v in prop.items() if k.startswith("x-")})
            return merged
        return target
    addl = node.get("additionalProperties")
    if isinstance(addl, dict):
        return resolve(addl)
    return None


def items_schema(node: Schema | None) -> Schema | None:
    if node is None:
        return None
    hit = _ITEMS_MEMO.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    resolved = resolve(node)
    items = resolved.get("items") if resolved is not None else None
    out = resolve(items) if isinstance(items, dict) else None
    if len(_ITEMS_MEMO) < 100_000:
        _ITEMS_MEMO[id(node)] = (node, out)
    return out


def types_of(node: Schema | None) -> set[str]:
    """The JSON types a node admits, without "null"."""
    node = resolve(node)
    if node is None:
        return set()
    t = node.get("type")
    if isinstance(t, str):
        return {t} - {"null"}
    if isinstance(t, list):
        return {x for x in t if x != "null"}
    out: set[str] = set()
    for alt in node.get("oneOf", ()) + node.get("anyOf", ()):
        out |= types_of(alt)
    return out


# ---------------------------------------------------------------- reference navigation
#
# Helpers over any flavour of the definitions: the stored one (``#/$defs/``), OpenAPI v2
# (``#/definitions/``) and OpenAPI v3 (``#/components/schemas/``). Used to compute the
# definitions a document needs and to index extra (CRD) definitions.

_ANY_REF_PREFIXES = (_REF_PREFIX, "#/definitions/", "#/components/schemas/")


def ref_target(node: Schema) -> str | None:
    """The definition name a ``$ref`` node points to, in any of the three flavours."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        for prefix in _ANY_REF_PREFIXES:
            if ref.startswith(prefix):
                return ref[len(prefix) :]
    return None


def referenced_definitions(node: Any) -> set[str]:
    """Names of all definitions referenced anywhere inside ``node`` (not transitively)."""
    out: set[str] = set()
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            name = ref_target(cur)
            if name is not None:
                out.add(name)
            stack.extend(v for v in cur.values() if isinstance(v, dict | list))
        elif isinstance(cur, list):
            stack.extend(v for v in cur if isinstance(v, dict | list))
    return out


def definition_closure(roots: Iterable[str], defs: Mapping[str, Schema] | None = None) -> set[str]:
    """``roots`` plus every definition they reference, transitively (names missing from
    ``defs`` are left out)."""
    table = definitions() if defs is None else defs
    seen: set[str] = set()
    todo = [r for r in roots if r in table]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n for n in referenced_definitions(table[name]) if n not in seen and n in table)
    return seen


def gvk_index_of(defs: Mapping[str, Schema]) -> dict[tuple[str, str, str], str]:
    """(group, version, kind) -> definition name for an arbitrary set of definitions
    (first definition wins, as in :func:`definition_name`)."""
    index: dict[tuple[str, str, str], str] = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", ()) or ():
            key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
            index.setdefault(key, name)
    return index
