"""Building HTTP responses: objects, lists, tables, statuses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from aiohttp import web

from kybernetes.api.errors import StatusError
from kybernetes.api.printers import table_for
from kybernetes.api.resources import ResourceInfo
from kybernetes.apiserver.negotiation import JSON, YAML, Representation, to_yaml
from kybernetes.registry.store import ListResult
from kybernetes.registry.watchcache import CachedObject

Obj = dict[str, Any]


def _content_type(rep: Representation) -> str:
    if rep.as_kind:
        return f"{rep.media};as={rep.as_kind};g={rep.group};v={rep.version}"
    return rep.media


def raw_response(body: bytes, rep: Representation, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    h = {"Content-Type": _content_type(rep), "Cache-Control": "no-cache, private"}
    if headers:
        h.update(headers)
    return web.Response(body=body, status=status, headers=h)


def encode(obj: Any, rep: Representation) -> bytes:
    if rep.media == YAML:
        return to_yaml(obj)
    return orjson.dumps(obj)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return raw_response(orjson.dumps(obj), Representation(JSON), status, headers)


def status_response(err: StatusError, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(err.status(), err.code, headers)


def success_status(info: ResourceInfo, obj: Obj) -> Obj:
    meta = obj.get("metadata") or {}
    details: Obj = {"name": meta.get("name", "")}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.resource
    if meta.get("uid"):
        details["uid"] = meta["uid"]
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}


def partial_metadata(obj: Obj, version: str) -> Obj:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": f"meta.k8s.io/{version}",
        "metadata": obj.get("metadata", {}),
    }


def object_response(
    info: ResourceInfo, obj: Obj | CachedObject, rep: Representation, status: int = 200,
    include_object: str = "", headers: dict[str, str] | None = None,
) -> web.Response:
    if rep.as_kind == "Table":
        plain = obj.obj if isinstance(obj, CachedObject) else obj
        table = table_for(info, [plain], include_object=include_object or "Metadata")
        table["apiVersion"] = f"meta.k8s.io/{rep.version}"
        return raw_response(encode(table, rep), rep, status, headers)
    if rep.as_kind == "PartialObjectMetadata":
        plain = obj.obj if isinstance(obj, CachedObject) else obj
        return raw_response(encode(partial_metadata(plain, rep.version), rep), rep, status, headers)
    if rep.as_kind == "PartialObjectMetadataList":
        raise_not_acceptable()
    if isinstance(obj, CachedObject):
        body = obj.json() if rep.media == JSON else to_yaml(obj.obj)
    else:
        body = encode(obj, rep)
    return raw_response(body, rep, status, headers)


def raise_not_acceptable() -> None:
    from kybernetes.api import errors

    raise errors.not_acceptable("only the following media types are accepted: application/json, application/yaml")


def list_meta(res: ListResult) -> Obj:
    meta: Obj = {"resourceVersion": str(res.resource_version)}
    if res.continue_token:
        meta["continue"] = res.continue_token
    if res.remaining is not None:
        meta["remainingItemCount"] = res.remaining
    return meta


def list_response(
    info: ResourceInfo, res: ListResult, rep: Representation, include_object: str = ""
) -> web.Response:
    meta = list_meta(res)
    if rep.as_kind == "Table":
        table = table_for(info, [c.obj for c in res.items], include_object=include_object or "Metadata", list_meta=meta)
        table["apiVersion"] = f"meta.k8s.io/{rep.version}"
        return raw_response(encode(table, rep), rep)
    if rep.as_kind in ("PartialObjectMetadataList", "PartialObjectMetadata"):
        pl: Obj = {
            "kind": "PartialObjectMetadataList",
            "apiVersion": f"meta.k8s.io/{rep.version}",
            "metadata": meta,
            "items": [partial_metadata(c.obj, rep.version) for c in res.items],
        }
        return raw_response(encode(pl, rep), Representation(rep.media, "PartialObjectMetadataList", rep.version, rep.group))
    if rep.media == YAML:
        body_obj = {"kind": info.list_kind, "apiVersion": info.api_version, "metadata": meta,
                    "items": [c.obj for c in res.items]}
        return raw_response(to_yaml(body_obj), rep)
    head = b'{"kind":"' + info.list_kind.encode() + b'","apiVersion":"' + info.api_version.encode() + b'","metadata":'
    parts: Sequence[bytes] = [c.json() for c in res.items]
    body = head + orjson.dumps(meta) + b',"items":[' + b",".join(parts) + b"]}"
    return raw_response(body, rep)
