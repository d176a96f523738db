"""Raw insert rate of the storage backends (1 KiB values).

    python bench/bench_storage.py [N]

Prints, for the same run and machine:
* the floor: a bare sqlite3 loop inserting into the same table in 500-row transactions
  from one thread (what the SqliteStore is built on, without asyncio, threads or watches),
* SqliteStore with sequential awaits (bounded by the commit + thread hand-off latency) and
  with 64 concurrent writers (group commit),
* MemoryStore for comparison,
* the target the apiserver needs (2,000 creates/s) and the one the store aims at (20,000/s).

Other benchmarks can import :func:`sqlite_insert_rate`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import tempfile
import time

from kybernetes.storage.memory import MemoryStore
from kybernetes.storage.sqlite import _SCHEMA, _SQL_INSERT, measure_sqlite_insert_rate

VALUE = b"x" * 1024
APISERVER_TARGET = 2_000
STORE_TARGET = 20_000


def sqlite_insert_rate(n: int, concurrency: int) -> float:
    """Creates per second of a fresh SqliteStore with 1 KiB values (``concurrency`` writers)."""
    return measure_sqlite_insert_rate(n, concurrency)


def raw_sqlite_insert_rate(n: int) -> float:
    """The floor: bare sqlite3 inserts into the same schema, WAL + synchronous=NORMAL."""
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(os.path.join(tmp, "raw.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        for stmt in _SCHEMA:
            conn.execute(stmt)
        t0 = time.perf_counter()
        for start in range(0, n, 500):
            conn.execute("BEGIN IMMEDIATE")
            for i in range(start, min(n, start + 500)):
                conn.execute(_SQL_INSERT, (i + 1, f"/registry/bench/w{i % 64}/k{i}", 1, 0, i + 1, 0, VALUE))
            conn.execute("COMMIT")
        elapsed = time.perf_counter() - t0
        conn.close()
        return n / elapsed


def memory_insert_rate(n: int, concurrency: int) -> float:
    async def run() -> float:
        store = MemoryStore()
        await store.start()
        per = max(1, n // concurrency)

        async def writer(w: int) -> None:
            for i in range(per):
                await store.create(f"/registry/bench/w{w}/k{i}", VALUE)

        t0 = time.perf_counter()
        await asyncio.gather(*(writer(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - t0
        await store.close()
        return per * concurrency / elapsed

    return asyncio.run(run())


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    print(f"storage insert rates, 1 KiB values, {n} keys, {os.cpu_count()} CPUs")
    print(f"  target: apiserver {APISERVER_TARGET:>9,}/s   store {STORE_TARGET:,}/s")
    print(f"  floor:  raw sqlite3, one thread, 500-row transactions  {raw_sqlite_insert_rate(n):>9,.0f}/s")
    seq = sqlite_insert_rate(min(n, 5_000), 1)
    print(f"  SqliteStore, sequential awaits                          {seq:>9,.0f}/s")
    conc = sqlite_insert_rate(n, 64)
    verdict = "ok" if conc >= STORE_TARGET else "BELOW TARGET"
    print(f"  SqliteStore, 64 concurrent writers (group commit)       {conc:>9,.0f}/s  {verdict}")
    print(f"  MemoryStore, sequential awaits                          {memory_insert_rate(n, 1):>9,.0f}/s")
    print(f"  MemoryStore, 64 concurrent writers                      {memory_insert_rate(n, 64):>9,.0f}/s")


if __name__ == "__main__":
    main()
