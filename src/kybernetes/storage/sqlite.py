"""SqliteStore: the default Store, one SQLite log table in the manner of k3s' kine.

Layout
    ``log(id INTEGER PRIMARY KEY, name, created, deleted, create_revision, prev_revision, value)``:
    every write appends one row and its row id *is* the revision. A delete appends a
    tombstone row (``deleted = 1``, empty value). ``prev_revision`` is the id of the key's
    previous row, which gives a watch event its ``prev_kv`` by a join (so updates do not store
    the old value a second time, unlike kine's ``old_value``). One index on ``(name, id)``
    serves both lookups by name and "latest row of a name at or below a revision" (in
    SQLite an index on ``name`` alone would be the very same b-tree, as every index entry
    ends with the row id). ``meta(key, value)`` holds the compacted revision.

Reads
    The state at revision R is, for every name, its latest row with ``id <= R`` unless that
    row is a tombstone. Reads run on a small pool of reader threads with their own
    connections (WAL readers never block the writer), each read in one read transaction
    that also checks the compacted revision, so a concurrent compaction cannot tear it.

Writes
    All writes go through ONE writer thread fed by a queue. The writer drains everything
    queued and applies it in one transaction (group commit): one COMMIT for many writes,
    yet each write is acknowledged (its asyncio future resolved, through
    ``loop.call_soon_threadsafe``) only after that COMMIT returned. Preconditions are
    checked by the writer inside the transaction, so they cannot race.

Watches
    After a commit the batch's events are handed to the event loop, which updates the
    current revision, fans the events out to the live watchers and then resolves the
    writers' futures: in-process wake-ups, no polling. A watch from an older revision
    registers its live buffer first, notes the current revision R, replays the log rows in
    ``[start, R]`` from the table (in chunks), then continues with its buffer, which holds
    exactly the events after R: no gap, no duplicate.

Durability
    WAL with ``synchronous=NORMAL`` by default: a commit is written to the WAL file before
    it returns, so an acknowledged write survives ``kill -9`` of the process (what the
    apiserver needs); only an OS crash or power loss may lose the last commits. Pass
    ``synchronous="FULL"`` (or ``?synchronous=FULL`` in the URL) to fsync every group commit
    and survive power loss as well.

Compaction
    ``compact(R)`` first records R in ``meta`` (from then on reads below R and watches from
    at or below R raise CompactedError), then deletes, in chunks of ids interleaved with
    normal writes, every row below R that is superseded by a row at or below R, and the
    tombstones below R. Each key's state as of R and everything after R stay, so reads at R
    and later, and the ``prev_kv`` of every later event, are unaffected.

Revisions are never reused: the log's highest row is never compacted away (compaction only
touches rows below R <= current revision), and the writer re-reads ``max(id)`` at the start of
every transaction, so even a second process writing to the same file cannot reuse an id.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from typing import Any, Final, TypeVar

from kybernetes.storage.common import WatchFanout, check_key, check_value, prefix_end
from kybernetes.storage.interface import (
    CompactedError,
    ConflictError,
    FutureRevisionError,
    KeyExistsError,
    KeyNotFoundError,
    KeyValue,
    RangeResult,
    StorageError,
    StoreClosedError,
    WatchEvent,
)

T = TypeVar("T")

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS log (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL,
        create_revision INTEGER NOT NULL,
        prev_revision INTEGER NOT NULL,
        value BLOB NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS log_name_id ON log (name, id)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
)

_SQL_LATEST: Final = (
    "SELECT id, deleted, create_revision, value FROM log WHERE name = ? ORDER BY id DESC LIMIT 1"
)
_SQL_INSERT: Final = (
    "INSERT INTO log (id, name, created, deleted, create_revision, prev_revision, value)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SQL_MAX_ID: Final = "SELECT max(id) FROM log"
_SQL_GET_COMPACTED: Final = "SELECT value FROM meta WHERE key = 'compacted'"
_SQL_SET_COMPACTED: Final = (
    "INSERT INTO meta (key, value) VALUES ('compacted', ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_SQL_GET_AT: Final = (
    "SELECT id, deleted, create_revision, value FROM log WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1"
)
# The latest row of each name in [low, high) at or below a revision, in name order. Walks
# the (name, id) index in order so a LIMIT stops early.
_SQL_RANGE: Final = (
    "SELECT l.name, l.create_revision, l.id, l.value FROM log l"
    " WHERE l.name >= ?1 {high} AND l.id <= ?3"
    " AND l.id = (SELECT max(l2.id) FROM log l2 WHERE l2.name = l.name AND l2.id <= ?3)"
    " AND l.deleted = 0 ORDER BY l.name {limit}"
)
_SQL_COUNT: Final = (
    "SELECT count(*) FROM (SELECT max(id) AS mid FROM log WHERE name >= ?1 {high} AND id <= ?3"
    " GROUP BY name) m JOIN log l ON l.id = m.mid WHERE l.deleted = 0"
)
_SQL_REPLAY: Final = (
    "SELECT l.id, l.name, l.created, l.deleted, l.create_revision, l.value,"
    " p.id, p.create_revision, p.value"
    " FROM log l LEFT JOIN log p ON p.id = l.prev_revision"
    " WHERE l.id >= ?3 AND l.id <= ?4 {name} ORDER BY l.id LIMIT ?5"
)
# Rows below the compaction revision ?1 that are superseded at ?1, and tombstones below it,
# restricted to the id chunk [?2, ?3).
_SQL_COMPACT_CHUNK: Final = (
    "DELETE FROM log WHERE id >= ?2 AND id < ?3 AND id < ?1 AND (deleted = 1 OR EXISTS"
    " (SELECT 1 FROM log l2 WHERE l2.name = log.name AND l2.id > log.id AND l2.id <= ?1))"
)


_RANGE_SQL: Final = {
    (has_high, has_limit): _SQL_RANGE.format(
        high="AND l.name < ?2" if has_high else "", limit="LIMIT ?4" if has_limit else ""
    )
    for has_high in (False, True)
    for has_limit in (False, True)
}
_COUNT_SQL: Final = {
    has_high: _SQL_COUNT.format(high="AND name < ?2" if has_high else "") for has_high in (False, True)
}
_REPLAY_SQL: Final = {
    0: _SQL_REPLAY.format(name=""),
    1: _SQL_REPLAY.format(name="AND l.name >= ?1"),
    2: _SQL_REPLAY.format(name="AND l.name >= ?1 AND l.name < ?2"),
}

# writer operations: (op, key, value, arg, future)
_OP_CREATE: Final = 1
_OP_UPDATE: Final = 2
_OP_DELETE: Final = 3
_OP_COMPACT_META: Final = 4
_OP_COMPACT_CHUNK: Final = 5
_STOP: Final = None

_Op = tuple[int, Any, Any, Any, "asyncio.Future[Any]"]
_Result = tuple["asyncio.Future[Any]", Any, BaseException | None]

REPLAY_CHUNK: Final = 1000
MAX_BATCH: Final = 4096  # writes per group commit at most (bounds the latency of the first)
CHECKPOINT_BYTES: Final = 4 << 20  # wake the checkpointer after about this much was written
WAL_RESTART_FRAMES: Final = 65536  # WAL frames (256 MiB of 4 KiB pages) beyond which to force a restart
COMPACT_CHUNK: Final = 10_000
READERS: Final = 2


def _connect(path: str, synchronous: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=256)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA cache_size = -16384")  # 16 MiB
    return conn


def _compacted(conn: sqlite3.Connection) -> int:
    row = conn.execute(_SQL_GET_COMPACTED).fetchone()
    return int(row[0]) if row else 0


def _resolve(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(result)
    else:
        fut.set_exception(exc)


# --- reader-side functions (run in a reader thread with its connection) ------------------


def _begin_read(conn: sqlite3.Connection, revision: int) -> None:
    """Start a read transaction and fail if ``revision`` is below the compacted revision."""
    conn.execute("BEGIN")
    compacted = _compacted(conn)
    if revision < compacted:
        raise CompactedError(revision, compacted)


def _end_read(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("COMMIT")


def _read_get(conn: sqlite3.Connection, key: str, revision: int) -> KeyValue | None:
    try:
        _begin_read(conn, revision)
        row = conn.execute(_SQL_GET_AT, (key, revision)).fetchone()
    finally:
        _end_read(conn)
    if row is None or row[1]:
        return None
    return KeyValue(key, row[3], row[2], row[0])


def _read_range(
    conn: sqlite3.Connection, low: str, high: str | None, limit: int, revision: int
) -> RangeResult:
    has_high = high is not None
    try:
        _begin_read(conn, revision)
        if limit > 0:
            rows = conn.execute(_RANGE_SQL[has_high, True], (low, high, revision, limit)).fetchall()
        else:
            rows = conn.execute(_RANGE_SQL[has_high, False], (low, high, revision)).fetchall()
        count = len(rows)
        if limit > 0 and count >= limit:
            count = conn.execute(_COUNT_SQL[has_high], (low, high, revision)).fetchone()[0]
    finally:
        _end_read(conn)
    kvs = [KeyValue(r[0], r[3], r[1], r[2]) for r in rows]
    return RangeResult(kvs=kvs, more=count > len(kvs), revision=revision, count=count)


def _row_event(row: tuple[Any, ...]) -> WatchEvent:
    rid, name, created, deleted, create_revision, value, pid, p_create, p_value = row
    prev = None if pid is None or created else KeyValue(name, p_value, p_create, pid)
    if deleted:
        return WatchEvent("DELETE", KeyValue(name, b"", 0, rid), prev)
    return WatchEvent("PUT", KeyValue(name, value, create_revision, rid), prev)


def _read_replay(
    conn: sqlite3.Connection, prefix: str, requested: int, position: int, upto: int
) -> list[WatchEvent]:
    """Events with revision in [position, upto] under prefix, at most REPLAY_CHUNK of them."""
    high = prefix_end(prefix)
    variant = 0 if not prefix else (2 if high is not None else 1)
    try:
        conn.execute("BEGIN")
        compacted = _compacted(conn)
        if position <= compacted:
            raise CompactedError(requested, compacted)
        rows = conn.execute(_REPLAY_SQL[variant], (prefix, high, position, upto, REPLAY_CHUNK)).fetchall()
    finally:
        _end_read(conn)
    return [_row_event(r) for r in rows]


class SqliteStore:
    """The kine-style SQLite Store. ``path`` is a file path (its directory is created)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        synchronous: str = "NORMAL",
        readers: int = READERS,
        close_timeout: float = 60.0,
    ) -> None:
        synchronous = synchronous.upper()
        if synchronous not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"invalid synchronous mode: {synchronous!r}")
        self.path = os.fspath(path)
        self._synchronous = synchronous
        self._readers = max(1, readers)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rev = 0  # highest committed revision whose events were dispatched (loop side)
        self._compacted = 0
        self._fanout = WatchFanout()
        self._wq: queue.SimpleQueue[_Op | None] = queue.SimpleQueue()
        self._rq: queue.SimpleQueue[
            tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]] | None
        ] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._exited: list[asyncio.Future[None]] = []
        self._started = False
        self._closed = False
        self._writer_rev = 0  # writer thread only
        self._written = 0  # bytes written since the checkpointer was last woken (writer thread only)
        self._dirty = False  # something was committed since the last checkpoint
        self._checkpoint_wake = threading.Event()
        self._checkpoint_stop = False
        self._close_timeout = close_timeout

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r}, revision={self._rev})"

    # lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        if self._closed:
            raise StoreClosedError("store is closed")
        if self._started:
            return
        loop = asyncio.get_running_loop()
        self._loop = loop
        ready: asyncio.Future[tuple[int, int]] = loop.create_future()
        exited: asyncio.Future[None] = loop.create_future()
        writer = threading.Thread(
            target=self._writer_main, args=(ready, exited), name=f"sqlite-writer:{self.path}", daemon=True
        )
        self._threads.append(writer)
        self._exited.append(exited)
        writer.start()
        self._rev, self._compacted = await ready
        reader_ready: list[asyncio.Future[None]] = []
        for i in range(self._readers):
            r_ready: asyncio.Future[None] = loop.create_future()
            r_exited: asyncio.Future[None] = loop.create_future()
            thread = threading.Thread(
                target=self._reader_main,
                args=(r_ready, r_exited),
                name=f"sqlite-reader-{i}:{self.path}",
                daemon=True,
            )
            self._threads.append(thread)
            self._exited.append(r_exited)
            reader_ready.append(r_ready)
            thread.start()
        await asyncio.gather(*reader_ready)
        c_exited: asyncio.Future[None] = loop.create_future()
        checkpointer = threading.Thread(
            target=self._checkpointer_main,
            args=(c_exited,),
            name=f"sqlite-checkpointer:{self.path}",
            daemon=True,
        )
        self._threads.append(checkpointer)
        self._exited.append(c_exited)
        checkpointer.start()
        self._started = True

    async def close(self) -> None:
        """Stop accepting calls, end the watches, commit what is queued and close the files."""
        if self._closed:
            return
        self._closed = True
        self._fanout.close()
        if not self._threads:
            return
        self._checkpoint_stop = True
        self._checkpoint_wake.set()
        self._wq.put(_STOP)
        for _ in range(self._readers):
            self._rq.put(_STOP)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*self._exited, return_exceptions=True), self._close_timeout)

    def _check_open(self) -> asyncio.AbstractEventLoop:
        if self._closed:
            raise StoreClosedError("store is closed")
        if not self._started or self._loop is None:
            raise StoreClosedError("store is not started")
        return self._loop

    def _post(self, loop: asyncio.AbstractEventLoop, fn: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is waiting
            loop.call_soon_threadsafe(fn, *args)

    # reader threads ----------------------------------------------------------------------

    def _reader_main(self, ready: asyncio.Future[None], exited: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            conn = _connect(self.path, self._synchronous)
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA mmap_size = 268435456")
        except BaseException as e:
            self._post(loop, _resolve, ready, None, StorageError(f"cannot open {self.path}: {e}"))
            self._post(loop, _resolve, exited, None, None)
            return
        self._post(loop, _resolve, ready, None, None)
        rq = self._rq
        try:
            while True:
                job = rq.get()
                if job is None:
                    break
                fn, args, fut = job
                try:
                    result = fn(conn, *args)
                except StorageError as e:
                    self._post(loop, _resolve, fut, None, e)
                except Exception as e:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    err = StorageError(f"sqlite read failed: {e}")
                    err.__cause__ = e
                    self._post(loop, _resolve, fut, None, err)
                else:
                    self._post(loop, _resolve, fut, result, None)
        finally:
            conn.close()
            self._post(loop, _resolve, exited, None, None)

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        loop = self._check_open()
        fut: asyncio.Future[T] = loop.create_future()
        self._rq.put((fn, args, fut))
        return await fut

    # checkpointer thread ---------------------------------------------------------------------

    def _checkpointer_main(self, exited: asyncio.Future[None]) -> None:
        """Copy the WAL back into the database file off the writer thread.

        The writer runs with ``wal_autocheckpoint = 0``, so its commits never pay for
        checkpoints; this thread runs PASSIVE checkpoints (which never block the writer)
        when woken by the writer or once a second, and a RESTART checkpoint if the WAL ever
        grows past WAL_RESTART_FRAMES because writes outran the passive ones.
        """
        loop = self._loop
        assert loop is not None
        try:
            conn = _connect(self.path, self._synchronous)
        except sqlite3.Error:
            self._post(loop, _resolve, exited, None, None)
            return
        wake = self._checkpoint_wake
        try:
            while not self._checkpoint_stop:
                wake.wait(1.0)
                wake.clear()
                if self._checkpoint_stop:
                    break
                if not self._dirty:
                    continue
                self._dirty = False
                try:
                    _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    if frames > WAL_RESTART_FRAMES:
                        conn.execute("PRAGMA wal_checkpoint(RESTART)")
                except sqlite3.Error:
                    self._dirty = True  # try again later
        finally:
            conn.close()
            self._post(loop, _resolve, exited, None, None)

    # writer thread -----------------------------------------------------------------------

    def _writer_main(self, ready: asyncio.Future[tuple[int, int]], exited: asyncio.Future[None]) -> None:
        loop = self._loop
        assert loop is not None
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
            conn = _connect(self.path, self._synchronous)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"cannot switch {self.path} to WAL mode (got {mode})")
            conn.execute("PRAGMA journal_size_limit = 67108864")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # see _checkpointer_main
            conn.execute("BEGIN IMMEDIATE")
            for stmt in _SCHEMA:
                conn.execute(stmt)
            conn.execute("COMMIT")
            compacted = _compacted(conn)
            max_id = conn.execute(_SQL_MAX_ID).fetchone()[0] or 0
        except BaseException as e:
            self._post(loop, _resolve, ready, None, StorageError(f"cannot open {self.path}: {e}"))
            self._post(loop, _resolve, exited, None, None)
            return
        self._writer_rev = max(max_id, compacted)
        self._post(loop, _resolve, ready, (self._writer_rev, compacted), None)
        wq = self._wq
        stopping = False
        try:
            while not stopping:
                first = wq.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        op = wq.get_nowait()
                    except queue.Empty:
                        break
                    if op is None:
                        stopping = True
                        break
                    batch.append(op)
                self._commit_batch(conn, loop, batch)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            self._post(loop, _resolve, exited, None, None)

    def _commit_batch(
        self, conn: sqlite3.Connection, loop: asyncio.AbstractEventLoop, batch: list[_Op]
    ) -> None:
        start_rev = self._writer_rev
        try:
            conn.execute("BEGIN IMMEDIATE")
            rev, events, results = self._apply(conn, batch)
            conn.execute("COMMIT")
        except Exception as e:
            self._writer_rev = start_rev
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if len(batch) > 1:  # isolate the failing write: retry one per transaction
                for op in batch:
                    self._commit_batch(conn, loop, [op])
                return
            err = e if isinstance(e, StorageError) else StorageError(f"sqlite write failed: {e}")
            if err is not e:
                err.__cause__ = e
            self._post(loop, self._dispatch, start_rev, [], [(batch[0][4], None, err)])
            return
        self._writer_rev = rev
        self._post(loop, self._dispatch, rev, events, results)
        self._dirty = True
        if events:
            self._written += 200 * len(batch) + sum(len(e.kv.value) for e in events)
            if self._written >= CHECKPOINT_BYTES:
                self._written = 0
                self._checkpoint_wake.set()

    def _apply(
        self, conn: sqlite3.Connection, batch: list[_Op]
    ) -> tuple[int, list[WatchEvent], list[_Result]]:
        execute = conn.execute
        rev = self._writer_rev
        max_id = execute(_SQL_MAX_ID).fetchone()[0]
        if max_id is not None and max_id > rev:
            rev = max_id  # someone else wrote to the file
        events: list[WatchEvent] = []
        results: list[_Result] = []
        for kind, key, value, arg, fut in batch:
            if kind == _OP_CREATE:
                cur = execute(_SQL_LATEST, (key,)).fetchone()
                if cur is not None and not cur[1]:
                    results.append((fut, None, KeyExistsError(key, KeyValue(key, cur[3], cur[2], cur[0]))))
                    continue
                rev += 1
                execute(_SQL_INSERT, (rev, key, 1, 0, rev, cur[0] if cur else 0, value))
                kv = KeyValue(key, value, rev, rev)
                events.append(WatchEvent("PUT", kv, None))
                results.append((fut, kv, None))
            elif kind == _OP_UPDATE or kind == _OP_DELETE:
                cur = execute(_SQL_LATEST, (key,)).fetchone()
                if cur is None or cur[1]:
                    results.append((fut, None, KeyNotFoundError(key)))
                    continue
                current = KeyValue(key, cur[3], cur[2], cur[0])
                if arg is not None and cur[0] != arg:
                    results.append((fut, None, ConflictError(key, current)))
                    continue
                rev += 1
                if kind == _OP_UPDATE:
                    execute(_SQL_INSERT, (rev, key, 0, 0, cur[2], cur[0], value))
                    kv = KeyValue(key, value, cur[2], rev)
                    events.append(WatchEvent("PUT", kv, current))
                    results.append((fut, kv, None))
                else:
                    execute(_SQL_INSERT, (rev, key, 0, 1, cur[2], cur[0], b""))
                    events.append(WatchEvent("DELETE", KeyValue(key, b"", 0, rev), current))
                    results.append((fut, current, None))
            elif kind == _OP_COMPACT_META:
                old = _compacted(conn)
                if arg > rev:
                    results.append((fut, None, FutureRevisionError(arg, rev)))
                    continue
                if arg > old:
                    execute(_SQL_SET_COMPACTED, (arg,))
                min_id = execute("SELECT min(id) FROM log").fetchone()[0] or 0
                results.append((fut, (old, max(arg, old), min_id), None))
            elif kind == _OP_COMPACT_CHUNK:
                low, high = value
                deleted = execute(_SQL_COMPACT_CHUNK, (arg, low, high)).rowcount
                results.append((fut, deleted, None))
            else:  # pragma: no cover - programming error
                results.append((fut, None, StorageError(f"unknown operation {kind}")))
        return rev, events, results

    def _dispatch(self, rev: int, events: list[WatchEvent], results: list[_Result]) -> None:
        """On the loop, after a commit: advance the revision, wake watchers, then ack writers."""
        if rev > self._rev:
            self._rev = rev
        if events:
            self._fanout.publish(events)
        for fut, result, exc in results:
            if fut.done():
                continue
            if exc is None:
                fut.set_result(result)
            else:
                fut.set_exception(exc)

    async def _write(self, kind: int, key: str, value: Any, arg: Any) -> Any:
        loop = self._check_open()
        fut: asyncio.Future[Any] = loop.create_future()
        self._wq.put((kind, key, value, arg, fut))
        return await fut

    # Store API -----------------------------------------------------------------------------

    async def current_revision(self) -> int:
        self._check_open()
        return self._rev

    async def compacted_revision(self) -> int:
        self._check_open()
        return self._compacted

    def _read_revision(self, revision: int) -> int:
        if revision <= 0:
            return self._rev
        if revision > self._rev:
            raise FutureRevisionError(revision, self._rev)
        if revision < self._compacted:
            raise CompactedError(revision, self._compacted)
        return revision

    async def get(self, key: str, revision: int = 0) -> KeyValue | None:
        self._check_open()
        try:
            return await self._read(_read_get, key, self._read_revision(revision))
        except CompactedError:
            if revision > 0:
                raise
            # compacted past the current revision between the call and the read: read again
            return await self._read(_read_get, key, self._rev)

    async def range(
        self, prefix: str, *, start_key: str = "", limit: int = 0, revision: int = 0
    ) -> RangeResult:
        self._check_open()
        low = max(prefix, start_key)
        high = prefix_end(prefix)
        try:
            return await self._read(_read_range, low, high, limit, self._read_revision(revision))
        except CompactedError:
            if revision > 0:
                raise
            return await self._read(_read_range, low, high, limit, self._rev)

    async def create(self, key: str, value: bytes) -> KeyValue:
        check_key(key)
        result: KeyValue = await self._write(_OP_CREATE, key, check_value(value), None)
        return result

    async def update(self, key: str, value: bytes, expected_mod_revision: int) -> KeyValue:
        check_key(key)
        result: KeyValue = await self._write(_OP_UPDATE, key, check_value(value), int(expected_mod_revision))
        return result

    async def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        check_key(key)
        expected = None if expected_mod_revision is None else int(expected_mod_revision)
        result: KeyValue = await self._write(_OP_DELETE, key, None, expected)
        return result

    def watch(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        self._check_open()
        start = start_revision if start_revision > 0 else self._rev + 1
        return self._watch(prefix, start)

    async def _watch(self, prefix: str, start: int) -> AsyncIterator[WatchEvent]:
        if self._closed:
            return
        if start <= self._compacted:
            raise CompactedError(start, self._compacted)
        # Register first, then note the revision: events after `upto` arrive in the buffer.
        watcher = self._fanout.register(prefix)
        try:
            upto = self._rev
            position = start
            while position <= upto:
                try:
                    chunk = await self._read(_read_replay, prefix, start, position, upto)
                except StoreClosedError:
                    return
                if not chunk:
                    break
                for event in chunk:
                    yield event
                position = chunk[-1].kv.mod_revision + 1
                if len(chunk) < REPLAY_CHUNK:
                    break
            async for event in watcher.follow(start):
                yield event
        finally:
            self._fanout.unregister(watcher)

    async def compact(self, revision: int) -> None:
        self._check_open()
        if revision <= self._compacted:
            return
        if revision > self._rev:
            raise FutureRevisionError(revision, self._rev)
        old, new, min_id = await self._write(_OP_COMPACT_META, "", None, revision)
        if new > self._compacted:
            self._compacted = new
        if new <= old:
            return
        low = min_id
        while low < new:
            high = min(low + COMPACT_CHUNK, new)
            await self._write(_OP_COMPACT_CHUNK, "", (low, high), new)
            low = high


def measure_sqlite_insert_rate(
    n: int, concurrency: int, path: str | None = None, value_size: int = 1024
) -> float:
    """Creates per second of a fresh SqliteStore (``concurrency`` concurrent writers, ``n`` keys)."""
    import tempfile
    import time

    async def run(db: str) -> float:
        store = SqliteStore(db)
        await store.start()
        value = b"x" * value_size
        per = max(1, n // max(1, concurrency))

        async def writer(w: int) -> None:
            for i in range(per):
                await store.create(f"/registry/bench/w{w}/k{i}", value)

        t0 = time.perf_counter()
        await asyncio.gather(*(writer(w) for w in range(max(1, concurrency))))
        elapsed = time.perf_counter() - t0
        await store.close()
        return per * max(1, concurrency) / elapsed

    if path is not None:
        return asyncio.run(run(path))
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(os.path.join(tmp, "bench.db")))
