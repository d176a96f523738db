"""Strategies: what a resource does on create, update and status update.

One generic :class:`Strategy` covers every built-in resource, driven by its
ResourceInfo (status split, generation) and calling the shared defaulting and
validation of :mod:`kybernetes.api`. Kinds with extra rules subclass it.
"""

from __future__ import annotations

import copy
from typing import Any

from kybernetes.api import defaults, validation
from kybernetes.api.resources import ResourceInfo
from kybernetes.api.validation.field import FieldError

Obj = dict[str, Any]

_SYSTEM_FIELDS = ("metadata", "status", "apiVersion", "kind")


def spec_of(obj: Obj) -> Obj:
    """Everything but metadata and status: the part whose change bumps generation."""
    return {k: v for k, v in obj.items() if k not in _SYSTEM_FIELDS}


class Strategy:
    # a PUT on a missing object creates it
    allow_create_on_update = False
    # a PUT without resourceVersion overwrites whatever is there
    allow_unconditional_update = True

    def __init__(self, info: ResourceInfo) -> None:
        self.info = info

    # --- create -----------------------------------------------------------------------------
    def default(self, obj: Obj) -> None:
        defaults.apply_defaults(obj)

    def prepare_for_create(self, obj: Obj) -> None:
        if self.info.has_status:
            obj.pop("status", None)
            initial = self.initial_status(obj)
            # a status struct serialises as {} when empty, as upstream's objects show
            obj["status"] = initial if initial is not None else {}
        if self.info.has_generation:
            obj["metadata"]["generation"] = 1

    def initial_status(self, obj: Obj) -> Obj | None:
        return None

    def validate(self, obj: Obj) -> list[FieldError]:
        return validation.validate_create(obj)

    # --- update -----------------------------------------------------------------------------
    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        if self.info.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if self.info.has_generation:
            gen = old.get("metadata", {}).get("generation", 1)
            if spec_of(new) != spec_of(old):
                gen += 1
            new["metadata"]["generation"] = gen

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validation.validate_update(new, old)

    # --- status subresource ---------------------------------------------------------------------
    def prepare_for_status_update(self, new: Obj, old: Obj) -> Obj:
        """The object to store: the old one with the new status (and nothing else of the new)."""
        out = copy.deepcopy(old)
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        # metadata changes that status writers may make upstream: none but resourceVersion
        out["metadata"]["resourceVersion"] = new.get("metadata", {}).get("resourceVersion", "")
        return out

    def validate_status_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return validation.validate_status_update(new, old)


class PodStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj | None:
        return {"phase": "Pending", "qosClass": qos_class(obj.get("spec", {}))}


class NamespaceStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj | None:
        return {"phase": "Active"}

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        # spec.finalizers change only through the finalize subresource
        if "spec" in old:
            new["spec"] = copy.deepcopy(old["spec"])
        else:
            new.pop("spec", None)


class ServiceStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj | None:
        return {"loadBalancer": {}}


class PersistentVolumeClaimStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj | None:
        return {"phase": "Pending"}


class PersistentVolumeStrategy(Strategy):
    def initial_status(self, obj: Obj) -> Obj | None:
        return {"phase": "Pending"}


class NodeStrategy(Strategy):
    """Nodes register with their status (the kubelet writes it on create)."""

    def prepare_for_create(self, obj: Obj) -> None:
        if self.info.has_generation:
            obj["metadata"]["generation"] = 1


class EndpointsStrategy(Strategy):
    allow_create_on_update = True


def _requests_and_limits(c: Obj) -> tuple[Obj, Obj]:
    res = c.get("resources") or {}
    return res.get("requests") or {}, res.get("limits") or {}


def qos_class(spec: Obj) -> str:
    """Guaranteed, Burstable or BestEffort, as upstream's GetPodQOS."""
    from kybernetes.api.quantity import parse_quantity

    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        req, lim = _requests_and_limits(c)
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim:
                guaranteed = False
                continue
            rv = req.get(r, lim[r])
            try:
                if parse_quantity(str(rv)) != parse_quantity(str(lim[r])):
                    guaranteed = False
            except ValueError:
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


_STRATEGIES: dict[tuple[str, str], type[Strategy]] = {
    ("", "Pod"): PodStrategy,
    ("", "Namespace"): NamespaceStrategy,
    ("", "Service"): ServiceStrategy,
    ("", "PersistentVolumeClaim"): PersistentVolumeClaimStrategy,
    ("", "PersistentVolume"): PersistentVolumeStrategy,
    ("", "Node"): NodeStrategy,
    ("", "Endpoints"): EndpointsStrategy,
}


def strategy_for(info: ResourceInfo) -> Strategy:
    return _STRATEGIES.get((info.group, info.kind), Strategy)(info)
