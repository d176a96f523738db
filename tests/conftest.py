from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest

from kybernetes.testing.cluster import KybCluster


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which("kubectl") is None:
        skip = pytest.mark.skip(reason="needs the kubectl binary")
        for item in items:
            if "kubectl" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KybCluster]:
    """One `kyb up` for the session; tests isolate themselves by namespace."""
    c = KybCluster(tmp_path_factory.mktemp("kyb-session"))
    c.start()
    yield c
    c.stop()


@pytest.fixture
def ns(cluster: KybCluster) -> str:
    name = "t-" + uuid.uuid4().hex[:8]
    manifest = (
        f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n---\n"
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: default, namespace: {name}}}\n"
    )
    cluster.kubectl("create", "-f", "-", input=manifest)
    return name
