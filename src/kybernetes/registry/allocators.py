"""ClusterIP and NodePort allocation, one store key per allocated value.

Each allocation is a create-if-absent of ``/registry/ipallocations/<ip>`` or
``/registry/nodeportallocations/<port>`` (in the manner of upstream's IPAddress
objects), so two API servers on one etcd never hand out the same value.
"""

from __future__ import annotations

import ipaddress
import random

import orjson

from kybernetes.storage.interface import KeyExistsError, KeyNotFoundError, Store

SERVICE_CIDR = "10.96.0.0/12"
NODE_PORT_RANGE = (30000, 32767)
IP_PREFIX = "/registry/ipallocations/"
PORT_PREFIX = "/registry/nodeportallocations/"


class AllocationError(Exception):
    pass


class ClusterIPAllocator:
    def __init__(self, store: Store, cidr: str = SERVICE_CIDR) -> None:
        self.store = store
        self.network = ipaddress.ip_network(cidr)
        # network address and broadcast are never handed out; .1 is the kubernetes Service
        self._first = int(self.network.network_address) + 1
        self._last = int(self.network.broadcast_address) - 1

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False

    async def allocate(self, ip: str, owner: str) -> None:
        try:
            await self.store.create(IP_PREFIX + ip, orjson.dumps({"owner": owner}))
        except KeyExistsError:
            raise AllocationError(f"failed to allocate IP {ip}: provided IP is already allocated") from None

    async def allocate_next(self, owner: str) -> str:
        size = self._last - self._first + 1
        # random probing from the upper part first, as upstream keeps the lower band for static IPs
        for _ in range(64):
            n = self._first + random.randrange(size)
            ip = str(ipaddress.ip_address(n))
            if ip.endswith(".10") and n < self._first + 16:
                continue
            try:
                await self.allocate(ip, owner)
                return ip
            except AllocationError:
                continue
        raise AllocationError("range is full")

    async def release(self, ip: str) -> None:
        try:
            await self.store.delete(IP_PREFIX + ip)
        except KeyNotFoundError:
            pass


class NodePortAllocator:
    def __init__(self, store: Store, port_range: tuple[int, int] = NODE_PORT_RANGE) -> None:
        self.store = store
        self.low, self.high = port_range

    def contains(self, port: int) -> bool:
        return self.low <= port <= self.high

    async def allocate(self, port: int, owner: str) -> None:
        try:
            await self.store.create(f"{PORT_PREFIX}{port}", orjson.dumps({"owner": owner}))
        except KeyExistsError:
            raise AllocationError("provided port is already allocated") from None

    async def allocate_next(self, owner: str) -> int:
        for _ in range(128):
            port = random.randint(self.low, self.high)
            try:
                await self.allocate(port, owner)
                return port
            except AllocationError:
                continue
        raise AllocationError("range is full")

    async def release(self, port: int) -> None:
        try:
            await self.store.delete(f"{PORT_PREFIX}{port}")
        except KeyNotFoundError:
            pass
