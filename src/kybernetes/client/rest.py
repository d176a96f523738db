"""An async REST client for the Kubernetes API (the role of client-go's rest.RESTClient).

* :class:`RESTClient` talks HTTPS (CA, client certificate or bearer token from a
  :class:`~kybernetes.client.kubeconfig.KubeConfig`) over one pooled aiohttp session;
  every request has a timeout; bodies are JSON dicts in and out.
* Non-2xx answers raise :class:`ApiError` carrying the decoded ``metav1.Status``.
* :meth:`RESTClient.watch` iterates ``(type, object)`` from a chunked watch stream;
  an ``ERROR`` event (for example 410 Gone: the resourceVersion is too old) is raised
  as :class:`ApiError` so callers can relist.
* :func:`resource_path` builds ``/api/v1/namespaces/ns/pods/name/status`` style paths.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import orjson

from kybernetes.api.resources import lookup
from kybernetes.client.kubeconfig import KubeConfig

log = logging.getLogger(__name__)

Obj = dict[str, Any]
Params = Mapping[str, str | int | bool | None]

PATCH_CONTENT_TYPES: Final = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}

DEFAULT_TIMEOUT: Final = 30.0
USER_AGENT: Final = "kybernetes/v0.1.0"


class ApiError(Exception):
    """A non-2xx answer from the API server; ``status`` is the decoded ``metav1.Status``."""

    def __init__(self, status: Obj, code: int) -> None:
        self.status = status
        self.code = code
        super().__init__(f"{code} {self.reason}: {self.message}")

    @property
    def reason(self) -> str:
        return str(self.status.get("reason") or "")

    @property
    def message(self) -> str:
        return str(self.status.get("message") or "")

    @property
    def details(self) -> Obj:
        d = self.status.get("details")
        return d if isinstance(d, dict) else {}


def is_not_found(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.code == 404


def is_conflict(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.code == 409 and e.reason == "Conflict"


def is_already_exists(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.code == 409 and e.reason == "AlreadyExists"


def is_gone(e: BaseException) -> bool:
    return isinstance(e, ApiError) and e.code == 410


def _status_from_body(raw: bytes, code: int, reason: str) -> Obj:
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return body
    message = raw.decode(errors="replace").strip() or reason or f"status code {code}"
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": _reason_for_code(code),
        "code": code,
    }


def _reason_for_code(code: int) -> str:
    return {
        400: "BadRequest",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        405: "MethodNotAllowed",
        406: "NotAcceptable",
        409: "Conflict",
        410: "Expired",
        415: "UnsupportedMediaType",
        422: "Invalid",
        429: "TooManyRequests",
        500: "InternalError",
        503: "ServiceUnavailable",
        504: "Timeout",
    }.get(code, "Unknown")


def group_version_prefix(group: str, version: str) -> str:
    return f"/apis/{group}/{version}" if group else f"/api/{version}"


def resource_path(
    group: str,
    version: str,
    resource: str,
    namespace: str | None = None,
    name: str | None = None,
    subresource: str | None = None,
    *,
    namespaced: bool | None = None,
) -> str:
    """The URL path of a collection, an object or a subresource.

    Whether the resource is namespaced comes from the resource table (or ``namespaced``
    for resources the table does not know, e.g. custom resources). A namespaced resource
    without ``namespace`` gives the all-namespaces collection path."""
    if namespaced is None:
        info = lookup(group, version, resource)
        namespaced = info.namespaced if info is not None else bool(namespace)
    parts = [group_version_prefix(group, version)]
    if namespaced and namespace:
        parts.append(f"namespaces/{quote(namespace, safe='')}")
    parts.append(resource)
    if name is not None:
        if not name:
            raise ValueError("resource name may not be empty")
        parts.append(quote(name, safe=""))
        if subresource:
            parts.append(subresource)
    elif subresource:
        raise ValueError("a subresource needs a name")
    return "/".join(parts)


def _clean_params(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in (params or {}).items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = str(v)
    return out


class RESTClient:
    """An async client for one API server. Use as ``async with RESTClient(cfg) as c`` or
    call :meth:`close`. The aiohttp session (a pooled connector) is created lazily inside
    the running event loop. Over HTTP/1.1 every open watch holds one connection, so the
    pool is large: a controller manager watches every resource at once."""

    def __init__(
        self,
        config: KubeConfig,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str = USER_AGENT,
        pool_size: int = 1000,
    ) -> None:
        self.config = config
        self.timeout = timeout
        self.user_agent = user_agent
        self.pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None
        self._ssl = config.ssl_context()

    async def __aenter__(self) -> RESTClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            s, self._session = self._session, None
            await s.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=self._ssl if self._ssl is not None else False,
                limit=self.pool_size,
                keepalive_timeout=60.0,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.user_agent},
                json_serialize=lambda o: orjson.dumps(o).decode(),
                trust_env=False,
            )
        return self._session

    def _headers(self, accept: str = "application/json", content_type: str | None = None) -> dict[str, str]:
        h = {"Accept": accept}
        if content_type:
            h["Content-Type"] = content_type
        token = self.config.bearer_token()
        if token:
            h["Authorization"] = f"Bearer {token}"
        return h

    def url(self, path: str) -> str:
        return self.config.server + (path if path.startswith("/") else "/" + path)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> Obj:
        """Send one request; return the decoded JSON body (``{}`` when empty)."""
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            content_type = content_type or "application/json"
        to = aiohttp.ClientTimeout(total=timeout if timeout is not None else self.timeout)
        session = self._get_session()
        try:
            async with session.request(
                method,
                self.url(path),
                params=_clean_params(params),
                data=data,
                headers=self._headers(content_type=content_type),
                timeout=to,
            ) as resp:
                raw = await resp.read()
                if resp.status >= 300:
                    raise ApiError(_status_from_body(raw, resp.status, resp.reason or ""), resp.status)
        except TimeoutError:
            raise ApiError(
                _status_from_body(b"", 504, "Timeout") | {"message": f"{method} {path}: client timeout"}, 504
            ) from None
        if not raw:
            return {}
        out = orjson.loads(raw)
        return out if isinstance(out, dict) else {"items": out}

    async def get(self, path: str, params: Params | None = None, *, timeout: float | None = None) -> Obj:
        return await self.request("GET", path, params=params, timeout=timeout)

    async def list(self, path: str, params: Params | None = None, *, timeout: float | None = None) -> Obj:
        return await self.request("GET", path, params=params, timeout=timeout)

    async def list_all(self, path: str, params: Params | None = None, *, page_size: int = 500) -> Obj:
        """List following ``continue`` tokens; returns one list whose metadata.resourceVersion is
        the consistent snapshot of the first page."""
        p = dict(_clean_params(params))
        p["limit"] = str(page_size)
        first: Obj | None = None
        items: list[Obj] = []
        while True:
            page = await self.list(path, p)
            if first is None:
                first = page
            items.extend(page.get("items") or [])
            cont = (page.get("metadata") or {}).get("continue")
            if not cont:
                break
            p["continue"] = cont
        assert first is not None
        first["items"] = items
        first.setdefault("metadata", {}).pop("continue", None)
        return first

    async def create(
        self, path: str, body: Obj, params: Params | None = None, *, timeout: float | None = None
    ) -> Obj:
        return await self.request("POST", path, params=params, body=body, timeout=timeout)

    async def update(
        self, path: str, body: Obj, params: Params | None = None, *, timeout: float | None = None
    ) -> Obj:
        return await self.request("PUT", path, params=params, body=body, timeout=timeout)

    async def patch(
        self,
        path: str,
        body: Any,
        patch_type: str = "merge",
        params: Params | None = None,
        *,
        timeout: float | None = None,
    ) -> Obj:
        """``patch_type`` is ``json``, ``merge``, ``strategic``, ``apply`` or a full content type."""
        ct = PATCH_CONTENT_TYPES.get(patch_type, patch_type)
        return await self.request("PATCH", path, params=params, body=body, content_type=ct, timeout=timeout)

    async def delete(
        self,
        path: str,
        body: Obj | None = None,
        params: Params | None = None,
        *,
        propagation_policy: str | None = None,
        preconditions: Obj | None = None,
        grace_period_seconds: int | None = None,
        timeout: float | None = None,
    ) -> Obj:
        opts: Obj = dict(body or {})
        if propagation_policy is not None:
            opts["propagationPolicy"] = propagation_policy
        if preconditions is not None:
            opts["preconditions"] = preconditions
        if grace_period_seconds is not None:
            opts["gracePeriodSeconds"] = grace_period_seconds
        if opts:
            opts.setdefault("kind", "DeleteOptions")
            opts.setdefault("apiVersion", "v1")
        return await self.request("DELETE", path, params=params, body=opts or None, timeout=timeout)

    async def watch(
        self,
        path: str,
        resource_version: str | None = None,
        timeout: float | None = None,
        params: Params | None = None,
        *,
        allow_bookmarks: bool = True,
    ) -> AsyncIterator[tuple[str, Obj]]:
        """Watch a collection from ``resource_version``; yields ``(type, object)`` with type one of
        ADDED, MODIFIED, DELETED, BOOKMARK. ``timeout`` is sent as ``timeoutSeconds`` (the server
        ends the watch then). Raises :class:`ApiError` for an error answer or an ERROR event."""
        p = _clean_params(params)
        p["watch"] = "true"
        if resource_version is not None:
            p["resourceVersion"] = resource_version
        if allow_bookmarks:
            p["allowWatchBookmarks"] = "true"
        if timeout is not None:
            p["timeoutSeconds"] = str(max(1, int(timeout)))
        # the stream lasts as long as the server keeps it; guard connect and idle reads only
        idle = (timeout + 30.0) if timeout is not None else None
        to = aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=idle)
        session = self._get_session()
        try:
            async with session.get(self.url(path), params=p, headers=self._headers(), timeout=to) as resp:
                if resp.status >= 300:
                    raw = await resp.read()
                    raise ApiError(_status_from_body(raw, resp.status, resp.reason or ""), resp.status)
                while True:
                    line = await resp.content.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        continue
                    ev = orjson.loads(line)
                    etype = str(ev.get("type") or "")
                    obj = ev.get("object") or {}
                    if etype == "ERROR":
                        code = int(obj.get("code") or 500) if isinstance(obj, dict) else 500
                        raise ApiError(obj if isinstance(obj, dict) else {}, code)
                    yield etype, obj
        except TimeoutError:
            return
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, asyncio.IncompleteReadError):
            # the server went away mid-stream: end the watch; callers resume from their last RV
            return


__all__ = [
    "PATCH_CONTENT_TYPES",
    "ApiError",
    "RESTClient",
    "group_version_prefix",
    "is_already_exists",
    "is_conflict",
    "is_gone",
    "is_not_found",
    "resource_path",
]
