"""What every controller shares: the context it is built from and the worker loop.

Controllers follow client-go: informer handlers only enqueue keys; ``sync(key)`` reads
from the informer cache, is idempotent and raises to have the key retried with
back-off; the work queue never hands one key to two workers.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from kybernetes.client.events import EventRecorder
from kybernetes.client.informer import SharedInformer, SharedInformerFactory
from kybernetes.client.kubeconfig import KubeConfig
from kybernetes.client.rest import RESTClient
from kybernetes.client.workqueue import RateLimitingQueue

log = logging.getLogger(__name__)


@dataclass
class ControllerContext:
    """What the manager gives each controller factory."""

    config: KubeConfig
    client: RESTClient
    informers: SharedInformerFactory
    recorder: EventRecorder
    # objects are cached by this factory with everything but apiVersion, kind and metadata dropped
    metadata_informers: SharedInformerFactory
    options: dict[str, object] = field(default_factory=dict)


class Controller(abc.ABC):
    """A queue of string keys worked by ``workers`` tasks calling :meth:`sync`."""

    name: str = "controller"
    workers: int = 1
    max_retries: int | None = None  # None: retry forever (with back-off)

    def __init__(self, ctx: ControllerContext) -> None:
        self.ctx = ctx
        self.client = ctx.client
        self.queue: RateLimitingQueue[str] = RateLimitingQueue(name=self.name)

    def informers(self) -> list[SharedInformer]:
        """The informers whose caches must be synced before workers start."""
        return []

    @abc.abstractmethod
    async def sync(self, key: str) -> None:
        """Bring the object named by ``key`` to its desired state; raise to retry with back-off."""

    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    async def run(self, stop: asyncio.Event) -> None:
        """Wait for the caches, run the workers until ``stop`` (or cancellation), then shut down."""
        log.info("Starting %s controller", self.name)
        loop = asyncio.get_running_loop()
        waits = [loop.create_task(i.wait_for_sync()) for i in self.informers()]
        stop_wait = loop.create_task(stop.wait())
        workers: list[asyncio.Task[None]] = []
        try:
            if waits:
                await asyncio.wait([*waits, stop_wait], return_when=asyncio.FIRST_COMPLETED)
                while not stop.is_set() and not all(w.done() for w in waits):
                    await asyncio.wait([*waits, stop_wait], return_when=asyncio.FIRST_COMPLETED)
                if stop.is_set():
                    return
            workers = [
                loop.create_task(self._worker(), name=f"{self.name}/worker-{i}") for i in range(self.workers)
            ]
            await stop.wait()
        finally:
            self.queue.shutdown()
            for t in [*waits, stop_wait, *workers]:
                t.cancel()
            for t in workers:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            log.info("Shutting down %s controller", self.name)

    async def _worker(self) -> None:
        while True:
            key = await self.queue.get()
            if key is None:
                return
            try:
                await self.sync(key)
            except Exception as e:
                retries = self.queue.num_requeues(key)
                if self.max_retries is not None and retries >= self.max_retries:
                    log.warning("%s: dropping %r out of the queue: %s", self.name, key, e)
                    self.queue.forget(key)
                else:
                    log.info("%s: error syncing %r (retry %d): %s", self.name, key, retries, e)
                    self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
            finally:
                self.queue.done(key)
