"""Resource handlers: get, list, watch, create, update, patch, delete, deletecollection."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

import orjson
from aiohttp import web

from kybernetes.api import errors
from kybernetes.api import schema as sch
from kybernetes.api.errors import StatusError
from kybernetes.api.printers import table_for
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.validation import structural
from kybernetes.apiserver import responses
from kybernetes.apiserver.negotiation import (
    JSON,
    MAX_BODY_BYTES,
    PATCH_TYPES,
    Representation,
    decode_body,
    decode_json,
    decode_yaml,
    media_type,
    negotiate,
)
from kybernetes.apiserver.requestinfo import RequestInfo
from kybernetes.registry.options import DeleteOptions, ListOptions, WriteOptions
from kybernetes.registry.store import ResourceStore
from kybernetes.registry.watchcache import CachedObject

log = logging.getLogger(__name__)

Obj = dict[str, Any]

BOOKMARK_INTERVAL = 60.0
MIN_REQUEST_TIMEOUT = 1800
_TRUE = ("true", "1", "True")


def _q(request: web.Request, name: str, default: str = "") -> str:
    return request.query.get(name, default)


def _int_param(request: web.Request, name: str) -> int | None:
    v = request.query.get(name)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise errors.bad_request(f'invalid value for {name}: "{v}"') from None


def list_options(request: web.Request) -> ListOptions:
    sie = request.query.get("sendInitialEvents")
    return ListOptions(
        label_selector=_q(request, "labelSelector"),
        field_selector=_q(request, "fieldSelector"),
        limit=max(0, _int_param(request, "limit") or 0),
        continue_token=_q(request, "continue"),
        resource_version=_q(request, "resourceVersion"),
        resource_version_match=_q(request, "resourceVersionMatch"),
        watch=_q(request, "watch") in _TRUE,
        allow_watch_bookmarks=_q(request, "allowWatchBookmarks") in _TRUE,
        timeout_seconds=_int_param(request, "timeoutSeconds"),
        send_initial_events=None if sie is None else sie in _TRUE,
    )


def dry_run(request: web.Request) -> bool:
    values = request.query.getall("dryRun", [])
    for v in values:
        if v != "All":
            raise errors.bad_request(f'Invalid dryRun value: "{v}"; supported values: "All"')
    return bool(values)


def field_validation(request: web.Request) -> str:
    v = request.query.get("fieldValidation", "")
    if v == "":
        return "Warn"
    if v not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{v}": supported values: "Ignore", "Strict", "Warn"'
        )
    return v


def field_manager(request: web.Request, required: bool = False) -> str:
    fm = request.query.get("fieldManager", "")
    if fm:
        if len(fm) > 128:
            raise errors.invalid("meta.k8s.io", "PatchOptions", "", [])
        return fm
    if required:
        raise errors.bad_request("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
    ua = request.headers.get("User-Agent", "")
    return ua.split("/", 1)[0][:128] or "unknown"


async def read_body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise errors.request_entity_too_large("the server has received too large of a request body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise errors.request_entity_too_large("the server has received too large of a request body")
        chunks.append(chunk)
    return b"".join(chunks)


def check_fields(info: ResourceInfo, obj: Obj, mode: str, warnings: list[str]) -> None:
    """Structural checks: type errors are 400s; unknown fields fail (Strict), warn and drop (Warn) or drop."""
    type_errors, unknown = structural.check(obj)
    if type_errors:
        detail = ", ".join(str(e) for e in type_errors)
        raise errors.bad_request(
            f'{info.kind} in version "{info.version}" cannot be handled as a {info.kind}: {detail}'
        )
    if not unknown:
        return
    if mode == "Strict":
        raise errors.bad_request(
            "strict decoding error: " + ", ".join(f'unknown field "{p.lstrip(".")}"' for p in unknown)
        )
    prune_paths(obj, unknown)
    if mode == "Warn":
        warnings.extend(f'unknown field "{p.lstrip(".")}"' for p in unknown)


def _path_tokens(path: str) -> list[str | int]:
    """`spec.containers[0].foo` -> ["spec", "containers", 0, "foo"]; `data[a.b].x` -> ["data", "a.b", "x"]."""
    out: list[str | int] = []
    i, n = 0, len(path)
    while i < n:
        if path[i] == ".":
            i += 1
            continue
        if path[i] == "[":
            j = path.find("]", i)
            if j < 0:
                break
            tok = path[i + 1 : j]
            out.append(int(tok) if tok.isdigit() else tok)
            i = j + 1
            continue
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        out.append(path[i:j])
        i = j
    return out


def prune_paths(obj: Obj, paths: list[str]) -> None:
    """Drop unknown fields, as upstream's decoder does when it does not fail on them."""
    for p in paths:
        toks = _path_tokens(p.lstrip("."))
        cur: Any = obj
        for t in toks[:-1]:
            if isinstance(cur, dict) and not isinstance(t, int):
                cur = cur.get(t)
            elif isinstance(cur, list) and isinstance(t, int) and 0 <= t < len(cur):
                cur = cur[t]
            elif isinstance(cur, dict):
                cur = cur.get(str(t))
            else:
                cur = None
            if cur is None:
                break
        last = toks[-1] if toks else None
        if isinstance(cur, dict) and last is not None:
            cur.pop(str(last), None)


def warning_headers(warnings: list[str]) -> dict[str, str] | None:
    if not warnings:
        return None
    # aiohttp cannot repeat a header through a dict; upstream sends one header per warning,
    # clients also accept them joined with ", "
    return {"Warning": ", ".join('299 - ' + orjson.dumps(w).decode() for w in warnings)}


class ResourceHandlers:
    """HTTP verbs on one resource's store."""

    def __init__(self, server: Any) -> None:
        self.server = server

    # --- entry ----------------------------------------------------------------------------------
    async def handle(self, request: web.Request, ri: RequestInfo, rs: ResourceStore) -> web.StreamResponse:
        info = rs.info
        verb = ri.verb
        if verb not in info.verbs:
            raise errors.method_not_supported(info.group, info.resource, verb)
        if info.namespaced is False and ri.namespace and info.resource != "namespaces":
            raise errors.not_found(info.group, info.resource, ri.name or "")
        ns = ri.namespace if info.namespaced else ""
        if verb == "get":
            rep = negotiate(request.headers.get("Accept"))
            c = await rs.get_cached(ns, ri.name, _q(request, "resourceVersion"))
            return responses.object_response(info, c, rep, include_object=_q(request, "includeObject"))
        if verb == "list":
            return await self.list(request, rs, ns)
        if verb == "watch":
            opts = list_options(request)
            if ri.name:
                opts.field_selector = ",".join(x for x in (opts.field_selector, f"metadata.name={ri.name}") if x)
            return await self.watch(request, rs, ns, opts)
        if verb == "create":
            return await self.create(request, rs, ns)
        if verb == "update":
            return await self.update(request, rs, ns, ri.name, "")
        if verb == "patch":
            return await self.patch(request, rs, ns, ri.name, "")
        if verb == "delete":
            return await self.delete(request, rs, ns, ri.name)
        if verb == "deletecollection":
            return await self.delete_collection(request, rs, ns)
        raise errors.method_not_supported(info.group, info.resource, verb)

    # --- reads ----------------------------------------------------------------------------------
    async def list(self, request: web.Request, rs: ResourceStore, ns: str) -> web.StreamResponse:
        opts = list_options(request)
        if opts.watch:
            return await self.watch(request, rs, ns, opts)
        rep = negotiate(request.headers.get("Accept"))
        res = await rs.list(ns, opts)
        return responses.list_response(rs.info, res, rep, _q(request, "includeObject"))

    async def watch(self, request: web.Request, rs: ResourceStore, ns: str, opts: ListOptions) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        info = rs.info
        include_object = _q(request, "includeObject") or "Metadata"
        resp = web.StreamResponse(
            status=200,
            headers={"Content-Type": responses._content_type(rep), "Cache-Control": "no-cache, private"},
        )
        try:
            start = await rs.watch(ns, opts)
        except StatusError as e:
            if e.code != 410:
                raise
            # upstream answers a too-old watch with an ERROR event in a 200 stream
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            await resp.write(orjson.dumps({"type": "ERROR", "object": e.status()}) + b"\n")
            await resp.write_eof()
            return resp
        watcher = start.watcher
        timeout = opts.timeout_seconds
        if timeout is None or timeout <= 0:
            timeout = int(MIN_REQUEST_TIMEOUT * (1 + random.random()))
        deadline = time.monotonic() + timeout
        self.server.metrics.watchers_inc(info)
        sent_columns = False

        def encode_event(type_: str, c: CachedObject) -> bytes:
            nonlocal sent_columns
            if rep.as_kind == "Table":
                table = table_for(info, [c.obj], include_object=include_object)
                table["apiVersion"] = f"meta.k8s.io/{rep.version}"
                if sent_columns:
                    table["columnDefinitions"] = []
                sent_columns = True
                obj_bytes = orjson.dumps(table)
            elif rep.as_kind in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                obj_bytes = orjson.dumps(responses.partial_metadata(c.obj, rep.version))
            else:
                return rs.output(c).event_line(type_)
            return b'{"type":"' + type_.encode() + b'","object":' + obj_bytes + b"}\n"

        def bookmark(rv: int, initial_end: bool = False) -> bytes:
            meta: Obj = {"resourceVersion": str(rv), "creationTimestamp": None}
            if initial_end:
                meta["annotations"] = {"k8s.io/initial-events-end": "true"}
            obj = {"kind": info.kind, "apiVersion": info.api_version, "metadata": meta}
            return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"

        try:
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            if start.initial:
                chunk: list[bytes] = []
                for t, c in start.initial:
                    chunk.append(encode_event(t, c))
                    if len(chunk) >= 500:
                        await resp.write(b"".join(chunk))
                        chunk = []
                if chunk:
                    await resp.write(b"".join(chunk))
            if opts.send_initial_events and opts.allow_watch_bookmarks:
                await resp.write(bookmark(start.resource_version, initial_end=True))
            else:
                # flush headers so clients see the stream is open
                await resp.drain()
            last_bookmark = time.monotonic()
            while True:
                now = time.monotonic()
                remaining = deadline - now
                if remaining <= 0:
                    break
                wait = min(remaining, 5.0)
                batch = await watcher.next_batch(wait)
                if watcher.overflowed:
                    break
                transport = request.transport
                if transport is None or transport.is_closing():
                    break
                if batch:
                    await resp.write(b"".join(encode_event(t, c) for t, c in batch))
                elif watcher.closed:
                    break
                if opts.allow_watch_bookmarks and time.monotonic() - last_bookmark >= BOOKMARK_INTERVAL:
                    await resp.write(bookmark(self.server.registry.dispatcher.revision))
                    last_bookmark = time.monotonic()
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            rs.stop_watch(watcher)
            self.server.metrics.watchers_dec(info)
        return resp

    # --- writes ---------------------------------------------------------------------------------
    def _write_opts(self, request: web.Request) -> WriteOptions:
        return WriteOptions(
            dry_run=dry_run(request),
            field_manager=field_manager(request),
            field_validation=field_validation(request),
        )

    async def _decode_object(self, request: web.Request, rs: ResourceStore, opts: WriteOptions) -> Obj:
        raw = await read_body(request)
        obj = decode_body(raw, request.headers.get("Content-Type"))
        if not isinstance(obj, dict):
            raise errors.bad_request("the object provided is unrecognized or malformed: expected a JSON object")
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        if (kind is not None and not isinstance(kind, str)) or (api_version is not None and not isinstance(api_version, str)):
            raise errors.bad_request("Object 'Kind' is missing or invalid in the provided object")
        if kind and api_version and (kind != rs.info.kind or api_version != rs.info.api_version):
            # upstream accepts other versions of the same group/kind through conversion; we serve one
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rs.info.api_version})"
                if kind == rs.info.kind
                else f"the kind in the data ({kind}) does not match the expected kind ({rs.info.kind})"
                if api_version == rs.info.api_version
                else f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rs.info.api_version})"
            )
        if (not kind and api_version) or (kind and not api_version):
            raise errors.bad_request(
                "Object 'Kind' is missing in the provided object" if not kind
                else "Object 'apiVersion' is missing in the provided object"
            )
        obj.setdefault("kind", rs.info.kind)
        obj.setdefault("apiVersion", rs.info.api_version)
        check_fields(rs.info, obj, opts.field_validation, opts.warnings)
        return obj

    async def create(self, request: web.Request, rs: ResourceStore, ns: str) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        opts = self._write_opts(request)
        obj = await self._decode_object(request, rs, opts)
        out = await rs.create(ns, obj, opts)
        return responses.object_response(rs.info, out, rep, 201, headers=warning_headers(opts.warnings))

    async def update(self, request: web.Request, rs: ResourceStore, ns: str, name: str, sub: str) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        opts = self._write_opts(request)
        obj = await self._decode_object(request, rs, opts)
        out, created = await rs.update(ns, name, obj, opts, sub)
        return responses.object_response(rs.info, out, rep, 201 if created else 200,
                                         headers=warning_headers(opts.warnings))

    async def patch(self, request: web.Request, rs: ResourceStore, ns: str, name: str, sub: str) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        ptype = PATCH_TYPES.get(media_type(request.headers.get("Content-Type")))
        if ptype is None or ptype == "apply-cbor":
            raise errors.unsupported_media_type(
                ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml",
                 "application/strategic-merge-patch+json"]
            )
        opts = self._write_opts(request)
        raw = await read_body(request)
        info = rs.info
        if ptype == "apply":
            out = await self.server.apply_patch(request, rs, ns, name, sub, raw, opts)
            return responses.object_response(info, out, rep, headers=warning_headers(opts.warnings))
        patch_doc = decode_json(raw) if raw.strip() else None
        from kybernetes.apiserver.patch.json import apply_json_patch
        from kybernetes.apiserver.patch.merge import apply_merge_patch
        from kybernetes.apiserver.patch.strategic import apply_strategic_merge_patch

        schema = sch.schema_for(info.group, info.version, info.kind)
        field_mode = opts.field_validation

        async def apply(cur: Obj) -> Obj:
            if ptype == "json":
                out = apply_json_patch(cur, patch_doc)  # type: ignore[arg-type]
            elif ptype == "merge":
                out = apply_merge_patch(cur, patch_doc)  # type: ignore[arg-type]
            else:
                out = apply_strategic_merge_patch(cur, patch_doc, schema)  # type: ignore[arg-type]
            if not isinstance(out, dict):
                raise errors.bad_request("the patch result is not an object")
            opts.warnings.clear()
            check_fields(info, out, field_mode, opts.warnings)
            if sub == "" and out.get("kind") == info.kind:
                rs.strategy.default(out)
            return out

        out = await rs.update_with(ns, name, apply, opts, sub)
        return responses.object_response(info, out, rep, headers=warning_headers(opts.warnings))

    def _delete_opts(self, request: web.Request, body: Obj | None) -> DeleteOptions:
        opts = DeleteOptions(dry_run=dry_run(request))
        opts.grace_period_seconds = _int_param(request, "gracePeriodSeconds")
        pp = request.query.get("propagationPolicy")
        if pp:
            opts.propagation_policy = pp
        od = request.query.get("orphanDependents")
        if od is not None:
            opts.orphan_dependents = od in _TRUE
        if body:
            if body.get("gracePeriodSeconds") is not None:
                try:
                    opts.grace_period_seconds = int(body["gracePeriodSeconds"])
                except (TypeError, ValueError):
                    raise errors.bad_request("gracePeriodSeconds must be an integer") from None
            if body.get("propagationPolicy"):
                opts.propagation_policy = str(body["propagationPolicy"])
            if body.get("orphanDependents") is not None:
                opts.orphan_dependents = bool(body["orphanDependents"])
            if isinstance(body.get("preconditions"), dict):
                opts.preconditions = body["preconditions"]
            if body.get("dryRun"):
                if body["dryRun"] != ["All"]:
                    raise errors.bad_request('Invalid dryRun value; supported values: "All"')
                opts.dry_run = True
        if opts.propagation_policy and opts.orphan_dependents is not None:
            raise errors.invalid("meta.k8s.io", "DeleteOptions", "", [])
        return opts

    async def _delete_body(self, request: web.Request) -> Obj | None:
        raw = await read_body(request)
        if not raw.strip():
            return None
        mt = media_type(request.headers.get("Content-Type"))
        body = decode_yaml(raw) if mt == "application/yaml" else decode_json(raw)
        if body is not None and not isinstance(body, dict):
            raise errors.bad_request("the body of a delete must be a DeleteOptions object")
        return body

    async def delete(self, request: web.Request, rs: ResourceStore, ns: str, name: str) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        opts = self._delete_opts(request, await self._delete_body(request))
        obj, deleted = await rs.delete(ns, name, opts)
        status = 200 if deleted else 202
        info = rs.info
        if deleted and not self.server.return_deleted_object(info):
            return responses.json_response(responses.success_status(info, obj), status)
        return responses.object_response(info, obj, rep, status)

    async def delete_collection(self, request: web.Request, rs: ResourceStore, ns: str) -> web.StreamResponse:
        rep = negotiate(request.headers.get("Accept"))
        opts = self._delete_opts(request, await self._delete_body(request))
        lopts = list_options(request)
        items = await rs.delete_collection(ns, lopts, opts)
        info = rs.info
        body = {
            "kind": info.list_kind,
            "apiVersion": info.api_version,
            "metadata": {"resourceVersion": str(self.server.registry.dispatcher.revision)},
            "items": items,
        }
        return responses.raw_response(responses.encode(body, Representation(rep.media)), Representation(rep.media))


__all__ = ["JSON", "ResourceHandlers", "check_fields", "list_options", "read_body"]
