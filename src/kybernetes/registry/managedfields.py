"""metadata.managedFields: which manager set which field, recorded on every write.

Fields are tracked as upstream's FieldsV1 trees (``f:<field>``, ``k:<merge keys json>``
for items of keyed lists, ``v:<value json>`` for items of set lists, ``.`` for the
container itself). A write by a manager with operation Update gives it every field the
write changed and takes those fields from the other managers. Server-side apply (a
later piece) builds on the same field sets.
"""

from __future__ import annotations

from typing import Any

import orjson

from kybernetes.api import schema as sch
from kybernetes.api.resources import ResourceInfo
from kybernetes.util.timefmt import now_rfc3339

Obj = dict[str, Any]
Path = tuple[str, ...]

_SKIP_META = frozenset(
    {
        "name", "namespace", "uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
        "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "generateName",
    }
)


def _key_of(item: Any, keys: list[str]) -> str | None:
    if not isinstance(item, dict):
        return None
    present = {k: item[k] for k in keys if k in item}
    if not present:
        return None
    return "k:" + orjson.dumps(present, option=orjson.OPT_SORT_KEYS).decode()


def leaves(value: Any, node: sch.Schema | None, prefix: Path, out: dict[Path, Any], top: bool = False) -> None:
    """Collect every owned path of value with the value found there (containers map to None)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if top and k in ("apiVersion", "kind"):
                continue
            if prefix == ("f:metadata",) and k in _SKIP_META:
                continue
            child_node = sch.property_schema(node, k) if node is not None else None
            p = (*prefix, "f:" + k)
            if isinstance(v, dict | list) and v and not _atomic(child_node, v):
                if not top:
                    out[(*p, ".")] = None
                leaves(v, child_node, p, out)
            else:
                out[p] = v
    elif isinstance(value, list):
        items_node = sch.items_schema(node) if node is not None else None
        keys = _list_keys(node)
        for item in value:
            if keys:
                k = _key_of(item, keys)
                if k is None:
                    continue
                p = (*prefix, k)
                out[(*p, ".")] = None
                if isinstance(item, dict):
                    leaves(item, items_node, p, out)
            elif _is_set(node):
                out[(*prefix, "v:" + orjson.dumps(item).decode())] = None


def _list_keys(node: sch.Schema | None) -> list[str]:
    if node is None:
        return []
    keys = node.get("x-kubernetes-list-map-keys")
    if keys:
        return list(keys)
    mk = node.get("x-kubernetes-patch-merge-key")
    return [mk] if mk else []


def _is_set(node: sch.Schema | None) -> bool:
    if node is None:
        return False
    return node.get("x-kubernetes-list-type") == "set" or (
        "merge" in str(node.get("x-kubernetes-patch-strategy", "")) and not _list_keys(node)
    )


def _atomic(node: sch.Schema | None, value: Any) -> bool:
    if isinstance(value, list):
        return not (_list_keys(node) or _is_set(node))
    if node is None:
        return False
    return node.get("x-kubernetes-map-type") == "atomic"


def to_tree(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for p in sorted(paths):
        t = tree
        for part in p:
            t = t.setdefault(part, {})
    return tree


def from_tree(tree: Obj, prefix: Path = ()) -> set[Path]:
    out: set[Path] = set()
    for k, v in tree.items():
        p = (*prefix, k)
        if isinstance(v, dict) and v:
            out |= from_tree(v, p)
        else:
            out.add(p)
    return out


class ManagedFields:
    def __init__(self) -> None:
        self.enabled = True

    def _schema(self, info: ResourceInfo) -> sch.Schema | None:
        return sch.schema_for(info.group, info.version, info.kind)

    def _paths(self, info: ResourceInfo, obj: Obj, subresource: str) -> dict[Path, Any]:
        out: dict[Path, Any] = {}
        node = self._schema(info)
        body = {k: v for k, v in obj.items() if k != "status"} if subresource != "status" else {"status": obj.get("status")}
        if subresource != "status" and not info.has_status and "status" in obj:
            body["status"] = obj["status"]
        leaves(body, node, (), out, top=True)
        return out

    def on_create(self, info: ResourceInfo, obj: Obj, manager: str) -> None:
        meta = obj["metadata"]
        meta.pop("managedFields", None)
        if not manager:
            return
        paths = set(self._paths(info, obj, ""))
        if paths:
            meta["managedFields"] = [self._entry(info, manager, "Update", paths, "")]

    def on_update(self, info: ResourceInfo, new: Obj, old: Obj, manager: str, subresource: str) -> None:
        meta = new["metadata"]
        entries: list[Obj] = list(old.get("metadata", {}).get("managedFields") or [])
        if not manager:
            meta["managedFields"] = entries
            return
        sub = subresource if subresource == "status" else ""
        new_leaves = self._paths(info, new, sub)
        old_leaves = self._paths(info, old, sub)
        changed = {p for p, v in new_leaves.items() if p not in old_leaves or old_leaves[p] != v}
        removed = set(old_leaves) - set(new_leaves)
        present = set(new_leaves)
        out: list[Obj] = []
        mine: set[Path] = set()
        for e in entries:
            paths = from_tree(e.get("fieldsV1") or {})
            if e.get("manager") == manager and e.get("operation") == "Update" and (e.get("subresource") or "") == sub:
                mine = paths
                continue
            kept = (paths - changed - removed) & present if (e.get("subresource") or "") == sub else paths
            if kept:
                e = dict(e)
                e["fieldsV1"] = to_tree(kept)
                out.append(e)
        mine = (mine | changed) & present
        if mine:
            out.append(self._entry(info, manager, "Update", mine, sub))
        meta["managedFields"] = out

    @staticmethod
    def _entry(info: ResourceInfo, manager: str, operation: str, paths: set[Path], subresource: str) -> Obj:
        e: Obj = {
            "manager": manager,
            "operation": operation,
            "apiVersion": info.api_version,
            "time": now_rfc3339(),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_tree(paths),
        }
        if subresource:
            e["subresource"] = subresource
        return e
