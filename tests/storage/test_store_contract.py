"""The behavioural contract of the Store protocol, run against every backend."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from kybernetes.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    Store,
    StoreClosedError,
    WatchEvent,
)
from kybernetes.storage.memory import MemoryStore
from kybernetes.storage.sqlite import REPLAY_CHUNK, SqliteStore

BACKENDS = ["memory", "sqlite"]
TIMEOUT = 10.0

MakeStore = Callable[[], Awaitable[Store]]


@pytest.fixture(params=BACKENDS)
async def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MakeStore]:
    """A factory of started stores of one backend; sqlite stores share one file (a restart)."""
    opened: list[Store] = []

    async def make() -> Store:
        store: Store
        if request.param == "memory":
            store = MemoryStore()
        else:
            store = SqliteStore(tmp_path / "state.db")
        await store.start()
        opened.append(store)
        return store

    yield make
    for store in opened:
        await store.close()


@pytest.fixture
async def store(make_store: MakeStore) -> Store:
    return await make_store()


async def take(events: AsyncIterator[WatchEvent], n: int) -> list[WatchEvent]:
    """The next n events of a watch, failing if they do not come in time."""

    async def run() -> list[WatchEvent]:
        out: list[WatchEvent] = []
        while len(out) < n:
            out.append(await anext(events))
        return out

    return await asyncio.wait_for(run(), TIMEOUT)


async def nothing_more(events: AsyncIterator[WatchEvent], wait: float = 0.2) -> None:
    with pytest.raises(TimeoutError):
        ev = await asyncio.wait_for(anext(events), wait)
        pytest.fail(f"unexpected event {ev}")


def summary(events: list[WatchEvent]) -> list[tuple[str, str, int, bytes]]:
    return [(e.type, e.kv.key, e.revision, e.kv.value) for e in events]


# --- revisions and writes --------------------------------------------------------------


async def test_revisions_bump_by_one_per_write(store: Store) -> None:
    assert await store.current_revision() == 0
    a = await store.create("/a", b"1")
    assert (a.create_revision, a.mod_revision) == (1, 1)
    b = await store.create("/b", b"2")
    assert b.mod_revision == 2
    a2 = await store.update("/a", b"3", a.mod_revision)
    assert (a2.create_revision, a2.mod_revision, a2.value) == (1, 3, b"3")
    deleted = await store.delete("/b")
    assert deleted == b
    assert await store.current_revision() == 4
    # failed writes do not bump the revision
    with pytest.raises(KeyExistsError):
        await store.create("/a", b"x")
    with pytest.raises(ConflictError):
        await store.update("/a", b"x", 1)
    with pytest.raises(KeyNotFoundError):
        await store.delete("/b")
    assert await store.current_revision() == 4
    again = await store.create("/b", b"again")
    assert (again.create_revision, again.mod_revision) == (5, 5)


async def test_create_only_if_absent(store: Store) -> None:
    first = await store.create("/registry/pods/default/p", b"v1")
    with pytest.raises(KeyExistsError) as info:
        await store.create("/registry/pods/default/p", b"v2")
    assert info.value.key == "/registry/pods/default/p"
    assert info.value.current == first
    assert await store.get("/registry/pods/default/p") == first


async def test_update_with_mod_revision_precondition(store: Store) -> None:
    kv = await store.create("/k", b"1")
    updated = await store.update("/k", b"2", kv.mod_revision)
    with pytest.raises(ConflictError) as info:
        await store.update("/k", b"3", kv.mod_revision)  # stale
    assert info.value.key == "/k"
    assert info.value.current == updated
    with pytest.raises(KeyNotFoundError):
        await store.update("/missing", b"x", 1)
    assert await store.get("/k") == updated


async def test_delete_with_and_without_precondition(store: Store) -> None:
    a = await store.create("/a", b"1")
    b = await store.create("/b", b"2")
    with pytest.raises(ConflictError) as info:
        await store.delete("/a", a.mod_revision + 100)
    assert info.value.current == a
    assert await store.delete("/a", a.mod_revision) == a
    assert await store.delete("/b") == b
    assert await store.get("/a") is None
    with pytest.raises(KeyNotFoundError):
        await store.delete("/a")
    with pytest.raises(KeyNotFoundError):
        await store.update("/a", b"x", a.mod_revision)
    # a re-created key starts a new life
    c = await store.create("/a", b"new")
    assert c.create_revision == c.mod_revision == 5


async def test_concurrent_conflicting_updates_exactly_one_wins(store: Store) -> None:
    kv = await store.create("/c", b"0")
    results = await asyncio.gather(
        *(store.update("/c", f"{i}".encode(), kv.mod_revision) for i in range(20)), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, KeyValue)]
    assert len(winners) == 1
    assert all(isinstance(r, ConflictError) for r in results if not isinstance(r, KeyValue))
    assert await store.get("/c") == winners[0]


async def test_concurrent_creates_get_distinct_contiguous_revisions(store: Store) -> None:
    kvs = await asyncio.gather(*(store.create(f"/many/{i:04d}", b"v" * 100) for i in range(500)))
    assert sorted(kv.mod_revision for kv in kvs) == list(range(1, 501))
    assert await store.current_revision() == 500
    result = await store.range("/many/")
    assert result.count == 500
    assert [kv.key for kv in result.kvs] == [f"/many/{i:04d}" for i in range(500)]


async def test_values_are_bytes(store: Store) -> None:
    kv = await store.create("/bin", bytes(range(256)))
    assert (await store.get("/bin")) == kv
    assert kv.value == bytes(range(256))
    empty = await store.create("/empty", b"")
    assert (await store.get("/empty")) == empty
    with pytest.raises(TypeError):
        await store.create("/text", "not bytes")  # type: ignore[arg-type]


# --- reads ---------------------------------------------------------------------------------


async def test_get_at_past_revisions(store: Store) -> None:
    v1 = await store.create("/k", b"1")
    v2 = await store.update("/k", b"2", v1.mod_revision)
    await store.delete("/k")
    v4 = await store.create("/k", b"4")
    assert await store.get("/k", 1) == v1
    assert await store.get("/k", 2) == v2
    assert await store.get("/k", 3) is None
    assert await store.get("/k", 4) == v4
    assert await store.get("/k") == v4
    assert await store.get("/never") is None
    with pytest.raises(FutureRevisionError):
        await store.get("/k", 5)


async def test_range_prefix_start_key_limit_more_count(store: Store) -> None:
    for name in ["a", "b", "c", "d", "e"]:
        await store.create(f"/registry/pods/ns1/{name}", name.encode())
    await store.create("/registry/pods/ns2/x", b"x")
    await store.create("/registry/services/ns1/s", b"s")

    everything = await store.range("")
    assert everything.count == 7 and not everything.more and everything.revision == 7

    pods = await store.range("/registry/pods/")
    assert [kv.key.rsplit("/", 1)[1] for kv in pods.kvs] == ["a", "b", "c", "d", "e", "x"]
    assert (pods.count, pods.more) == (6, False)

    ns1 = await store.range("/registry/pods/ns1/", limit=2)
    assert [kv.value for kv in ns1.kvs] == [b"a", b"b"]
    assert (ns1.more, ns1.count, ns1.revision) == (True, 5, 7)

    page2 = await store.range("/registry/pods/ns1/", start_key="/registry/pods/ns1/c", limit=2)
    assert [kv.value for kv in page2.kvs] == [b"c", b"d"]
    assert (page2.more, page2.count) == (True, 3)

    last = await store.range("/registry/pods/ns1/", start_key="/registry/pods/ns1/e", limit=2)
    assert [kv.value for kv in last.kvs] == [b"e"]
    assert (last.more, last.count) == (False, 1)

    exact = await store.range("/registry/pods/ns1/", limit=5)
    assert (len(exact.kvs), exact.more, exact.count) == (5, False, 5)

    # a start key before the prefix is the prefix; after the prefix range: nothing
    before = await store.range("/registry/pods/ns2/", start_key="/a")
    assert [kv.key for kv in before.kvs] == ["/registry/pods/ns2/x"]
    after = await store.range("/registry/pods/ns1/", start_key="/registry/pods/ns2/")
    assert (after.kvs, after.count, after.more) == ([], 0, False)

    assert (await store.range("/registry/nothing/")).kvs == []


async def test_range_prefix_is_a_plain_string_prefix(store: Store) -> None:
    await store.create("/registry/pods/ns/p", b"pod")
    await store.create("/registry/podsx/ns/q", b"other")
    await store.create("/registry/pods", b"bare")
    pods = await store.range("/registry/pods/")
    assert [kv.key for kv in pods.kvs] == ["/registry/pods/ns/p"]
    loose = await store.range("/registry/pods")
    assert [kv.key for kv in loose.kvs] == ["/registry/pods", "/registry/pods/ns/p", "/registry/podsx/ns/q"]


async def test_range_unicode_keys_in_code_point_order(store: Store) -> None:
    keys = ["/u/a", "/u/z", "/u/é", "/u/中", "/u/\U0001f600", "/u/\x7f"]
    for k in keys:
        await store.create(k, k.encode())
    result = await store.range("/u/")
    assert [kv.key for kv in result.kvs] == sorted(keys)
    await store.create("/v\U0010ffff/x", b"edge")
    assert [kv.key for kv in (await store.range("/v\U0010ffff")).kvs] == ["/v\U0010ffff/x"]


async def test_range_at_past_revision(store: Store) -> None:
    a = await store.create("/r/a", b"a1")
    await store.create("/r/b", b"b1")
    await store.update("/r/a", b"a2", a.mod_revision)
    await store.delete("/r/b")
    await store.create("/r/c", b"c1")
    at2 = await store.range("/r/", revision=2)
    assert [(kv.key, kv.value) for kv in at2.kvs] == [("/r/a", b"a1"), ("/r/b", b"b1")]
    assert at2.revision == 2
    at4 = await store.range("/r/", revision=4)
    assert [(kv.key, kv.value) for kv in at4.kvs] == [("/r/a", b"a2")]
    now = await store.range("/r/")
    assert [(kv.key, kv.value) for kv in now.kvs] == [("/r/a", b"a2"), ("/r/c", b"c1")]
    assert now.revision == 5
    with pytest.raises(FutureRevisionError):
        await store.range("/r/", revision=6)


async def test_paginated_snapshot_stays_consistent_while_writes_continue(store: Store) -> None:
    for i in range(40):
        await store.create(f"/p/{i:03d}", f"v{i}".encode())
    first = await store.range("/p/", limit=7)
    snapshot_rev = first.revision
    expected = {f"/p/{i:03d}": f"v{i}".encode() for i in range(40)}

    stop = asyncio.Event()

    async def churn() -> None:
        i = 0
        while not stop.is_set():
            key = f"/p/{i % 40:03d}"
            kv = await store.get(key)
            if kv is not None and i % 3 == 0:
                await store.delete(key)
            elif kv is not None:
                await store.update(key, b"changed", kv.mod_revision)
            else:
                await store.create(key, b"recreated")
            await store.create(f"/p/{i:03d}-new", b"new")
            i += 1
            await asyncio.sleep(0)

    writer = asyncio.create_task(churn())
    seen = {kv.key: kv.value for kv in first.kvs}
    page = first
    while page.more:
        await asyncio.sleep(0.005)
        page = await store.range("/p/", start_key=page.kvs[-1].key + "\x00", limit=7, revision=snapshot_rev)
        assert page.revision == snapshot_rev
        seen.update({kv.key: kv.value for kv in page.kvs})
    stop.set()
    await writer
    assert seen == expected
    assert await store.current_revision() > snapshot_rev


# --- watch -----------------------------------------------------------------------------------


async def test_watch_replays_history_then_follows_live(store: Store) -> None:
    a = await store.create("/w/a", b"1")
    a2 = await store.update("/w/a", b"2", a.mod_revision)
    await store.create("/other/x", b"x")
    b = await store.create("/w/b", b"3")
    watch = store.watch("/w/", 2)
    replayed = await take(watch, 2)
    assert summary(replayed) == [("PUT", "/w/a", 2, b"2"), ("PUT", "/w/b", 4, b"3")]
    assert replayed[0].prev_kv == a and not replayed[0].is_create
    assert replayed[1].prev_kv is None and replayed[1].is_create

    b2 = await store.update("/w/b", b"4", b.mod_revision)
    await store.delete("/w/a")
    live = await take(watch, 2)
    assert summary(live) == [("PUT", "/w/b", 5, b"4"), ("DELETE", "/w/a", 6, b"")]
    assert live[0].prev_kv == b
    assert live[1].prev_kv == a2
    assert live[1].kv == KeyValue("/w/a", b"", 0, 6)
    await nothing_more(watch)
    assert b2.mod_revision == 5


async def test_watch_replay_of_deletes_and_recreates_has_prev_kv(store: Store) -> None:
    a = await store.create("/d/a", b"1")
    await store.delete("/d/a")
    again = await store.create("/d/a", b"2")
    events = await take(store.watch("/d/", 1), 3)
    assert [e.type for e in events] == ["PUT", "DELETE", "PUT"]
    assert events[1].prev_kv == a
    assert events[1].kv == KeyValue("/d/a", b"", 0, 2)
    assert events[2].kv == again and events[2].prev_kv is None and events[2].is_create


async def test_watch_from_zero_sees_only_future_events(store: Store) -> None:
    await store.create("/z/old", b"old")
    watch = store.watch("/z/", 0)
    await store.create("/z/new", b"new")  # after watch() was called: delivered
    events = await take(watch, 1)
    assert summary(events) == [("PUT", "/z/new", 2, b"new")]
    await nothing_more(watch)


async def test_watch_from_a_future_revision_waits_for_it(store: Store) -> None:
    await store.create("/f/1", b"1")
    watch = store.watch("/f/", 3)
    await store.create("/f/2", b"2")
    await store.create("/f/3", b"3")
    assert summary(await take(watch, 1)) == [("PUT", "/f/3", 3, b"3")]


async def test_watch_switch_from_replay_to_live_has_no_gap_or_duplicate(store: Store) -> None:
    for i in range(30):
        await store.create(f"/g/{i}", b"x")
    watch = store.watch("/g/", 1)

    async def write_more() -> None:
        for i in range(30, 60):
            await store.create(f"/g/{i}", b"x")

    writer = asyncio.create_task(write_more())
    events = await take(watch, 60)
    await writer
    assert [e.revision for e in events] == list(range(1, 61))
    await nothing_more(watch)


async def test_watch_replays_long_history_in_order(store: Store) -> None:
    n = REPLAY_CHUNK * 2 + 17
    await asyncio.gather(*(store.create(f"/long/{i:05d}", b"v") for i in range(n)))
    await store.create("/longer/x", b"not under the prefix")
    events = await take(store.watch("/long/", 1), n)
    assert [e.revision for e in events] == list(range(1, n + 1))


async def test_concurrent_watchers_all_see_every_event(store: Store) -> None:
    watchers = [store.watch("/cw/", 0) for _ in range(5)] + [store.watch("", 0)]
    writes = 50

    async def writer(w: int) -> None:
        for i in range(writes // 5):
            kv = await store.create(f"/cw/{w}/{i}", b"v")
            await store.update(kv.key, b"v2", kv.mod_revision)

    await asyncio.gather(*(writer(w) for w in range(5)))
    results = await asyncio.gather(*(take(w, writes * 2) for w in watchers))
    for events in results:
        assert [e.revision for e in events] == list(range(1, writes * 2 + 1))
        assert all(e.prev_kv is not None for e in events if e.kv.value == b"v2")
    for w in watchers:
        await nothing_more(w, 0.05)


async def test_watch_on_a_prefix_ignores_other_prefixes(store: Store) -> None:
    pods = store.watch("/registry/pods/", 0)
    exact = store.watch("/registry/pods/ns/p", 0)  # a prefix not ending in "/" works too
    await store.create("/registry/podsx/ns/q", b"no")
    await store.create("/registry/pod", b"no")
    await store.create("/registry/services/ns/s", b"no")
    await store.create("/registry/pods/ns/p", b"yes")
    await store.create("/registry/pods/ns/p2", b"yes too")
    assert summary(await take(pods, 2)) == [
        ("PUT", "/registry/pods/ns/p", 4, b"yes"),
        ("PUT", "/registry/pods/ns/p2", 5, b"yes too"),
    ]
    assert [e.kv.key for e in await take(exact, 2)] == ["/registry/pods/ns/p", "/registry/pods/ns/p2"]
    await nothing_more(pods)
    # replay applies the same filter
    replay = store.watch("/registry/pods/", 1)
    assert [e.revision for e in await take(replay, 2)] == [4, 5]
    await nothing_more(replay)


async def test_abandoned_watch_does_not_disturb_others(store: Store) -> None:
    gone = store.watch("/x/", 0)
    kept = store.watch("/x/", 0)
    await store.create("/x/1", b"1")
    assert len(await take(gone, 1)) == 1
    await gone.aclose()  # type: ignore[attr-defined]
    await store.create("/x/2", b"2")
    assert [e.revision for e in await take(kept, 2)] == [1, 2]


# --- compaction ------------------------------------------------------------------------------


async def test_compaction(store: Store) -> None:
    a = await store.create("/c/a", b"a1")  # 1
    b = await store.create("/c/b", b"b1")  # 2
    a2 = await store.update("/c/a", b"a2", a.mod_revision)  # 3
    await store.delete("/c/b")  # 4
    await store.create("/c/d", b"d1")  # 5
    a3 = await store.update("/c/a", b"a3", a2.mod_revision)  # 6
    assert b.mod_revision == 2

    await store.compact(5)
    assert await store.compacted_revision() == 5
    for rev in (1, 3, 4):
        with pytest.raises(CompactedError) as info:
            await store.get("/c/a", rev)
        assert (info.value.requested, info.value.compacted) == (rev, 5)
        with pytest.raises(CompactedError):
            await store.range("/c/", revision=rev)
    # at the compacted revision and after, everything is still there
    assert await store.get("/c/a", 5) == a2
    at5 = await store.range("/c/", revision=5)
    assert [(kv.key, kv.value) for kv in at5.kvs] == [("/c/a", b"a2"), ("/c/d", b"d1")]
    now = await store.range("/c/")
    assert [(kv.key, kv.value) for kv in now.kvs] == [("/c/a", b"a3"), ("/c/d", b"d1")]
    assert await store.get("/c/b") is None

    for start in (1, 5):
        with pytest.raises(CompactedError):
            await take(store.watch("/c/", start), 1)
    events = await take(store.watch("/c/", 6), 1)
    assert events[0].kv == a3 and events[0].prev_kv == a2  # prev_kv survives compaction

    # at or below the compacted revision: no-op; beyond the current one: an error
    await store.compact(3)
    assert await store.compacted_revision() == 5
    with pytest.raises(FutureRevisionError):
        await store.compact(100)
    # writes go on with fresh revisions
    assert (await store.update("/c/a", b"a4", a3.mod_revision)).mod_revision == 7
    await store.compact(7)
    assert [(kv.key, kv.value) for kv in (await store.range("/c/")).kvs] == [("/c/a", b"a4"), ("/c/d", b"d1")]


async def test_compaction_of_everything_keeps_current_values(store: Store) -> None:
    kv = await store.create("/k", b"0")
    for i in range(1, 50):
        kv = await store.update("/k", f"{i}".encode(), kv.mod_revision)
    await store.create("/gone", b"x")
    await store.delete("/gone")
    rev = await store.current_revision()
    await store.compact(rev)
    assert await store.get("/k") == kv
    assert (await store.range("")).kvs == [kv]
    assert (await store.create("/gone", b"back")).create_revision == rev + 1


# --- lifecycle ---------------------------------------------------------------------------------


async def test_close_ends_running_watches(make_store: MakeStore) -> None:
    store = await make_store()
    await store.create("/e/a", b"1")
    watch = store.watch("/e/", 1)
    assert len(await take(watch, 1)) == 1

    async def drain() -> list[WatchEvent]:
        return [e async for e in watch]

    task = asyncio.create_task(drain())
    await asyncio.sleep(0.05)
    await store.close()
    assert await asyncio.wait_for(task, TIMEOUT) == []
    with pytest.raises(StoreClosedError):
        await store.get("/e/a")
    with pytest.raises(StoreClosedError):
        await store.create("/e/b", b"2")
    with pytest.raises(StoreClosedError):
        store.watch("/e/", 0)


async def test_sqlite_restart_keeps_revision_values_and_compaction(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "state.db"
    store = SqliteStore(path)
    await store.start()
    a = await store.create("/a", b"1")
    a = await store.update("/a", b"2", a.mod_revision)
    await store.create("/b", b"3")
    await store.delete("/b")  # 4: the highest revision is a delete
    await store.compact(4)
    await store.close()

    store = SqliteStore(path)
    await store.start()
    try:
        assert await store.current_revision() == 4
        assert await store.compacted_revision() == 4
        assert await store.get("/a") == a
        assert await store.get("/b") is None
        with pytest.raises(CompactedError):
            await store.get("/a", 3)
        with pytest.raises(CompactedError):
            await take(store.watch("", 4), 1)
        c = await store.create("/c", b"4")
        assert c.mod_revision == 5  # never reused
    finally:
        await store.close()


_KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from kybernetes.storage.sqlite import SqliteStore

    async def main() -> None:
        store = SqliteStore(sys.argv[1])
        await store.start()

        async def writer(w: int) -> None:
            i = 0
            while True:
                kv = await store.create(f"/kill/{w}/{i}", b"v" * 512)
                print(kv.key, kv.mod_revision, flush=True)
                i += 1

        await asyncio.gather(*(writer(w) for w in range(16)))

    asyncio.run(main())
    """
)


async def test_sqlite_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _KILL_SCRIPT,
        str(path),
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    acknowledged: dict[str, int] = {}
    try:
        while len(acknowledged) < 3000:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert line, "the writer process ended early"
            key, rev = line.decode().split()
            acknowledged[key] = int(rev)
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    # lines printed before the kill but not read yet are acknowledged too
    complete_lines = (await proc.stdout.read()).decode().split("\n")[:-1]  # not a line cut by the kill
    for rest in complete_lines:
        key, rev = rest.split()
        acknowledged[key] = int(rev)

    store = SqliteStore(path)
    await store.start()
    try:
        kvs = {kv.key: kv for kv in (await store.range("/kill/")).kvs}
        missing = [k for k in acknowledged if k not in kvs]
        assert not missing, f"{len(missing)} acknowledged writes lost"
        assert all(kvs[k].mod_revision == rev for k, rev in acknowledged.items())
        assert await store.current_revision() >= max(acknowledged.values())
        kv = await store.create("/after", b"x")
        assert kv.mod_revision == await store.current_revision()
        assert kv.mod_revision > max(kv.mod_revision for kv in kvs.values())
    finally:
        await store.close()


async def test_sqlite_two_stores_on_one_file_do_not_reuse_revisions(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "state.db")
    second = SqliteStore(tmp_path / "state.db")
    await first.start()
    await second.start()
    try:
        a = await first.create("/one", b"1")
        b = await second.create("/two", b"2")
        c = await first.create("/three", b"3")
        assert len({a.mod_revision, b.mod_revision, c.mod_revision}) == 3
        with pytest.raises(KeyExistsError):
            await second.create("/one", b"again")
    finally:
        await first.close()
        await second.close()


# --- sqlite specifics -----------------------------------------------------------------------


def _log_rows(path: Path) -> list[tuple[int, str, int]]:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, name, deleted FROM log ORDER BY id").fetchall()
    finally:
        conn.close()


async def test_sqlite_compaction_deletes_superseded_rows_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kybernetes.storage.sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "COMPACT_CHUNK", 7)
    path = tmp_path / "state.db"
    store = SqliteStore(path)
    await store.start()
    try:
        kv = await store.create("/k", b"0")  # 1
        for i in range(30):  # 2..31
            kv = await store.update("/k", f"{i}".encode(), kv.mod_revision)
        await store.create("/gone", b"x")  # 32
        await store.delete("/gone")  # 33
        await store.create("/stay", b"s")  # 34
        kv = await store.update("/k", b"last", kv.mod_revision)  # 35
        await store.compact(34)
        # /k keeps its row as of 34 (31) and the later one (35); /gone disappears; /stay stays
        assert _log_rows(path) == [(31, "/k", 0), (34, "/stay", 0), (35, "/k", 0)]
        assert await store.get("/k", 34) == KeyValue("/k", b"29", 1, 31)
        events = await take(store.watch("", 35), 1)
        assert events[0].prev_kv == KeyValue("/k", b"29", 1, 31)
    finally:
        await store.close()


async def test_sqlite_compaction_during_replay_fails_the_watch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kybernetes.storage.sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "REPLAY_CHUNK", 10)
    store = SqliteStore(tmp_path / "state.db")
    await store.start()
    try:
        kv = await store.create("/k", b"0")
        for i in range(40):
            kv = await store.update("/k", f"{i}".encode(), kv.mod_revision)
        watch = store.watch("/k", 1)
        assert [e.revision for e in await take(watch, 10)] == list(range(1, 11))
        await store.compact(30)
        with pytest.raises(CompactedError):
            await take(watch, 30)
    finally:
        await store.close()


async def test_sqlite_start_fails_cleanly_on_a_bad_path(tmp_path: Path) -> None:
    from kybernetes.storage.interface import StorageError

    (tmp_path / "dir.db").mkdir()
    store = SqliteStore(tmp_path / "dir.db")
    with pytest.raises(StorageError):
        await store.start()
    with pytest.raises(StoreClosedError):
        await store.get("/x")
    await store.close()
