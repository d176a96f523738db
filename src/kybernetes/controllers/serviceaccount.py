"""The ServiceAccount controller: a ``default`` ServiceAccount in every active namespace
(upstream ``pkg/controller/serviceaccount/serviceaccounts_controller.go``)."""

from __future__ import annotations

import logging

from kybernetes.client.informer import SharedInformer
from kybernetes.client.rest import ApiError, Obj
from kybernetes.controllers.base import Controller, ControllerContext

log = logging.getLogger(__name__)

DEFAULT_SERVICE_ACCOUNTS = ("default",)


def namespace_active(ns: Obj | None) -> bool:
    if ns is None:
        return False
    if (ns.get("metadata") or {}).get("deletionTimestamp"):
        return False
    return (ns.get("status") or {}).get("phase") != "Terminating"


class ServiceAccountsController(Controller):
    name = "serviceaccount"
    workers = 5

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        self.namespaces = ctx.informers.informer_for("", "v1", "namespaces")
        self.service_accounts = ctx.informers.informer_for("", "v1", "serviceaccounts")
        self.namespaces.add_event_handler(
            on_add=self._ns_changed, on_update=lambda _o, n: self._ns_changed(n)
        )
        self.service_accounts.add_event_handler(on_delete=self._sa_deleted)

    def informers(self) -> list[SharedInformer]:
        return [self.namespaces, self.service_accounts]

    def _ns_changed(self, ns: Obj) -> None:
        self.enqueue(ns["metadata"]["name"])

    def _sa_deleted(self, sa: Obj) -> None:
        meta = sa.get("metadata") or {}
        if meta.get("name") in DEFAULT_SERVICE_ACCOUNTS and meta.get("namespace"):
            self.enqueue(meta["namespace"])

    async def sync(self, key: str) -> None:
        ns = self.namespaces.get("", key)
        if not namespace_active(ns):
            return
        for name in DEFAULT_SERVICE_ACCOUNTS:
            if self.service_accounts.get(key, name) is not None:
                continue
            body: Obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
            try:
                await self.client.create(f"/api/v1/namespaces/{key}/serviceaccounts", body)
            except ApiError as e:
                if e.code == 409 and e.reason == "AlreadyExists":
                    continue
                # a namespace being deleted refuses new content: nothing to do
                if e.code in (403, 404) and ("being terminated" in e.message or e.code == 404):
                    return
                raise


def new_controller(ctx: ControllerContext) -> Controller:
    return ServiceAccountsController(ctx)
