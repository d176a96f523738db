"""Subresources and virtual resources: status, scale, binding, eviction, token, finalize,
the kubelet-proxied ones, and the review kinds (SelfSubjectReview, SelfSubjectAccessReview, ...)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kybernetes.api import errors
from kybernetes.api.errors import StatusError
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.selectors import selector_from_label_selector, selector_from_set
from kybernetes.api.validation import field as fe
from kybernetes.apiserver import responses
from kybernetes.apiserver.auth.authz import Attributes, Decision
from kybernetes.apiserver.auth.serviceaccount import check_token_request
from kybernetes.apiserver.auth.user import UserInfo
from kybernetes.apiserver.handlers import dry_run, field_manager, read_body
from kybernetes.apiserver.negotiation import JSON, decode_body, negotiate
from kybernetes.apiserver.requestinfo import RequestInfo
from kybernetes.registry.options import DeleteOptions, WriteOptions
from kybernetes.registry.store import ResourceStore
from kybernetes.util.timefmt import now_rfc3339

if TYPE_CHECKING:
    from kybernetes.apiserver.server import APIServer

Obj = dict[str, Any]

_KUBELET_SUBRESOURCES = frozenset({"log", "exec", "attach", "portforward", "proxy"})


def _replicas_path(info: ResourceInfo) -> str:
    return "spec.replicas"


def scale_of(info: ResourceInfo, obj: Obj) -> Obj:
    """The autoscaling/v1 Scale view of a scalable object."""
    meta = obj.get("metadata", {})
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    sel = spec.get("selector")
    if info.kind == "ReplicationController":
        selector = str(selector_from_set(sel or {})) if sel else ""
    else:
        selector = str(selector_from_label_selector(sel)) if isinstance(sel, dict) else ""
    out_status: Obj = {"replicas": int(status.get("replicas", 0) or 0)}
    if selector:
        out_status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "creationTimestamp": meta.get("creationTimestamp"),
        },
        "spec": {"replicas": int(spec.get("replicas", 0) or 0)},
        "status": out_status,
    }


class Subresources:
    def __init__(self, server: APIServer) -> None:
        self.server = server

    async def handle(self, request: web.Request, ri: RequestInfo, info: ResourceInfo) -> web.StreamResponse:
        sub = ri.subresource
        if not sub:
            return await self._virtual(request, ri, info)
        if info.subresource_kind(sub) is None:
            raise StatusError(404, "NotFound", "the server could not find the requested resource", {})
        rs = self.server.resource_store(info)
        ns = ri.namespace if info.namespaced else ""
        if sub == "status":
            return await self._status(request, ri, rs, ns)
        if sub == "scale":
            return await self._scale(request, ri, rs, ns)
        if sub == "binding" and request.method == "POST":
            return await self._binding(request, rs, ns, ri.name)
        if sub == "eviction" and request.method == "POST":
            return await self._eviction(request, rs, ns, ri.name)
        if sub == "token" and request.method == "POST":
            return await self._token(request, rs, ns, ri.name)
        if sub == "finalize" and request.method == "PUT":
            return await self._finalize(request, rs, ri.name)
        if sub in _KUBELET_SUBRESOURCES:
            return await self._kubelet(request, ri, rs, ns)
        raise errors.method_not_supported(info.group, f"{info.resource}/{sub}", request.method.lower())

    # --- status ---------------------------------------------------------------------------------
    async def _status(self, request: web.Request, ri: RequestInfo, rs: ResourceStore, ns: str) -> web.StreamResponse:
        h = self.server.handlers
        if request.method in ("GET", "HEAD"):
            rep = negotiate(request.headers.get("Accept"))
            c = await rs.get_cached(ns, ri.name)
            return responses.object_response(rs.info, c, rep)
        if request.method == "PUT":
            return await h.update(request, rs, ns, ri.name, "status")
        if request.method == "PATCH":
            return await h.patch(request, rs, ns, ri.name, "status")
        raise errors.method_not_supported(rs.info.group, f"{rs.info.resource}/status", request.method.lower())

    # --- scale ----------------------------------------------------------------------------------
    async def _scale(self, request: web.Request, ri: RequestInfo, rs: ResourceStore, ns: str) -> web.StreamResponse:
        info = rs.info
        if request.method in ("GET", "HEAD"):
            obj = await rs.get(ns, ri.name)
            return responses.json_response(scale_of(info, obj))
        if request.method not in ("PUT", "PATCH"):
            raise errors.method_not_supported(info.group, f"{info.resource}/scale", request.method.lower())
        opts = WriteOptions(dry_run=dry_run(request), field_manager=field_manager(request))
        raw = await read_body(request)
        ctype = request.headers.get("Content-Type")
        if request.method == "PUT":
            body = decode_body(raw, ctype)
            if not isinstance(body, dict):
                raise errors.bad_request("the body must be a Scale object")

            def desired(cur_scale: Obj) -> Obj:
                return body
        else:
            from kybernetes.apiserver.negotiation import PATCH_TYPES, decode_json, media_type
            from kybernetes.apiserver.patch.json import apply_json_patch
            from kybernetes.apiserver.patch.merge import apply_merge_patch
            from kybernetes.apiserver.patch.strategic import apply_strategic_merge_patch

            ptype = PATCH_TYPES.get(media_type(ctype))
            if ptype not in ("json", "merge", "strategic"):
                raise errors.unsupported_media_type(
                    ["application/json-patch+json", "application/merge-patch+json",
                     "application/strategic-merge-patch+json"]
                )
            patch_doc = decode_json(raw)

            def desired(cur_scale: Obj) -> Obj:
                if ptype == "json":
                    return apply_json_patch(cur_scale, patch_doc)
                if ptype == "merge":
                    return apply_merge_patch(cur_scale, patch_doc)
                return apply_strategic_merge_patch(cur_scale, patch_doc, None)

        async def fn(cur: Obj) -> Obj:
            scale = desired(scale_of(info, cur))
            spec = scale.get("spec") or {}
            replicas = spec.get("replicas", 0)
            if not isinstance(replicas, int) or isinstance(replicas, bool):
                raise errors.bad_request("Scale.spec.replicas must be an integer")
            if replicas < 0:
                raise errors.invalid("autoscaling", "Scale", ri.name, [
                    fe.invalid("spec.replicas", replicas, "must be greater than or equal to 0")])
            want_rv = (scale.get("metadata") or {}).get("resourceVersion")
            if want_rv and want_rv != cur["metadata"].get("resourceVersion"):
                raise errors.conflict(info.group, info.resource, ri.name, errors.OPTIMISTIC_LOCK_MESSAGE)
            cur.setdefault("spec", {})["replicas"] = replicas
            return cur

        out = await rs.update_with(ns, ri.name, fn, opts)
        return responses.json_response(scale_of(info, out))

    # --- pods/binding -----------------------------------------------------------------------------
    async def _binding(self, request: web.Request, rs: ResourceStore, ns: str, name: str) -> web.StreamResponse:
        body = decode_body(await read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a Binding object")
        await self.bind(rs, ns, name, body, dry_run(request))
        return responses.json_response(
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}, 201
        )

    async def bind(self, rs: ResourceStore, ns: str, name: str, binding: Obj, is_dry_run: bool) -> None:
        target = binding.get("target") or {}
        node = target.get("name")
        if not node:
            raise errors.invalid("", "Binding", name, [fe.required("target.name")])
        if target.get("kind") not in (None, "", "Node"):
            raise errors.invalid("", "Binding", name, [fe.not_supported("target.kind", target.get("kind"), ["Node"])])
        annotations = (binding.get("metadata") or {}).get("annotations") or {}

        async def fn(cur: Obj) -> Obj:
            meta = cur["metadata"]
            if meta.get("deletionTimestamp"):
                raise errors.conflict("", "pods/binding", name, f"pod {name} is being deleted, cannot be assigned to a host")
            spec = cur.setdefault("spec", {})
            if spec.get("nodeName"):
                raise errors.conflict(
                    "", "pods/binding", name, f'pod {name} is already assigned to node "{spec["nodeName"]}"'
                )
            spec["nodeName"] = node
            if annotations:
                meta.setdefault("annotations", {}).update(annotations)
            status = cur.setdefault("status", {})
            conds = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                          "lastTransitionTime": now_rfc3339()})
            status["conditions"] = conds
            return cur

        # binding changes spec and status at once, bypassing the status split, as upstream's BindingREST does
        cur = await rs.get(ns, name)
        new = await fn(copy.deepcopy(cur))
        if is_dry_run:
            return
        from kybernetes.registry.store import encode_for_storage
        from kybernetes.storage.interface import ConflictError

        for _ in range(8):
            try:
                await rs.storage.update(rs.key(ns, name), encode_for_storage(new), int(cur["metadata"]["resourceVersion"]))
                return
            except ConflictError:
                cur = await rs.get(ns, name)
                new = await fn(copy.deepcopy(cur))
        raise errors.conflict("", "pods/binding", name, errors.OPTIMISTIC_LOCK_MESSAGE)

    # --- pods/eviction ----------------------------------------------------------------------------
    async def _eviction(self, request: web.Request, rs: ResourceStore, ns: str, name: str) -> web.StreamResponse:
        body = decode_body(await read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be an Eviction object")
        pod = await rs.get(ns, name)
        phase = (pod.get("status") or {}).get("phase")
        if phase not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
            await self._check_disruption_budgets(pod)
        dopts_body = body.get("deleteOptions") or {}
        opts = DeleteOptions(dry_run=dry_run(request) or bool(dopts_body.get("dryRun")))
        if dopts_body.get("gracePeriodSeconds") is not None:
            opts.grace_period_seconds = int(dopts_body["gracePeriodSeconds"])
        if isinstance(dopts_body.get("preconditions"), dict):
            opts.preconditions = dopts_body["preconditions"]
        await rs.delete(ns, name, opts)
        return responses.json_response(
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}, 201
        )

    async def _check_disruption_budgets(self, pod: Obj) -> None:
        pdbs = self.server.registry.store_for("policy", "v1", "poddisruptionbudgets")
        if pdbs is None:
            return
        ns = pod["metadata"].get("namespace", "")
        labels = pod["metadata"].get("labels") or {}
        for c in pdbs.cache.list(pdbs.namespace_prefix(ns)):
            sel = (c.obj.get("spec") or {}).get("selector")
            if sel is None or not selector_from_label_selector(sel).matches(labels):
                continue
            status = c.obj.get("status") or {}
            if int(status.get("disruptionsAllowed", 0) or 0) < 1:
                raise StatusError(
                    429, "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {"causes": [{"reason": "DisruptionBudget",
                                 "message": f"The disruption budget {c.obj['metadata']['name']} needs "
                                            f"{status.get('desiredHealthy', 0)} healthy pods and has "
                                            f"{status.get('currentHealthy', 0)} currently"}]},
                )

    # --- serviceaccounts/token --------------------------------------------------------------------
    async def _token(self, request: web.Request, rs: ResourceStore, ns: str, name: str) -> web.StreamResponse:
        body = decode_body(await read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a TokenRequest object")
        sa = await rs.get(ns, name)
        tr = check_token_request(body, self.server.token_issuer.api_audiences)
        spec = tr["spec"]
        bound = spec.get("boundObjectRef")
        node_ref = None
        if isinstance(bound, dict):
            kind = bound.get("kind")
            resource = {"Pod": "pods", "Secret": "secrets", "Node": "nodes"}[str(kind)]
            target_rs = self.server.registry.core(resource)
            target = await target_rs.get(ns if target_rs.info.namespaced else "", str(bound.get("name", "")))
            if bound.get("uid") and bound["uid"] != target["metadata"].get("uid"):
                raise errors.conflict("", resource, str(bound.get("name")), "the UID in the bound object reference "
                                      f"({bound['uid']}) does not match the UID in record. The object might have "
                                      "been deleted and then recreated")
            bound = dict(bound)
            bound["uid"] = target["metadata"].get("uid")
            if kind == "Pod" and (target.get("spec") or {}).get("nodeName"):
                node_name = target["spec"]["nodeName"]
                nodes = self.server.registry.core("nodes")
                ncached = nodes.cache.get(nodes.key("", node_name))
                node_ref = {"name": node_name, "uid": ncached.obj["metadata"].get("uid", "") if ncached else ""}
        issued = self.server.token_issuer.issue(
            ns, name, sa["metadata"].get("uid", ""), spec.get("audiences") or [], int(spec["expirationSeconds"]),
            bound if isinstance(bound, dict) else None, node=node_ref,
        )
        out = {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": name, "namespace": ns, "creationTimestamp": None},
            "spec": spec,
            "status": {"token": issued.token, "expirationTimestamp": issued.expiration_timestamp},
        }
        return responses.json_response(out, 201)

    # --- namespaces/finalize ------------------------------------------------------------------------
    async def _finalize(self, request: web.Request, rs: ResourceStore, name: str) -> web.StreamResponse:
        body = decode_body(await read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request("the body must be a Namespace object")
        finalizers = (body.get("spec") or {}).get("finalizers") or []
        want_rv = (body.get("metadata") or {}).get("resourceVersion")
        opts = WriteOptions(dry_run=dry_run(request), field_manager=field_manager(request))
        from kybernetes.registry.store import encode_for_storage
        from kybernetes.storage.interface import ConflictError

        cur = await rs.get("", name)
        if want_rv and want_rv != cur["metadata"].get("resourceVersion"):
            raise errors.conflict("", "namespaces", name, errors.OPTIMISTIC_LOCK_MESSAGE)
        new = copy.deepcopy(cur)
        new.setdefault("spec", {})["finalizers"] = list(finalizers)
        if not finalizers:
            new["spec"].pop("finalizers")
        if opts.dry_run:
            return responses.json_response(new)
        key = rs.key("", name)
        try:
            if new["metadata"].get("deletionTimestamp") and not finalizers and not new["metadata"].get("finalizers"):
                await rs.storage.delete(key, int(cur["metadata"]["resourceVersion"]))
                return responses.json_response(new)
            kv = await rs.storage.update(key, encode_for_storage(new), int(cur["metadata"]["resourceVersion"]))
        except ConflictError:
            raise errors.conflict("", "namespaces", name, errors.OPTIMISTIC_LOCK_MESSAGE) from None
        new["metadata"]["resourceVersion"] = str(kv.mod_revision)
        return responses.json_response(new)

    # --- streaming subresources served by the node's kubelet -----------------------------------------
    async def _kubelet(self, request: web.Request, ri: RequestInfo, rs: ResourceStore, ns: str) -> web.StreamResponse:
        info = rs.info
        obj = await rs.get(ns, ri.name)
        if info.kind == "Pod":
            node = (obj.get("spec") or {}).get("nodeName")
            if not node:
                raise errors.bad_request(f"pod {ri.name} does not have a host assigned")
            raise StatusError(
                503, "ServiceUnavailable",
                f'{ri.subresource} for pod "{ri.name}" is not available: node "{node}" has no kubelet serving '
                "streaming endpoints yet",
            )
        raise StatusError(503, "ServiceUnavailable", f"{info.resource}/{ri.subresource} is not available yet")

    # --- virtual resources (create-only reviews, bindings) ---------------------------------------------
    async def _virtual(self, request: web.Request, ri: RequestInfo, info: ResourceInfo) -> web.StreamResponse:
        if request.method != "POST":
            raise errors.method_not_supported(info.group, info.resource, ri.verb)
        body = decode_body(await read_body(request), request.headers.get("Content-Type"))
        if not isinstance(body, dict):
            raise errors.bad_request(f"the body must be a {info.kind} object")
        user: UserInfo | None = request.get("user")
        if user is None:
            raise errors.unauthorized()
        kind = info.kind
        if kind == "Binding":
            pods = self.server.registry.core("pods")
            name = (body.get("metadata") or {}).get("name", "")
            await self.bind(pods, ri.namespace, name, body, dry_run(request))
            return responses.json_response(
                {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}, 201
            )
        out = copy.deepcopy(body)
        out.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        out["kind"] = kind
        out["apiVersion"] = info.api_version
        if kind == "SelfSubjectReview":
            out["status"] = {"userInfo": user.to_user_info_dict()}
        elif kind == "TokenReview":
            token = (body.get("spec") or {}).get("token", "")
            from kybernetes.apiserver.auth.authn import AuthRequest

            try:
                reviewed = await self.server.authenticator.authenticate(
                    AuthRequest(headers={"Authorization": f"Bearer {token}"})
                )
            except Exception:
                reviewed = None
            out["status"] = (
                {"authenticated": True, "user": reviewed.to_user_info_dict(),
                 "audiences": list(self.server.token_issuer.api_audiences)}
                if reviewed else {"user": {}, "error": "token not valid"}
            )
        elif kind in ("SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview"):
            out["status"] = await self._access_review(kind, out, user, ri)
        elif kind == "SelfSubjectRulesReview":
            out["status"] = {
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False,
            }
        else:
            raise errors.method_not_supported(info.group, info.resource, "create")
        return responses.json_response(out, 201)

    async def _access_review(self, kind: str, review: Obj, user: UserInfo, ri: RequestInfo) -> Obj:
        spec = review.get("spec") or {}
        subject = user
        if kind != "SelfSubjectAccessReview":
            subject = UserInfo(name=spec.get("user", ""), uid=spec.get("uid", ""),
                               groups=tuple(spec.get("groups") or ()))
        ra = spec.get("resourceAttributes")
        nra = spec.get("nonResourceAttributes")
        if ra:
            attrs = Attributes(
                user=subject, verb=ra.get("verb", ""), namespace=ra.get("namespace", ri.namespace if kind ==
                "LocalSubjectAccessReview" else ""), api_group=ra.get("group", ""), api_version=ra.get("version", ""),
                resource=ra.get("resource", ""), subresource=ra.get("subresource", ""), name=ra.get("name", ""),
                resource_request=True,
            )
        elif nra:
            attrs = Attributes(user=subject, verb=nra.get("verb", ""), path=nra.get("path", ""), resource_request=False)
        else:
            raise errors.invalid(review.get("apiVersion", "authorization.k8s.io").split("/")[0], kind, "", [
                fe.invalid("spec.resourceAttributes", None, "exactly one of nonResourceAttributes or "
                           "resourceAttributes must be specified")])
        decision, reason = await self.server.authorizer.authorize(attrs)
        status: Obj = {"allowed": decision == Decision.ALLOW}
        if decision == Decision.DENY:
            status["denied"] = True
        if reason:
            status["reason"] = reason
        return status


__all__ = ["JSON", "Subresources", "scale_of"]
