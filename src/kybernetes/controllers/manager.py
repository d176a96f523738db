"""The controller manager: a table of controllers, the ``--controllers`` flag, and
leader election (upstream ``cmd/kube-controller-manager``).

Each controller is a :class:`ControllerDescriptor` (name, aliases, factory, enabled by
default or not). ``--controllers`` takes upstream's syntax: ``*`` enables every
controller that is on by default, ``foo`` enables ``foo``, ``-foo`` disables it (names or
aliases). With leader election on, only the holder of the ``kube-system/kube-controller-manager``
Lease runs controllers; a manager that loses the lease stops its controllers and
campaigns again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from kybernetes.client.events import NORMAL, EventRecorder
from kybernetes.client.informer import SharedInformerFactory, metadata_only
from kybernetes.client.kubeconfig import KubeConfig, load_kubeconfig
from kybernetes.client.leaderelection import LeaderElectionConfig, LeaderElector
from kybernetes.client.rest import ApiError, RESTClient
from kybernetes.controllers import (
    deployment,
    garbagecollector,
    namespace,
    replicaset,
    rootcacertpublisher,
    serviceaccount,
)
from kybernetes.controllers.base import Controller, ControllerContext

log = logging.getLogger(__name__)

LEASE_NAMESPACE: Final = "kube-system"
LEASE_NAME: Final = "kube-controller-manager"
COMPONENT: Final = "kube-controller-manager"


@dataclass(frozen=True)
class ControllerDescriptor:
    name: str
    factory: Callable[[ControllerContext], Controller]
    aliases: tuple[str, ...] = ()
    enabled_by_default: bool = True


DESCRIPTORS: Final[tuple[ControllerDescriptor, ...]] = (
    ControllerDescriptor("serviceaccount-controller", serviceaccount.new_controller, ("serviceaccount",)),
    ControllerDescriptor(
        "root-ca-certificate-publisher-controller",
        rootcacertpublisher.new_controller,
        ("root-ca-cert-publisher",),
    ),
    ControllerDescriptor("namespace-controller", namespace.new_controller, ("namespace",)),
    ControllerDescriptor(
        "garbage-collector-controller", garbagecollector.new_controller, ("garbagecollector",)
    ),
    ControllerDescriptor("replicaset-controller", replicaset.new_controller, ("replicaset",)),
    ControllerDescriptor("deployment-controller", deployment.new_controller, ("deployment",)),
)


def descriptor_table(
    descriptors: Iterable[ControllerDescriptor] = DESCRIPTORS,
) -> dict[str, ControllerDescriptor]:
    return {d.name: d for d in descriptors}


def _canonical(name: str, descriptors: Iterable[ControllerDescriptor]) -> str | None:
    for d in descriptors:
        if name == d.name or name in d.aliases:
            return d.name
    return None


def enabled_controllers(
    spec: str | Iterable[str] = "*", descriptors: Iterable[ControllerDescriptor] = DESCRIPTORS
) -> list[str]:
    """The canonical names ``--controllers=spec`` enables, in table order.

    Raises ValueError for a name that is neither a controller nor an alias."""
    descs = list(descriptors)
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    items = [s for s in items if s]
    explicit: dict[str, bool] = {}
    star = False
    for item in items:
        if item == "*":
            star = True
            continue
        negate = item.startswith("-")
        raw = item[1:] if negate else item
        name = _canonical(raw, descs)
        if name is None:
            known = sorted(d.name for d in descs)
            raise ValueError(f'"{raw}" is not in the list of known controllers: {known}')
        explicit.setdefault(name, not negate)  # the first mention wins, as upstream
    out: list[str] = []
    for d in descs:
        if d.name in explicit:
            on = explicit[d.name]
        else:
            on = star and d.enabled_by_default
        if on:
            out.append(d.name)
    return out


@dataclass
class ControllerManagerOptions:
    controllers: str = "*"
    leader_elect: bool = True
    identity: str = field(default_factory=lambda: f"{socket.gethostname()}_{uuid.uuid4()}")
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    lease_namespace: str = LEASE_NAMESPACE
    lease_name: str = LEASE_NAME


class ControllerManager:
    def __init__(self, config: KubeConfig, options: ControllerManagerOptions | None = None) -> None:
        self.config = config
        self.options = options or ControllerManagerOptions()
        self.enabled = enabled_controllers(self.options.controllers)
        self.client = RESTClient(config)
        self.recorder = EventRecorder(self.client, COMPONENT, socket.gethostname())
        self.controllers: list[Controller] = []
        self.leading = asyncio.Event()
        self.elector: LeaderElector | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set."""
        try:
            if not self.options.leader_elect:
                await self._run_until(stop, self._run_controllers())
                return
            while not stop.is_set():
                cfg = LeaderElectionConfig(
                    lock_namespace=self.options.lease_namespace,
                    lock_name=self.options.lease_name,
                    identity=self.options.identity,
                    lease_duration=self.options.lease_duration,
                    renew_deadline=self.options.renew_deadline,
                    retry_period=self.options.retry_period,
                    on_started_leading=self._run_controllers,
                    on_new_leader=lambda who: log.info("new leader elected: %s", who),
                )
                self.elector = LeaderElector(self.client, cfg)
                await self.elector.run(stop)
                if not stop.is_set():
                    log.error("leaderelection lost")
        finally:
            await self.recorder.close()
            await self.client.close()

    @staticmethod
    async def _run_until(stop: asyncio.Event, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (task, stopper):
                t.cancel()
            for t in (task, stopper):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t

    async def _record_leadership(self) -> None:
        try:
            lease = await self.client.get(
                f"/apis/coordination.k8s.io/v1/namespaces/{self.options.lease_namespace}/leases/{self.options.lease_name}"
            )
        except ApiError:
            return
        lease.setdefault("apiVersion", "coordination.k8s.io/v1")
        lease.setdefault("kind", "Lease")
        self.recorder.event(lease, NORMAL, "LeaderElection", f"{self.options.identity} became leader")

    async def _run_controllers(self) -> None:
        """Build and run the enabled controllers until cancelled."""
        informers = SharedInformerFactory(self.client)
        metadata_informers = SharedInformerFactory(self.client, transform=metadata_only)
        ctx = ControllerContext(
            config=self.config,
            client=self.client,
            informers=informers,
            recorder=self.recorder,
            metadata_informers=metadata_informers,
        )
        table = descriptor_table()
        self.controllers = [table[name].factory(ctx) for name in self.enabled]
        inner_stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(c.run(inner_stop), name=f"controller/{c.name}") for c in self.controllers]
        informers.start()
        metadata_informers.start()
        self.leading.set()
        if self.options.leader_elect:
            await self._record_leadership()
        log.info("started controllers: %s", ", ".join(self.enabled))
        try:
            await asyncio.gather(*tasks)
        finally:
            self.leading.clear()
            inner_stop.set()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            await informers.stop()
            await metadata_informers.stop()


async def run_controller_manager(
    kubeconfig: Path,
    controllers: str = "*",
    leader_elect: bool = True,
    stop: asyncio.Event | None = None,
    *,
    options: ControllerManagerOptions | None = None,
) -> None:
    """Run the controller manager against the API server of ``kubeconfig`` until ``stop``."""
    opts = options or ControllerManagerOptions()
    opts.controllers = controllers
    opts.leader_elect = leader_elect
    manager = ControllerManager(load_kubeconfig(kubeconfig), opts)
    await manager.run(stop or asyncio.Event())


__all__ = [
    "DESCRIPTORS",
    "ControllerDescriptor",
    "ControllerManager",
    "ControllerManagerOptions",
    "descriptor_table",
    "enabled_controllers",
    "run_controller_manager",
]
