"""Lease-based leader election, as client-go's ``tools/leaderelection``.

The lock is a ``coordination.k8s.io/v1`` Lease (``holderIdentity``,
``leaseDurationSeconds``, ``acquireTime``, ``renewTime``, ``leaseTransitions``).
A candidate tries every ``retry_period`` to acquire the lease; it may take it when the
lease has no holder or when the record it last observed has not changed for
``lease_duration`` (measured on the local clock, so clock skew between candidates does
not matter). The leader renews every ``retry_period``; if it cannot renew within
``renew_deadline`` it stops leading. On a clean stop the leader releases the lease
(empty holder), so another candidate takes over at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kybernetes.client.rest import ApiError, Obj, RESTClient, resource_path

log = logging.getLogger(__name__)


def _micro_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_identity() -> str:
    """``<hostname>_<uuid>`` as kube-controller-manager uses."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


@dataclass
class LeaderElectionConfig:
    lock_namespace: str
    lock_name: str
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    # called (as a task) when this candidate becomes leader; cancelled when it stops leading
    on_started_leading: Callable[[], Awaitable[None]] | None = None
    on_stopped_leading: Callable[[], None] | None = None
    on_new_leader: Callable[[str], None] | None = None
    release_on_cancel: bool = True

    def __post_init__(self) -> None:
        if self.lease_duration <= self.renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if self.renew_deadline <= self.retry_period * 1.2:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")
        if not self.identity:
            raise ValueError("Lock identity is empty")


class LeaderElector:
    def __init__(self, client: RESTClient, config: LeaderElectionConfig) -> None:
        self.client = client
        self.config = config
        self._observed: Obj | None = None  # the spec of the lease as last seen
        self._observed_rv = ""
        self._observed_time = 0.0
        self._reported_leader = ""
        self.path = resource_path(
            "coordination.k8s.io", "v1", "leases", config.lock_namespace, config.lock_name
        )
        self.collection = resource_path("coordination.k8s.io", "v1", "leases", config.lock_namespace)

    # --- state -------------------------------------------------------------------------------------
    def get_leader(self) -> str:
        return str((self._observed or {}).get("holderIdentity") or "")

    def is_leader(self) -> bool:
        return self.get_leader() == self.config.identity

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _observe(self, spec: Obj, rv: str) -> None:
        if spec != self._observed:
            self._observed = spec
            self._observed_time = self._now()
        self._observed_rv = rv
        leader = self.get_leader()
        if leader != self._reported_leader:
            self._reported_leader = leader
            if leader and self.config.on_new_leader is not None:
                try:
                    self.config.on_new_leader(leader)
                except Exception:
                    log.exception("leader election: on_new_leader failed")

    # --- one attempt -------------------------------------------------------------------------------
    async def try_acquire_or_renew(self) -> bool:
        cfg = self.config
        now = _micro_now()
        desired: Obj = {
            "holderIdentity": cfg.identity,
            "leaseDurationSeconds": max(1, round(cfg.lease_duration)),
            "acquireTime": now,
            "renewTime": now,
        }
        try:
            lease = await self.client.get(self.path)
        except ApiError as e:
            if e.code != 404:
                log.warning("error retrieving resource lock %s/%s: %s", cfg.lock_namespace, cfg.lock_name, e)
                return False
            desired["leaseTransitions"] = 0
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": cfg.lock_name, "namespace": cfg.lock_namespace},
                "spec": desired,
            }
            try:
                created = await self.client.create(self.collection, body)
            except ApiError as ce:
                log.info("error initially creating leader election record: %s", ce)
                return False
            self._observe(created.get("spec") or {}, str(created["metadata"].get("resourceVersion", "")))
            return True
        old: Obj = lease.get("spec") or {}
        self._observe(old, str(lease["metadata"].get("resourceVersion", "")))
        holder = old.get("holderIdentity") or ""
        leader = holder == cfg.identity
        duration = float(old.get("leaseDurationSeconds") or cfg.lease_duration)
        if holder and not leader and self._observed_time + duration > self._now():
            return False
        if leader:
            desired["acquireTime"] = old.get("acquireTime") or now
            desired["leaseTransitions"] = int(old.get("leaseTransitions") or 0)
        else:
            desired["leaseTransitions"] = int(old.get("leaseTransitions") or 0) + 1
        lease["spec"] = {**old, **desired}
        try:
            updated = await self.client.update(self.path, lease)
        except ApiError as e:
            log.info("failed to update lease %s/%s: %s", cfg.lock_namespace, cfg.lock_name, e)
            return False
        self._observe(updated.get("spec") or {}, str(updated["metadata"].get("resourceVersion", "")))
        return True

    async def release(self) -> bool:
        """Give the lease up (empty holder, 1 s duration) if this candidate holds it."""
        if not self.is_leader():
            return True
        try:
            lease = await self.client.get(self.path)
            spec: Obj = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.config.identity:
                return True
            now = _micro_now()
            lease["spec"] = {
                "leaseDurationSeconds": 1,
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": int(spec.get("leaseTransitions") or 0),
            }
            updated = await self.client.update(self.path, lease)
        except ApiError as e:
            log.warning("failed to release lock: %s", e)
            return False
        self._observe(updated.get("spec") or {}, str(updated["metadata"].get("resourceVersion", "")))
        return True

    # --- loops -------------------------------------------------------------------------------------
    async def _acquire(self, stop: asyncio.Event) -> bool:
        cfg = self.config
        log.info("attempting to acquire leader lease %s/%s...", cfg.lock_namespace, cfg.lock_name)
        while not stop.is_set():
            if await self.try_acquire_or_renew():
                log.info("successfully acquired lease %s/%s", cfg.lock_namespace, cfg.lock_name)
                return True
            await _sleep_or_stop(stop, cfg.retry_period * (1.0 + 0.2 * _jitter()))
        return False

    async def _renew(self, stop: asyncio.Event) -> None:
        """Renew until ``stop`` or until renewal fails for ``renew_deadline``."""
        cfg = self.config
        last_ok = self._now()
        while not stop.is_set():
            await _sleep_or_stop(stop, cfg.retry_period)
            if stop.is_set():
                return
            try:
                ok = await asyncio.wait_for(
                    self.try_acquire_or_renew(), max(0.1, cfg.renew_deadline - (self._now() - last_ok))
                )
            except TimeoutError:
                ok = False
            if ok:
                last_ok = self._now()
            elif self._now() - last_ok >= cfg.renew_deadline or (
                self._observed is not None and not self.is_leader()
            ):
                log.info("failed to renew lease %s/%s: timed out", cfg.lock_namespace, cfg.lock_name)
                return

    async def run(self, stop: asyncio.Event) -> None:
        """Campaign until leading, lead until ``stop`` is set or the lease is lost, then return."""
        cfg = self.config
        if not await self._acquire(stop):
            return
        lead_task: asyncio.Task[Any] | None = None
        if cfg.on_started_leading is not None:
            lead_task = asyncio.get_running_loop().create_task(
                _run_callback(cfg.on_started_leading), name=f"leader/{cfg.lock_name}"
            )
        renew_task = asyncio.get_running_loop().create_task(
            self._renew(stop), name=f"leader/{cfg.lock_name}/renew"
        )
        try:
            waiters: set[asyncio.Task[Any]] = {renew_task}
            if lead_task is not None:
                waiters.add(lead_task)
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (renew_task, lead_task):
                if t is not None and not t.done():
                    t.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await t
            if cfg.release_on_cancel:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.release(), cfg.renew_deadline)
            if cfg.on_stopped_leading is not None:
                try:
                    cfg.on_stopped_leading()
                except Exception:
                    log.exception("leader election: on_stopped_leading failed")


async def _run_callback(fn: Callable[[], Awaitable[None]]) -> None:
    await fn()


def _jitter() -> float:
    import random

    return random.random()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


__all__ = ["LeaderElectionConfig", "LeaderElector", "default_identity"]
