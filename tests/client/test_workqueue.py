from __future__ import annotations

import asyncio

import pytest

from kybernetes.client.workqueue import (
    BucketRateLimiter,
    DelayingQueue,
    ItemExponentialFailureRateLimiter,
    MaxOfRateLimiter,
    RateLimitingQueue,
    WorkQueue,
    default_controller_rate_limiter,
)


async def test_dedupes_waiting_keys_and_keeps_fifo_order() -> None:
    q: WorkQueue[str] = WorkQueue()
    for k in ("a", "b", "a", "c", "b"):
        q.add(k)
    assert len(q) == 3
    assert [await q.get(), await q.get(), await q.get()] == ["a", "b", "c"]


async def test_key_being_processed_is_not_given_to_a_second_worker() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    assert await q.get() == "a"
    q.add("a")  # re-added while processing: held back
    assert len(q) == 0
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(q.get(), 0.05)
    q.done("a")  # now it is queued again, once
    assert len(q) == 1
    assert await q.get() == "a"
    q.done("a")
    assert len(q) == 0


async def test_done_without_readd_does_not_requeue() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("x")
    assert await q.get() == "x"
    q.done("x")
    assert len(q) == 0 and q.processing() == frozenset()


async def test_concurrent_workers_never_share_a_key() -> None:
    q: WorkQueue[int] = WorkQueue()
    active: set[int] = set()
    seen: list[int] = []

    async def worker() -> None:
        while True:
            k = await q.get()
            if k is None:
                return
            assert k not in active
            active.add(k)
            await asyncio.sleep(0.001)
            q.add(k % 3)  # churn: re-add keys while they may be processing
            active.discard(k)
            seen.append(k)
            q.done(k)

    for i in range(10):
        q.add(i)
    workers = [asyncio.create_task(worker()) for _ in range(4)]
    await asyncio.sleep(0.1)
    q.shutdown()
    await asyncio.wait_for(asyncio.gather(*workers), 5)
    assert set(range(10)) <= set(seen)


async def test_shutdown_wakes_getters_and_refuses_adds() -> None:
    q: WorkQueue[str] = WorkQueue()
    getter = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.shutdown()
    assert await asyncio.wait_for(getter, 1) is None
    q.add("late")
    assert len(q) == 0
    assert q.shutting_down()


async def test_shutdown_drains_queued_items_first() -> None:
    q: WorkQueue[str] = WorkQueue()
    q.add("a")
    q.shutdown()
    assert await q.get() == "a"
    assert await q.get() is None


async def test_add_after_delays_and_earliest_wins() -> None:
    q: DelayingQueue[str] = DelayingQueue()
    q.add_after("a", 0.3)
    q.add_after("a", 0.05)  # earlier: replaces
    q.add_after("a", 1.0)  # later: ignored
    assert len(q) == 0 and q.waiting() == 1
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    assert await asyncio.wait_for(q.get(), 1) == "a"
    assert 0.03 <= loop.time() - t0 < 0.25
    assert q.waiting() == 0


async def test_add_after_zero_adds_now() -> None:
    q: DelayingQueue[str] = DelayingQueue()
    q.add_after("a", 0)
    assert len(q) == 1


def test_item_exponential_backoff_5ms_to_1000s() -> None:
    rl: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter()
    delays = [rl.when("k") for _ in range(5)]
    assert delays == pytest.approx([0.005, 0.01, 0.02, 0.04, 0.08])
    assert rl.num_requeues("k") == 5
    for _ in range(100):
        last = rl.when("k")
    assert last == 1000.0
    assert rl.when("other") == pytest.approx(0.005)
    rl.forget("k")
    assert rl.num_requeues("k") == 0
    assert rl.when("k") == pytest.approx(0.005)


def test_bucket_rate_limiter_burst_then_qps() -> None:
    now = [100.0]
    b: BucketRateLimiter[str] = BucketRateLimiter(qps=10, burst=3, clock=lambda: now[0])
    assert [b.when("x") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.when("x") == pytest.approx(0.1)
    assert b.when("x") == pytest.approx(0.2)
    now[0] += 10
    assert b.when("x") == 0.0


def test_max_of_rate_limiter() -> None:
    rl: MaxOfRateLimiter[str] = MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.5, 10), BucketRateLimiter(1000, 1000)
    )
    assert rl.when("a") == pytest.approx(0.5)
    assert rl.when("a") == pytest.approx(1.0)
    assert rl.num_requeues("a") == 2
    rl.forget("a")
    assert rl.num_requeues("a") == 0
    d = default_controller_rate_limiter()
    assert d.when("z") == pytest.approx(0.005)


async def test_rate_limited_requeue_and_forget() -> None:
    q: RateLimitingQueue[str] = RateLimitingQueue(ItemExponentialFailureRateLimiter(0.01, 1.0))
    q.add("k")
    k = await q.get()
    assert k == "k"
    q.add_rate_limited("k")
    q.done("k")
    assert await asyncio.wait_for(q.get(), 1) == "k"
    assert q.num_requeues("k") == 1
    q.forget("k")
    assert q.num_requeues("k") == 0
    q.done("k")
    q.shutdown()
    assert await q.get() is None
