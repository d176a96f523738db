from __future__ import annotations

import shutil
import time
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
    """A fresh namespace; its `default` ServiceAccount comes from the serviceaccount controller."""
    name = "t-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    deadline = time.monotonic() + 30
    while cluster.kubectl("get", "serviceaccount", "default", "-n", name, check=False).returncode != 0:
        assert time.monotonic() < deadline, "the serviceaccount controller did not create the default account"
        time.sleep(0.1)
    return name
