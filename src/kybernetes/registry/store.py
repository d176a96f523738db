"""The generic REST store: CRUD of one resource over the Store, as upstream's genericregistry.Store.

Handles the API conventions common to every resource: uid, resourceVersion,
generation, creationTimestamp, generateName, optimistic concurrency, the status split,
finalizers and graceful deletion, propagation policies, dry-run, and list/watch
served from the watch cache.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from kybernetes.api import conversion, errors
from kybernetes.api.errors import StatusError
from kybernetes.api.fieldselectors import (
    convert_field_selector,
    parse_field_selector,
    validate_field_selector,
)
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.selectors import parse_selector
from kybernetes.api.validation import field as fe
from kybernetes.registry.options import DeleteOptions, ListOptions, WriteOptions
from kybernetes.registry.strategy import Strategy
from kybernetes.registry.watchcache import (
    CacheDispatcher,
    CachedObject,
    CacheWatcher,
    TooOldResourceVersionError,
    WatchCache,
)
from kybernetes.storage.interface import (
    CompactedError,
    ConflictError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
)
from kybernetes.util.ids import random_suffix, uuid4
from kybernetes.util.timefmt import now_rfc3339

if TYPE_CHECKING:
    from kybernetes.registry.registry import Registry

Obj = dict[str, Any]
# a function that turns the current object into the desired one (for PATCH and internal updates)
UpdateFunc = Callable[[Obj], Awaitable[Obj]]

_MAX_GENERATE_ATTEMPTS = 8
_MAX_CONFLICT_RETRIES = 16
_FREEZE_METADATA = ("uid", "creationTimestamp", "name", "namespace", "selfLink")


def generate_name(base: str) -> str:
    return base[: 63 - 5] + random_suffix(5)


def encode_for_storage(obj: Obj) -> bytes:
    """orjson bytes without metadata.resourceVersion (it is the key's mod revision).

    apiVersion, kind and metadata come first, so the watch cache can splice the
    resourceVersion into the first `"metadata":{` of the bytes.
    """
    meta = obj.get("metadata") or {}
    rv = meta.pop("resourceVersion", None)
    try:
        ordered = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": meta}
        for k, v in obj.items():
            if k not in ordered:
                ordered[k] = v
        return orjson.dumps(ordered)
    finally:
        if rv is not None:
            meta["resourceVersion"] = rv


def _stamp(obj: Obj, kv: KeyValue) -> Obj:
    obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
    return obj


@dataclass(slots=True)
class ListResult:
    items: list[CachedObject]
    resource_version: int
    continue_token: str = ""
    remaining: int | None = None


@dataclass(slots=True)
class WatchStart:
    watcher: CacheWatcher
    initial: list[tuple[str, CachedObject]]
    resource_version: int  # the rv the initial events bring the client to


def encode_continue(rv: int, start_key: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str, prefix: str) -> tuple[int, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        if not isinstance(data, dict) or data.get("v") != "meta.k8s.io/v1":
            raise ValueError("unknown version")
        rv = int(data["rv"])
        start = str(data["start"])
        if rv <= 0 or ".." in start or start.startswith("/"):
            raise ValueError("invalid start")
        return rv, prefix + start
    except (ValueError, KeyError, TypeError, binascii.Error, orjson.JSONDecodeError) as e:
        raise errors.bad_request(f"continue key is not valid: {e}") from None


class ResourceStore:
    """CRUD for one resource (one group/version/resource as served)."""

    def __init__(
        self,
        info: ResourceInfo,
        registry: Registry,
        cache: WatchCache,
        strategy: Strategy,
    ) -> None:
        self.info = info
        self.registry = registry
        self.storage = registry.storage
        self.dispatcher: CacheDispatcher = registry.dispatcher
        self.cache = cache
        self.strategy = strategy
        self.prefix = info.storage_prefix()
        self._namespaced = info.namespaced
        self._needs_conversion = info.stored_version != info.version or (
            info.storage_group is not None and info.storage_group != info.group
        )
        self._stored_api_version = (
            f"{info.stored_group}/{info.stored_version}" if info.stored_group else info.stored_version
        )

    # --- keys and conversion -------------------------------------------------------------------
    def key(self, namespace: str, name: str) -> str:
        if self._namespaced:
            return f"{self.prefix}{namespace}/{name}"
        return self.prefix + name

    def namespace_prefix(self, namespace: str) -> str:
        if self.info.namespaced and namespace:
            return f"{self.prefix}{namespace}/"
        return self.prefix

    def to_storage(self, obj: Obj) -> Obj:
        if not self._needs_conversion:
            return obj
        return conversion.convert(obj, self._stored_api_version)

    def from_storage(self, obj: Obj) -> Obj:
        if not self._needs_conversion:
            return obj
        return conversion.convert(obj, self.info.api_version)

    def output(self, cached: CachedObject) -> CachedObject:
        """The cached object as this version serves it (same object when no conversion)."""
        if not self._needs_conversion:
            return cached
        return CachedObject(cached.key, conversion.convert(cached.copy(), self.info.api_version), cached.rv)

    def _not_found(self, name: str) -> StatusError:
        return errors.not_found(self.info.group, self.info.resource, name)

    # --- reads --------------------------------------------------------------------------------
    async def _fresh(self, resource_version: str) -> None:
        if resource_version == "0":
            return
        if resource_version:
            rv = _parse_rv(resource_version)
            if not await self.dispatcher.wait_for(rv, 3.0):
                raise StatusError(
                    504, "Timeout", f"Too large resource version: {rv}, current: {self.dispatcher.revision}",
                    {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                     "retryAfterSeconds": 1},
                )
            return
        if not await self.dispatcher.wait_fresh(3.0):
            raise errors.timeout("the watch cache did not catch up with storage in time")

    async def get_cached(self, namespace: str, name: str, resource_version: str = "") -> CachedObject:
        await self._fresh(resource_version)
        c = self.cache.get(self.key(namespace, name))
        if c is None:
            raise self._not_found(name)
        return self.output(c)

    async def get(self, namespace: str, name: str, resource_version: str = "") -> Obj:
        return (await self.get_cached(namespace, name, resource_version)).copy()

    def _predicate(self, opts: ListOptions) -> Callable[[CachedObject], bool] | None:
        label_sel = None
        field_sel = None
        if opts.label_selector:
            try:
                label_sel = parse_selector(opts.label_selector)
            except ValueError as e:
                raise errors.bad_request(f"unable to parse requirement: {e}" if "unable to parse" not in str(e) else str(e)) from None
            if label_sel.empty():
                label_sel = None
        if opts.field_selector:
            try:
                field_sel = parse_field_selector(opts.field_selector)
            except ValueError as e:
                raise errors.bad_request(str(e)) from None
            problem = validate_field_selector(self.info.group, self.info.kind, field_sel)
            if problem:
                raise errors.bad_request(problem)
            field_sel = convert_field_selector(self.info.group, self.info.kind, field_sel)
            if field_sel.empty():
                field_sel = None
        if label_sel is None and field_sel is None:
            return None
        fields_fn = self.cache.fields_fn

        def matches(c: CachedObject) -> bool:
            if label_sel is not None and not label_sel.matches(c.labels):
                return False
            if field_sel is not None and not field_sel.matches(c.fields(fields_fn)):
                return False
            return True

        return matches

    async def list(self, namespace: str, opts: ListOptions) -> ListResult:
        pred = self._predicate(opts)
        key_prefix = self.namespace_prefix(namespace)
        exact = opts.resource_version_match == "Exact"
        if opts.resource_version_match and opts.resource_version_match not in ("Exact", "NotOlderThan"):
            raise errors.bad_request(
                f'resourceVersionMatch: Unsupported value: "{opts.resource_version_match}": '
                'supported values: "Exact", "NotOlderThan"'
            )
        if opts.resource_version_match and not opts.resource_version:
            raise errors.invalid("meta.k8s.io", "ListOptions", "", [
                fe.forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided")])
        if opts.continue_token or (opts.limit > 0 and opts.resource_version != "0") or exact:
            return await self._list_from_storage(key_prefix, pred, opts)
        await self._fresh(opts.resource_version)
        rv = self.dispatcher.revision
        items = self.cache.list(key_prefix)
        if pred is not None:
            items = [c for c in items if pred(c)]
        if self._needs_conversion:
            items = [self.output(c) for c in items]
        return ListResult(items, rv)

    async def _list_from_storage(
        self, key_prefix: str, pred: Callable[[CachedObject], bool] | None, opts: ListOptions
    ) -> ListResult:
        start_key = ""
        revision = 0
        if opts.continue_token:
            if opts.resource_version and opts.resource_version != "0":
                raise errors.bad_request("specifying resource version is not allowed when using continue")
            revision, start_key = decode_continue(opts.continue_token, self.prefix)
            if not start_key.startswith(key_prefix):
                raise errors.bad_request("continue key is not valid: the key is not under the requested prefix")
        elif opts.resource_version and opts.resource_version != "0":
            revision = _parse_rv(opts.resource_version)
            if opts.resource_version_match != "Exact":
                # NotOlderThan: any revision at least this new; take the current one
                await self._fresh(opts.resource_version)
                revision = 0
        limit = opts.limit if opts.limit > 0 else 0
        out: list[CachedObject] = []
        more = False
        last_key = ""
        remaining: int | None = None
        try:
            while True:
                batch = limit - len(out) if limit else 0
                if pred is not None and batch:
                    batch = max(batch, 100)
                res = await self.storage.range(key_prefix, start_key=start_key or key_prefix, limit=batch, revision=revision)
                revision = res.revision
                for i, kv in enumerate(res.kvs):
                    c = CachedObject(kv.key, _decode_stamped(kv), kv.mod_revision)
                    if pred is None or pred(c):
                        out.append(c)
                        last_key = kv.key
                        if limit and len(out) >= limit:
                            more = res.more or i + 1 < len(res.kvs)
                            if pred is None:
                                remaining = res.count - (i + 1)
                            break
                else:
                    if res.more and res.kvs:
                        start_key = res.kvs[-1].key + "\x00"
                        continue
                break
        except CompactedError:
            raise errors.resource_expired(
                "The provided continue parameter is too old to display a consistent list result. You can start "
                "a new list without the continue parameter, or use the continue token in this response to "
                "retrieve the remainder of the results. Continuing with the provided token results in an "
                "inconsistent list - objects that were created, modified, or deleted between the time the first "
                "chunk was returned and now may show up in the list."
                if opts.continue_token
                else "The resourceVersion for the provided list is too old."
            ) from None
        token = encode_continue(revision, last_key[len(self.prefix) :] + "\x00") if more else ""
        if self._needs_conversion:
            out = [self.output(c) for c in out]
        return ListResult(out, revision, token, remaining if more and remaining else None)

    async def watch(self, namespace: str, opts: ListOptions, name: str = "") -> WatchStart:
        """Start a watch: initial events (if the client asked for state) then live ones."""
        pred = self._predicate(opts)
        key_prefix = self.namespace_prefix(namespace)
        if name:
            key_prefix = self.key(namespace, name)
            base = pred

            def pred_name(c: CachedObject) -> bool:
                return c.key == key_prefix and (base is None or base(c))

            pred = pred_name
        rv_str = opts.resource_version
        send_initial = opts.send_initial_events
        if send_initial is None:
            send_initial = rv_str in ("", "0")
        watcher = CacheWatcher(key_prefix, pred)
        initial: list[tuple[str, CachedObject]] = []
        if send_initial:
            if rv_str not in ("", "0"):
                await self._fresh(rv_str)
            elif rv_str == "" and opts.send_initial_events:
                await self._fresh("")
            rv = self.dispatcher.revision
            for c in self.cache.list(key_prefix):
                if pred is None or pred(c):
                    initial.append(("ADDED", c))
            self.cache.add_watcher(watcher)
            # events after rv that were already applied before we registered
            for ev in self.cache.events_since(rv):
                watcher.offer(ev)
            return WatchStart(watcher, initial, rv)
        rv = _parse_rv(rv_str)
        if rv > self.dispatcher.revision and not await self.dispatcher.wait_for(rv, 3.0):
            raise StatusError(
                504, "Timeout", f"Too large resource version: {rv}, current: {self.dispatcher.revision}",
                {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
                 "retryAfterSeconds": 1},
            )
        try:
            replay = list(self.cache.events_since(rv))
        except TooOldResourceVersionError as e:
            raise errors.resource_expired(f"too old resource version: {e.requested} ({e.oldest})") from None
        self.cache.add_watcher(watcher)
        for ev in replay:
            watcher.offer(ev)
        return WatchStart(watcher, [], rv)

    def stop_watch(self, w: CacheWatcher) -> None:
        w.close()
        self.cache.remove_watcher(w)

    # --- create -------------------------------------------------------------------------------
    def _check_identity(self, obj: Obj, namespace: str) -> Obj:
        if not isinstance(obj, dict):
            raise errors.bad_request("the object provided is not a JSON object")
        kind = obj.get("kind")
        api_version = obj.get("apiVersion")
        if kind in (None, "") and api_version in (None, ""):
            obj["kind"] = self.info.kind
            obj["apiVersion"] = self.info.api_version
        elif kind != self.info.kind or api_version != self.info.api_version:
            raise errors.bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({self.info.api_version})"
                if api_version != self.info.api_version
                else f"the kind in the data ({kind}) does not match the expected kind ({self.info.kind})"
            )
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if self.info.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and namespace and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            if namespace:
                meta["namespace"] = namespace
        else:
            if meta.get("namespace"):
                # upstream silently clears the namespace of cluster-scoped objects
                meta.pop("namespace", None)
        return obj

    def _invalid(self, name: str, errs: builtins.list[fe.FieldError]) -> StatusError:
        return errors.invalid(self.info.group, self.info.kind, name, errs)

    async def create(self, namespace: str, obj: Obj, opts: WriteOptions) -> Obj:
        obj = self._check_identity(obj, namespace)
        meta = obj["metadata"]
        if self.info.namespaced and not meta.get("namespace"):
            raise errors.bad_request("the server could not find the requested resource")
        if meta.get("resourceVersion"):
            raise errors.bad_request("resourceVersion should not be set on objects to be created")
        self.strategy.default(obj)
        await self.registry.admit_create(self, obj, opts)
        generated = not meta.get("name") and bool(meta.get("generateName"))
        attempts = _MAX_GENERATE_ATTEMPTS if generated else 1
        for attempt in range(attempts):
            # every step below is redone on a retry, so the same object can be reused
            candidate = obj
            cmeta = candidate["metadata"]
            if generated:
                cmeta["name"] = generate_name(cmeta["generateName"])
            self._fill_create_metadata(candidate, opts)
            self.strategy.prepare_for_create(candidate)
            errs = self.strategy.validate(candidate)
            if errs:
                raise self._invalid(cmeta.get("name", ""), errs)
            await self.registry.before_create(self, candidate, opts)
            if opts.dry_run:
                return candidate
            stored = self.to_storage(candidate)
            try:
                kv = await self.storage.create(self.key(cmeta.get("namespace", ""), cmeta["name"]), encode_for_storage(stored))
            except KeyExistsError:
                await self.registry.undo_create(self, candidate)
                if generated and attempt + 1 < attempts:
                    continue
                raise errors.already_exists(self.info.group, self.info.resource, cmeta["name"]) from None
            return _stamp(candidate, kv)
        raise errors.already_exists(self.info.group, self.info.resource, str(meta.get("name")))

    def _fill_create_metadata(self, obj: Obj, opts: WriteOptions) -> None:
        meta = obj["metadata"]
        meta["uid"] = uuid4()
        meta["creationTimestamp"] = now_rfc3339()
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink", "resourceVersion"):
            meta.pop(k, None)
        if not meta.get("generateName"):
            meta.pop("generateName", None)
        self.registry.managed_fields.on_create(self.info, obj, opts.field_manager)

    # --- update -------------------------------------------------------------------------------
    async def update(
        self, namespace: str, name: str, obj: Obj, opts: WriteOptions, subresource: str = ""
    ) -> tuple[Obj, bool]:
        """PUT. Returns (object, created)."""
        obj = self._check_identity(obj, namespace)
        meta = obj["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise errors.bad_request(
                f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        wanted_rv = meta.get("resourceVersion") or ""
        if subresource == "":
            self.strategy.default(obj)
        try:
            current = await self.get_cached(namespace, name)
        except StatusError as e:
            if e.code != 404:
                raise
            if self.strategy.allow_create_on_update and subresource == "":
                meta.pop("resourceVersion", None)
                return await self.create(namespace, obj, opts), True
            raise
        if not wanted_rv and not self.strategy.allow_unconditional_update:
            raise self._invalid(name, [fe.required("metadata.resourceVersion", "must be specified for an update")])

        async def replace(cur: Obj) -> Obj:
            if wanted_rv and cur["metadata"].get("resourceVersion") != wanted_rv:
                raise errors.conflict(self.info.group, self.info.resource, name, errors.OPTIMISTIC_LOCK_MESSAGE)
            new = copy.deepcopy(obj)
            new["metadata"]["resourceVersion"] = cur["metadata"].get("resourceVersion")
            return new

        out = await self._guaranteed_update(current.copy(), replace, opts, subresource, retry=not wanted_rv)
        return out, False

    async def update_with(
        self, namespace: str, name: str, fn: UpdateFunc, opts: WriteOptions, subresource: str = ""
    ) -> Obj:
        """Apply fn to the current object and store the result, retrying on conflicts (PATCH)."""
        current = await self.get_cached(namespace, name)
        return await self._guaranteed_update(current.copy(), fn, opts, subresource, retry=True)

    async def _guaranteed_update(
        self, current: Obj, fn: UpdateFunc, opts: WriteOptions, subresource: str, retry: bool
    ) -> Obj:
        name = current["metadata"]["name"]
        namespace = current["metadata"].get("namespace", "")
        key = self.key(namespace, name)
        for _ in range(_MAX_CONFLICT_RETRIES):
            base = copy.deepcopy(current)
            new = await fn(base)
            new = self._check_identity(new, namespace)
            if new["metadata"].get("name") and new["metadata"]["name"] != name:
                raise errors.bad_request(
                    f"the name of the object ({new['metadata']['name']}) does not match the name on the URL ({name})"
                )
            new_rv = new["metadata"].get("resourceVersion")
            if new_rv and new_rv != current["metadata"].get("resourceVersion"):
                raise errors.conflict(self.info.group, self.info.resource, name, errors.OPTIMISTIC_LOCK_MESSAGE)
            if subresource == "":
                await self.registry.before_update(self, new, current)
            candidate = self._prepare_update(new, current, opts, subresource)
            if candidate is None:  # nothing changed: no write, no new resourceVersion
                return current
            if opts.dry_run:
                return candidate
            delete_now = bool(candidate["metadata"].get("deletionTimestamp")) and not candidate["metadata"].get(
                "finalizers"
            ) and self._finalizers_done(candidate)
            try:
                if delete_now:
                    kv = await self.storage.delete(key, _parse_rv(current["metadata"]["resourceVersion"]))
                    await self.registry.after_delete(self, candidate)
                    return _stamp(candidate, kv)
                kv = await self.storage.update(
                    key, encode_for_storage(self.to_storage(candidate)), _parse_rv(current["metadata"]["resourceVersion"])
                )
                return _stamp(candidate, kv)
            except ConflictError as e:
                if not retry or e.current is None:
                    if e.current is None:
                        raise self._not_found(name) from None
                    raise errors.conflict(self.info.group, self.info.resource, name, errors.OPTIMISTIC_LOCK_MESSAGE) from None
                current = self.from_storage(_decode_stamped(e.current))
            except KeyNotFoundError:
                raise self._not_found(name) from None
        raise errors.conflict(self.info.group, self.info.resource, name, "too many conflicts, giving up")

    def _finalizers_done(self, obj: Obj) -> bool:
        return not (self.info.kind == "Namespace" and self.info.group == "" and (obj.get("spec") or {}).get("finalizers"))

    def _prepare_update(self, new: Obj, old: Obj, opts: WriteOptions, subresource: str) -> Obj | None:
        nmeta = new["metadata"]
        ometa = old["metadata"]
        if subresource == "status":
            candidate = self.strategy.prepare_for_status_update(new, old)
            errs = self.strategy.validate_status_update(candidate, old)
        else:
            for k in _FREEZE_METADATA:
                if k in ometa:
                    nmeta[k] = ometa[k]
                else:
                    nmeta.pop(k, None)
            # deletion state is the server's
            for k in ("deletionTimestamp", "deletionGracePeriodSeconds"):
                if k in ometa:
                    nmeta[k] = ometa[k]
                else:
                    nmeta.pop(k, None)
            if "generateName" in ometa:
                nmeta["generateName"] = ometa["generateName"]
            if ometa.get("deletionTimestamp"):
                added = set(nmeta.get("finalizers") or []) - set(ometa.get("finalizers") or [])
                if added:
                    raise self._invalid(
                        ometa["name"],
                        [fe.forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, "
                                      f"found new finalizers {sorted(added)!r}".replace("'", '"'))],
                    )
            self.strategy.prepare_for_update(new, old)
            candidate = new
            errs = self.strategy.validate_update(candidate, old)
        if errs:
            raise self._invalid(ometa["name"], errs)
        if "managedFields" not in candidate["metadata"] and "managedFields" in ometa:
            candidate["metadata"]["managedFields"] = ometa["managedFields"]
        if _same(candidate, old):
            return None
        self.registry.managed_fields.on_update(self.info, candidate, old, opts.field_manager, subresource)
        if not candidate["metadata"].get("managedFields"):
            candidate["metadata"].pop("managedFields", None)
        return candidate

    # --- delete -------------------------------------------------------------------------------
    async def delete(self, namespace: str, name: str, opts: DeleteOptions) -> tuple[Obj, bool]:
        """Returns (object, deleted_now). When not deleted now, the object is terminating."""
        for _ in range(_MAX_CONFLICT_RETRIES):
            cur = await self.get(namespace, name)
            meta = cur["metadata"]
            pre = opts.preconditions or {}
            if pre.get("uid") and pre["uid"] != meta.get("uid"):
                raise errors.conflict(
                    self.info.group, self.info.resource, name,
                    f"Precondition failed: UID in precondition: {pre['uid']}, UID in object meta: {meta.get('uid')}",
                )
            if pre.get("resourceVersion") and pre["resourceVersion"] != meta.get("resourceVersion"):
                raise errors.conflict(
                    self.info.group, self.info.resource, name,
                    f"Precondition failed: ResourceVersion in precondition: {pre['resourceVersion']}, "
                    f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
                )
            try:
                return await self._delete_once(cur, opts)
            except ConflictError:
                continue
        raise errors.conflict(self.info.group, self.info.resource, name, "too many conflicts, giving up")

    def _propagation(self, opts: DeleteOptions) -> str:
        if opts.propagation_policy:
            if opts.propagation_policy not in ("Orphan", "Background", "Foreground"):
                raise self._invalid("", [fe.not_supported("propagationPolicy", opts.propagation_policy,
                                                          ["Foreground", "Background", "Orphan"])])
            return opts.propagation_policy
        if opts.orphan_dependents is True:
            return "Orphan"
        if opts.orphan_dependents is False:
            return "Background"
        return self.registry.default_propagation(self.info)

    async def _delete_once(self, cur: Obj, opts: DeleteOptions) -> tuple[Obj, bool]:
        meta = cur["metadata"]
        name = meta["name"]
        key = self.key(meta.get("namespace", ""), name)
        rv = _parse_rv(meta["resourceVersion"])
        policy = self._propagation(opts)
        finalizers = list(meta.get("finalizers") or [])
        changed = False
        if policy == "Orphan" and "orphan" not in finalizers and "foregroundDeletion" not in finalizers:
            if not meta.get("deletionTimestamp"):
                finalizers.append("orphan")
                changed = True
        elif policy == "Foreground" and "foregroundDeletion" not in finalizers:
            if not meta.get("deletionTimestamp"):
                finalizers = [f for f in finalizers if f != "orphan"]
                finalizers.append("foregroundDeletion")
                changed = True
        grace = await self.registry.grace_period(self, cur, opts)
        if not finalizers and grace == 0 and not self._pending_spec_finalizers(cur):
            if opts.dry_run:
                return cur, True
            try:
                kv = await self.storage.delete(key, rv)
            except KeyNotFoundError:
                raise self._not_found(name) from None
            await self.registry.after_delete(self, cur)
            out = self.from_storage(_decode_stamped(kv))
            return out, True
        # graceful or finalizer-pending deletion: mark the object
        now = now_rfc3339()
        if not meta.get("deletionTimestamp"):
            if grace > 0:
                from datetime import UTC, datetime, timedelta

                meta["deletionTimestamp"] = (datetime.now(UTC) + timedelta(seconds=grace)).strftime("%Y-%m-%dT%H:%M:%SZ")
            else:
                meta["deletionTimestamp"] = now
            meta["deletionGracePeriodSeconds"] = grace
            if self.info.has_generation:
                meta["generation"] = int(meta.get("generation", 1)) + 1
            changed = True
        elif grace < int(meta.get("deletionGracePeriodSeconds", grace)):
            # a shorter grace period shortens a pending graceful deletion
            from datetime import UTC, datetime, timedelta

            meta["deletionTimestamp"] = (datetime.now(UTC) + timedelta(seconds=grace)).strftime("%Y-%m-%dT%H:%M:%SZ")
            meta["deletionGracePeriodSeconds"] = grace
            changed = True
        if finalizers:
            meta["finalizers"] = finalizers
        self.registry.on_mark_deleting(self, cur)
        if not changed:
            return cur, False
        if opts.dry_run:
            return cur, False
        try:
            kv = await self.storage.update(key, encode_for_storage(self.to_storage(cur)), rv)
        except KeyNotFoundError:
            raise self._not_found(name) from None
        return _stamp(cur, kv), False

    def _pending_spec_finalizers(self, obj: Obj) -> bool:
        return not self._finalizers_done(obj)

    async def delete_collection(self, namespace: str, list_opts: ListOptions, opts: DeleteOptions) -> builtins.list[Obj]:
        res = await self.list(namespace, list_opts)
        out: builtins.list[Obj] = []
        for c in res.items:
            meta = c.obj["metadata"]
            try:
                obj, _ = await self.delete(meta.get("namespace", ""), meta["name"], opts)
            except StatusError as e:
                if e.code == 404:
                    continue
                raise
            out.append(obj)
        return out

    # --- helpers for internal writers (subresources, bootstrap) ----------------------------------
    async def exists(self, namespace: str, name: str) -> bool:
        return self.cache.get(self.key(namespace, name)) is not None

    async def read_storage(self, namespace: str, name: str) -> Obj | None:
        kv = await self.storage.get(self.key(namespace, name))
        return None if kv is None else self.from_storage(_decode_stamped(kv))


def _decode_stamped(kv: KeyValue) -> Obj:
    obj: Obj = orjson.loads(kv.value)
    obj.setdefault("metadata", {})["resourceVersion"] = str(kv.mod_revision)
    return obj


def _parse_rv(rv: str) -> int:
    try:
        n = int(rv)
        if n < 0:
            raise ValueError
        return n
    except (TypeError, ValueError):
        raise errors.bad_request(f"invalid resource version: {rv!r}".replace("'", '"')) from None


_VOLATILE_META = ("resourceVersion", "managedFields")


def _same(a: Obj, b: Obj) -> bool:
    """Equal but for resourceVersion and managedFields (a no-op write)."""
    am = a.get("metadata", {})
    bm = b.get("metadata", {})
    if {k: v for k, v in am.items() if k not in _VOLATILE_META} != {
        k: v for k, v in bm.items() if k not in _VOLATILE_META
    }:
        return False
    return {k: v for k, v in a.items() if k != "metadata"} == {k: v for k, v in b.items() if k != "metadata"}
