"""Serving /openapi/v2 and /openapi/v3 from the OpenAPIService (built lazily, off the event loop)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from kybernetes.api.errors import StatusError

if TYPE_CHECKING:
    from kybernetes.api.openapi import Document, OpenAPIService
    from kybernetes.apiserver.server import APIServer

_NOT_FOUND = StatusError(404, "NotFound", "the server could not find the requested resource", {})


class OpenAPIServing:
    def __init__(self, server: APIServer) -> None:
        self.server = server
        self._service: OpenAPIService | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._service = None

    def service(self) -> OpenAPIService:
        if self._service is None:
            from kybernetes.api.openapi import OpenAPIService  # built on first use, not at start

            self._service = OpenAPIService(self.server.served_resources())
        return self._service

    async def serve(self, request: web.Request, path: str) -> web.StreamResponse:
        svc = self.service()
        if path in ("/openapi/v2", "/openapi/v2/"):
            accept = request.headers.get("Accept", "")
            if accept and not any(t in accept for t in ("application/json", "*/*")):
                # we serve v2 as JSON only; clients asking only for protobuf fall back on a 406
                raise StatusError(406, "NotAcceptable", "only the following media types are accepted: application/json")
            doc = await asyncio.to_thread(svc.v2_document)
            return _respond(request, doc, "application/json")
        if path in ("/openapi/v3", "/openapi/v3/"):
            doc = await asyncio.to_thread(svc.v3_index_document)
            return _respond(request, doc, "application/json")
        if path.startswith("/openapi/v3/"):
            key = path[len("/openapi/v3/") :].strip("/")
            d = await asyncio.to_thread(svc.v3_document, key)
            if d is None:
                raise _NOT_FOUND
            return _respond(request, d, "application/json", immutable="hash" in request.query)
        raise _NOT_FOUND


def _respond(request: web.Request, doc: Document, content_type: str, immutable: bool = False) -> web.StreamResponse:
    headers = {"Content-Type": content_type, "ETag": doc.etag, "Vary": "Accept"}
    if immutable:
        headers["Cache-Control"] = "public, immutable"
        headers["Expires"] = "Fri, 01 Jan 2100 00:00:00 GMT"
    else:
        headers["Cache-Control"] = "no-cache, private"
    if request.headers.get("If-None-Match") == doc.etag:
        return web.Response(status=304, headers=headers)
    return web.Response(body=doc.data, headers=headers)
