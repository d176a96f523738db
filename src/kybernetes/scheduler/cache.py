"""The scheduler cache (pkg/scheduler/backend/cache): nodes and the pods bound or assumed on them.

An assumed pod counts against its node from the moment the scheduling cycle reserves it, so the
next cycle never hands the same room to another pod; the informer's update for the bound pod then
confirms it, and a failed binding forgets it."""

from __future__ import annotations

import logging

from kybernetes.scheduler.framework import NodeInfo, Obj, PodInfo, pod_key

log = logging.getLogger(__name__)


class SchedulerCache:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self._pod_node: dict[str, str] = {}  # pod key -> node name
        self.assumed: set[str] = set()
        self._node_list: list[NodeInfo] | None = None

    # --- nodes ---------------------------------------------------------------------------------
    def add_node(self, node: Obj) -> NodeInfo:
        name = str((node.get("metadata") or {}).get("name") or "")
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(node)
            self._node_list = None
        else:
            if ni.node is None:
                self._node_list = None
            ni.set_node(node)
        return ni

    update_node = add_node

    def remove_node(self, node: Obj) -> None:
        name = str((node.get("metadata") or {}).get("name") or "")
        ni = self.nodes.get(name)
        if ni is None:
            return
        self._node_list = None
        if ni.pods:
            ni.node = None  # keep the pods until they go (upstream keeps a node-less NodeInfo)
        else:
            del self.nodes[name]

    def node_list(self) -> list[NodeInfo]:
        """The nodes that exist, in a stable order (cached until the node set changes)."""
        if self._node_list is None:
            self._node_list = [ni for _, ni in sorted(self.nodes.items()) if ni.node is not None]
        return self._node_list

    def node_count(self) -> int:
        return len(self.node_list())

    # --- pods ----------------------------------------------------------------------------------
    def _node_info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo()
            ni.name = name
        return ni

    def assume_pod(self, pi: PodInfo, node_name: str) -> None:
        if pi.key in self._pod_node and pi.key not in self.assumed:
            raise ValueError(f"pod {pi.key} is in the cache, so can't be assumed")
        self._remove(pi.key)
        self._node_info(node_name).add_pod(pi)
        self._pod_node[pi.key] = node_name
        self.assumed.add(pi.key)

    def forget_pod(self, key: str) -> None:
        if key in self.assumed:
            self.assumed.discard(key)
            self._remove(key)

    def is_assumed(self, key: str) -> bool:
        return key in self.assumed

    def add_pod(self, pod: Obj) -> None:
        """A bound pod seen by the informer (confirms an assumed one)."""
        node_name = str((pod.get("spec") or {}).get("nodeName") or "")
        key = pod_key(pod)
        self.assumed.discard(key)
        self._remove(key)
        self._node_info(node_name).add_pod(PodInfo.of(pod))
        self._pod_node[key] = node_name

    update_pod = add_pod

    def remove_pod(self, pod: Obj) -> None:
        key = pod_key(pod)
        self.assumed.discard(key)
        self._remove(key)

    def _remove(self, key: str) -> None:
        node_name = self._pod_node.pop(key, None)
        if node_name is None:
            return
        ni = self.nodes.get(node_name)
        if ni is None:
            return
        ni.remove_pod(key)
        if ni.node is None and not ni.pods:
            del self.nodes[node_name]

    def pod_node(self, key: str) -> str | None:
        return self._pod_node.get(key)

    def pod_count(self) -> int:
        return len(self._pod_node)
