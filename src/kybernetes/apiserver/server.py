"""The API server: HTTPS, authentication, authorization, routing to discovery, OpenAPI and resources."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from kybernetes.api import errors
from kybernetes.api.errors import StatusError
from kybernetes.api.resources import ResourceInfo, all_resources, lookup
from kybernetes.api.schema import KUBERNETES_VERSION
from kybernetes.apiserver import responses
from kybernetes.apiserver.auth.authn import (
    BearerTokenAuthenticator,
    StaticTokenAuthenticator,
    UnionAuthenticator,
    X509Authenticator,
    auth_request_from_transport,
    is_anonymous_path,
)
from kybernetes.apiserver.auth.authz import AlwaysAllowAuthorizer, Attributes, Authorizer, Decision
from kybernetes.apiserver.auth.pki import Pki, ensure_pki
from kybernetes.apiserver.auth.serviceaccount import TokenAuthenticator, TokenIssuer
from kybernetes.apiserver.auth.user import UserInfo
from kybernetes.apiserver.discovery import Discovery, wants_aggregated
from kybernetes.apiserver.handlers import ResourceHandlers
from kybernetes.apiserver.metrics import InstrumentedStore, Metrics
from kybernetes.apiserver.negotiation import JSON, Representation
from kybernetes.apiserver.openapi_serving import OpenAPIServing
from kybernetes.apiserver.requestinfo import RequestInfo, parse_request_info
from kybernetes.apiserver.subresources import Subresources
from kybernetes.registry.registry import Registry
from kybernetes.registry.store import ResourceStore
from kybernetes.registry.watchcache import DEFAULT_HISTORY
from kybernetes.storage.factory import create_store
from kybernetes.storage.interface import Store

log = logging.getLogger(__name__)

Obj = dict[str, Any]

_RETURN_DELETED = frozenset({("", "pods"), ("", "services"), ("", "namespaces"), ("", "persistentvolumes")})
AUTH_CACHE_SECONDS = 10.0
BOOTSTRAP_RECONCILE_SECONDS = 10.0
_HEALTH_CHECKS = ("ping", "log", "etcd", "informer-sync", "poststarthook/start-apiserver-admission-initializer",
                  "poststarthook/bootstrap-controller", "poststarthook/rbac/bootstrap-roles",
                  "poststarthook/scheduling/bootstrap-system-priority-classes")


@dataclass
class APIServerConfig:
    data_dir: Path
    datastore: str = ""  # default sqlite:///<data_dir>/state.db
    bind_address: str = "127.0.0.1"
    port: int = 6443
    advertise_address: str = "127.0.0.1"
    token_auth_file: Path | None = None
    extra_sans: list[str] = field(default_factory=list)
    watch_cache_size: int = DEFAULT_HISTORY  # events kept per resource for watches from a past resourceVersion
    compaction_interval: float = 300.0  # seconds; 0 disables compaction


class APIServer:
    def __init__(self, config: APIServerConfig, store: Store | None = None) -> None:
        self.config = config
        self.metrics = Metrics()
        self._store_override = store
        self.store: Store | None = None
        self.registry: Registry
        self.pki: Pki
        self.discovery: Discovery
        self.handlers = ResourceHandlers(self)
        self.subresources = Subresources(self)
        self.authorizer: Authorizer = AlwaysAllowAuthorizer()
        self._runner: web.AppRunner | None = None
        self.port = config.port
        self.ready = False
        self._started_at = time.time()
        self.openapi = OpenAPIServing(self)

    # --- lifecycle ------------------------------------------------------------------------------
    async def start(self) -> None:
        cfg = self.config
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.pki = await asyncio.to_thread(
            ensure_pki, cfg.data_dir / "pki", [cfg.advertise_address, *cfg.extra_sans]
        )
        inner = self._store_override or create_store(cfg.datastore or f"sqlite:///{cfg.data_dir / 'state.db'}")
        self.store = InstrumentedStore(inner, self.metrics)
        await self.store.start()
        self.registry = Registry(self.store, watch_cache_size=cfg.watch_cache_size)
        await self.registry.start()
        self.token_issuer = TokenIssuer(self.pki.sa_private_key_pem)
        self._setup_authn()
        self.discovery = Discovery(self.served_resources(), f"{cfg.advertise_address}:{cfg.port}")
        app = web.Application(client_max_size=4 * 1024 * 1024, handler_args={"max_field_size": 65536})
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, cfg.bind_address, cfg.port, ssl_context=self.pki.server_ssl_context(), backlog=1024,
            reuse_address=True,
        )
        await site.start()
        server = site._server
        if server is not None and cfg.port == 0:
            sockets = getattr(server, "sockets", None) or []
            if sockets:
                self.port = sockets[0].getsockname()[1]
                self.discovery.server_address = f"{cfg.advertise_address}:{self.port}"
        await self.registry.bootstrap(cfg.advertise_address, self.port)
        self.ready = True
        tune_gc()
        loop = asyncio.get_running_loop()
        # the OpenAPI documents (~16 MiB) are built on first request, not at start
        self._bootstrap_task = loop.create_task(self._bootstrap_loop(), name="bootstrap-controller")
        if cfg.compaction_interval > 0:
            self._compactor = loop.create_task(self._compact_loop(cfg.compaction_interval), name="compactor")
        log.info("API server listening on https://%s:%d", cfg.bind_address, self.port)

    async def _bootstrap_loop(self, interval: float = BOOTSTRAP_RECONCILE_SECONDS) -> None:
        """Keep the system namespaces and the `kubernetes` Service with its endpoints (the bootstrap controller)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.registry.bootstrap(self.config.advertise_address, self.port)
            except Exception:
                log.exception("bootstrap reconcile failed")

    async def _compact_loop(self, interval: float) -> None:
        """Compact the store to the revision seen one interval ago (as kube-apiserver's compactor does)."""
        assert self.store is not None
        last = 0
        while True:
            await asyncio.sleep(interval)
            try:
                if last > 0:
                    await self.store.compact(last)
                last = await self.store.current_revision()
            except Exception:
                log.exception("compaction failed")

    async def stop(self) -> None:
        self.ready = False
        for name in ("_compactor", "_bootstrap_task"):
            task = getattr(self, name, None)
            if task is not None:
                task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        if hasattr(self, "registry"):
            await self.registry.close()
        if self.store is not None:
            await self.store.close()

    @property
    def url(self) -> str:
        host = self.config.advertise_address
        return f"https://{host}:{self.port}"

    def served_resources(self) -> list[ResourceInfo]:
        return list(all_resources())

    def _setup_authn(self) -> None:
        token_auths: list[Any] = []
        if self.config.token_auth_file is not None:
            token_auths.append(StaticTokenAuthenticator.from_file(self.config.token_auth_file))
        token_auths.append(
            TokenAuthenticator(self.pki.sa_public_key_pem, lookup=self._sa_lookup, bound_lookup=self._bound_lookup)
        )
        self.authenticator = UnionAuthenticator(
            X509Authenticator(self.pki.ca_cert_pem), BearerTokenAuthenticator(token_auths)
        )
        self._auth_cache: dict[tuple[str, Any], tuple[UserInfo, float]] = {}

    async def _sa_lookup(self, namespace: str, name: str, uid: str) -> bool:
        rs = self.registry.core("serviceaccounts")
        c = rs.cache.get(rs.key(namespace, name))
        if c is None:
            return False
        return not uid or c.obj.get("metadata", {}).get("uid") == uid

    async def _bound_lookup(self, namespace: str, kind: str, name: str, uid: str) -> bool:
        resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}.get(kind)
        if resource is None:
            return False
        rs = self.registry.core(resource)
        c = rs.cache.get(rs.key(namespace if rs.info.namespaced else "", name))
        if c is None:
            return False
        meta = c.obj.get("metadata", {})
        return (not uid or meta.get("uid") == uid) and not meta.get("deletionTimestamp")

    def return_deleted_object(self, info: ResourceInfo) -> bool:
        return (info.group, info.resource) in _RETURN_DELETED

    # --- the one handler --------------------------------------------------------------------------
    async def _authenticate(self, request: web.Request) -> UserInfo | None:
        """Authenticate a request; results are cached for 10 s per credential, as upstream caches tokens."""
        authz = request.headers.get("Authorization")
        key: tuple[str, Any] | None = None
        if authz:
            key = ("token", authz)
        elif request.transport is not None:
            ssl_obj = request.transport.get_extra_info("ssl_object")
            der = ssl_obj.getpeercert(binary_form=True) if ssl_obj is not None else None
            if der is not None:
                key = ("cert", der)
        now = time.monotonic()
        if key is not None:
            hit = self._auth_cache.get(key)
            if hit is not None and hit[1] > now:
                return hit[0]
        user = await self.authenticator.authenticate(auth_request_from_transport(request.headers, request.transport))
        if key is not None and user is not None:
            if len(self._auth_cache) > 4096:
                self._auth_cache.clear()
            self._auth_cache[key] = (user, now + AUTH_CACHE_SECONDS)
        return user

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        start = time.perf_counter()
        path = request.path
        ri = parse_request_info(request.method, path, request.query)
        code = 500
        try:
            user = await self._authenticate(request)
            if user is None and not is_anonymous_path(path):
                raise errors.unauthorized()
            request["user"] = user
            if user is not None:
                await self._authorize(user, ri)
            resp = await self._route(request, ri)
            code = resp.status
            return resp
        except StatusError as e:
            code = e.code
            return responses.status_response(e)
        except web.HTTPException:
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            code = 499
            raise
        except Exception as e:  # never a traceback to the client
            log.exception("internal error serving %s %s", request.method, path)
            code = 500
            return responses.status_response(errors.internal(type(e).__name__ + ": " + str(e)))
        finally:
            if ri.is_resource_request:
                verb = ri.verb.upper() if ri.verb not in ("watch",) else "WATCH"
                scope = "cluster" if not ri.namespace else ("resource" if ri.name else "namespace")
                self.metrics.observe_request(
                    verb, "dryRun" in request.query, ri.api_group, ri.api_version, ri.resource, ri.subresource, scope,
                    code, time.perf_counter() - start,
                )

    async def _authorize(self, user: UserInfo, ri: RequestInfo) -> None:
        attrs = Attributes(
            user=user, verb=ri.verb, namespace=ri.namespace, api_group=ri.api_group, api_version=ri.api_version,
            resource=ri.resource, subresource=ri.subresource, name=ri.name, path=ri.path,
            resource_request=ri.is_resource_request,
        )
        decision, reason = await self.authorizer.authorize(attrs)
        if decision != Decision.ALLOW:
            from kybernetes.apiserver.auth.authz import forbidden_error

            raise forbidden_error(attrs, reason)

    async def _route(self, request: web.Request, ri: RequestInfo) -> web.StreamResponse:
        path = ri.path
        if ri.is_resource_request:
            return await self._resource(request, ri)
        if path in ("/api", "/api/", "/apis", "/apis/") or path.startswith(("/api/", "/apis/")):
            return self._discovery(request, ri)
        if path == "/version" or path == "/version/":
            return responses.json_response(self.version())
        if path in ("/healthz", "/livez", "/readyz") or path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return self._health(request, path)
        if path == "/metrics":
            return web.Response(body=self.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
        if path.startswith("/openapi/"):
            return await self.openapi.serve(request, path)
        if path == "/" or path == "":
            return responses.json_response({"paths": self._root_paths()})
        raise StatusError(404, "NotFound", "the server could not find the requested resource", {})

    def _root_paths(self) -> list[str]:
        paths = ["/api", "/api/v1", "/apis", "/apis/"]
        for g in self.discovery.group_names():
            paths.append(f"/apis/{g}")
            for v in self.discovery.versions(g):
                paths.append(f"/apis/{g}/{v}")
        paths += ["/healthz", "/livez", "/metrics", "/openapi/v2", "/openapi/v3", "/openapi/v3/", "/readyz", "/version"]
        return sorted(paths)

    def version(self) -> Obj:
        major, minor, _patch = KUBERNETES_VERSION.split(".")
        from kybernetes import __version__

        return {
            "major": major,
            "minor": minor,
            "emulationMajor": major,
            "emulationMinor": minor,
            "gitVersion": f"v{KUBERNETES_VERSION}+kyb-{__version__}",
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-11-01T00:00:00Z",
            "goVersion": "go1.23.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def _health(self, request: web.Request, path: str) -> web.Response:
        endpoint = path.strip("/").split("/")[0]
        checks = list(_HEALTH_CHECKS)
        if endpoint == "livez":
            checks = [c for c in checks if c != "informer-sync"]
        if endpoint == "readyz":
            checks.insert(3, "shutdown")
        sub = path.strip("/").split("/", 1)[1] if "/" in path.strip("/") else ""
        ok = self.ready
        if sub:
            if sub not in checks:
                raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
            return web.Response(text="ok" if ok else f"[-]{sub} failed: not ready", status=200 if ok else 500)
        excluded = set(request.query.getall("exclude", []))
        if "verbose" in request.query:
            lines = [f"[+]{c} ok" if ok or c == "ping" else f"[-]{c} failed: reason withheld" for c in checks]
            for c in sorted(excluded):
                lines.append(f"[+]{c} excluded: ok")
            lines.append(f"{endpoint} check passed" if ok else f"{endpoint} check failed")
            return web.Response(text="\n".join(lines) + "\n", status=200 if ok else 500)
        return web.Response(text="ok" if ok else f"{endpoint} check failed", status=200 if ok else 500)

    def _discovery(self, request: web.Request, ri: RequestInfo) -> web.Response:
        accept = request.headers.get("Accept")
        path = ri.path.rstrip("/")
        agg = wants_aggregated(accept)
        if path in ("/api", "/apis") and agg:
            body = self.discovery.aggregated(legacy=path == "/api", version=agg)
            return web.Response(
                body=orjson.dumps(body),
                headers={"Content-Type": f"application/json;g=apidiscovery.k8s.io;v={agg};as=APIGroupDiscoveryList",
                         "Vary": "Accept", "Cache-Control": "no-cache, private"},
            )
        if path == "/api":
            return responses.json_response(self.discovery.api_versions())
        if path == "/apis":
            return responses.json_response(self.discovery.api_group_list())
        if path == "/api/v1":
            rl = self.discovery.resource_list("", "v1")
            assert rl is not None
            return responses.json_response(rl)
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "apis":
            g = self.discovery.api_group(parts[2])
            if g is not None:
                return responses.json_response(g)
        if len(parts) == 4 and parts[1] == "apis":
            rl = self.discovery.resource_list(parts[2], parts[3])
            if rl is not None:
                return responses.json_response(rl)
        raise StatusError(404, "NotFound", "the server could not find the requested resource", {})


    async def _resource(self, request: web.Request, ri: RequestInfo) -> web.StreamResponse:
        info = lookup(ri.api_group, ri.api_version, ri.resource)
        if info is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
        if ri.subresource or not getattr(info, "stored", True):
            return await self.subresources.handle(request, ri, info)
        rs = self.registry.store_for(info.group, info.version, info.resource)
        if rs is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
        if info.namespaced and ri.name and not ri.namespace and ri.verb not in ("list", "watch"):
            raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
        return await self.handlers.handle(request, ri, rs)

    def resource_store(self, info: ResourceInfo) -> ResourceStore:
        rs = self.registry.store_for(info.group, info.version, info.resource)
        if rs is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
        return rs

    async def apply_patch(
        self, request: web.Request, rs: ResourceStore, ns: str, name: str, sub: str, raw: bytes, opts: Any
    ) -> Obj:
        raise errors.unsupported_media_type(
            ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json"]
        )


def tune_gc() -> None:
    """The cyclic GC walks every tracked object on full collections, and the watch cache holds one per
    stored object: keep what start-up made out of it (freeze) and collect the young generation less
    often (each request allocates many short-lived containers)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


__all__ = ["JSON", "APIServer", "APIServerConfig", "Representation"]
