"""Pick a Store backend from a URL.

* ``sqlite:///abs/path/state.db`` - absolute path (``sqlite:////abs/path`` too);
  ``sqlite://relative/state.db`` - relative to the working directory. Query options: ``?synchronous=FULL`` (fsync every commit,
  default NORMAL) and ``?readers=N``.
* ``memory://`` - the in-memory store (nothing survives the process).
* ``etcd://host:port`` - not available yet.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from kybernetes.storage.interface import Store


def create_store(url: str) -> Store:
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"invalid storage URL {url!r}: expected sqlite:///path, memory:// or etcd://...")
    scheme = scheme.lower()
    if scheme == "memory":
        from kybernetes.storage.memory import MemoryStore

        return MemoryStore()
    if scheme == "sqlite":
        path, _, query = rest.partition("?")
        if not path:
            raise ValueError(f"invalid storage URL {url!r}: missing database path")
        if path.startswith("//"):  # f"sqlite:///{absolute_path}" gives sqlite:////abs/path
            path = "/" + path.lstrip("/")
        options = {k: v[-1] for k, v in parse_qs(query, strict_parsing=False).items()}
        unknown = set(options) - {"synchronous", "readers"}
        if unknown:
            raise ValueError(f"invalid storage URL {url!r}: unknown option(s) {', '.join(sorted(unknown))}")
        from kybernetes.storage.sqlite import SqliteStore

        try:
            readers = int(options.get("readers", "2"))
        except ValueError:
            raise ValueError(f"invalid storage URL {url!r}: readers must be an integer") from None
        return SqliteStore(path, synchronous=options.get("synchronous", "NORMAL"), readers=readers)
    if scheme in ("etcd", "etcd3"):
        raise ValueError("etcd backend not available yet")
    raise ValueError(f"unsupported storage URL {url!r}: expected sqlite:///path, memory:// or etcd://...")
