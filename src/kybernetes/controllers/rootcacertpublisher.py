"""The root CA certificate publisher: a ConfigMap ``kube-root-ca.crt`` holding the cluster
CA (key ``ca.crt``) in every namespace (upstream ``pkg/controller/certificates/rootcacertpublisher``)."""

from __future__ import annotations

from typing import Final

from kybernetes.client.informer import SharedInformer
from kybernetes.client.rest import ApiError, Obj
from kybernetes.controllers.base import Controller, ControllerContext
from kybernetes.controllers.serviceaccount import namespace_active

ROOT_CA_CONFIGMAP_NAME: Final = "kube-root-ca.crt"
DESCRIPTION_ANNOTATION: Final = "kubernetes.io/description"
DESCRIPTION: Final = (
    "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints "
    "such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
    "distributions of Kubernetes clusters."
)


class Publisher(Controller):
    name = "root-ca-cert-publisher"
    workers = 4

    def __init__(self, ctx: ControllerContext) -> None:
        super().__init__(ctx)
        ca = ctx.options.get("root_ca_pem") or ctx.config.ca_pem or b""
        self.root_ca = ca.decode() if isinstance(ca, bytes) else str(ca)
        self.namespaces = ctx.informers.informer_for("", "v1", "namespaces")
        self.configmaps = ctx.informers.informer_for(
            "", "v1", "configmaps", field_selector=f"metadata.name={ROOT_CA_CONFIGMAP_NAME}"
        )
        self.namespaces.add_event_handler(on_add=self._ns, on_update=lambda _o, n: self._ns(n))
        self.configmaps.add_event_handler(on_update=lambda _o, n: self._cm(n), on_delete=self._cm)

    def informers(self) -> list[SharedInformer]:
        return [self.namespaces, self.configmaps]

    def _ns(self, ns: Obj) -> None:
        self.enqueue(ns["metadata"]["name"])

    def _cm(self, cm: Obj) -> None:
        meta = cm.get("metadata") or {}
        if meta.get("name") == ROOT_CA_CONFIGMAP_NAME and meta.get("namespace"):
            self.enqueue(meta["namespace"])

    async def sync(self, key: str) -> None:
        if not self.root_ca:
            return
        ns = self.namespaces.get("", key)
        if not namespace_active(ns):
            return
        data = {"ca.crt": self.root_ca}
        cm = self.configmaps.get(key, ROOT_CA_CONFIGMAP_NAME)
        path = f"/api/v1/namespaces/{key}/configmaps"
        try:
            if cm is None:
                body: Obj = {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": ROOT_CA_CONFIGMAP_NAME,
                        "annotations": {DESCRIPTION_ANNOTATION: DESCRIPTION},
                    },
                    "data": data,
                }
                await self.client.create(path, body)
                return
            annotations = (cm.get("metadata") or {}).get("annotations") or {}
            if cm.get("data") == data and annotations.get(DESCRIPTION_ANNOTATION):
                return
            new = {**cm, "data": data}
            new["metadata"] = {
                **cm["metadata"],
                "annotations": {**annotations, DESCRIPTION_ANNOTATION: DESCRIPTION},
            }
            new.pop("binaryData", None)
            await self.client.update(f"{path}/{ROOT_CA_CONFIGMAP_NAME}", new)
        except ApiError as e:
            if e.code == 409 and e.reason == "AlreadyExists":
                return
            if e.code == 404 or (e.code == 403 and "being terminated" in e.message):
                return
            raise


def new_controller(ctx: ControllerContext) -> Controller:
    return Publisher(ctx)
