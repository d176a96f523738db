"""The scheduling queue: PrioritySort order, backoff, unschedulable pods and move requests."""

from __future__ import annotations

from sched_builders import make_pod

from kybernetes.scheduler.plugins import PrioritySort
from kybernetes.scheduler.queue import ASSIGNED_POD_ADD, NODE_ADD, SchedulingQueue


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def new_queue(clock: FakeClock) -> SchedulingQueue:
    return SchedulingQueue(PrioritySort().less, clock=clock)


async def test_pop_order_priority_then_timestamp() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    q.add(make_pod("a", priority=0))
    clock.now += 1
    q.add(make_pod("b", priority=100))
    clock.now += 1
    q.add(make_pod("c", priority=0))
    names = []
    for _ in range(3):
        qp = await q.pop(timeout=0.1)
        assert qp is not None
        names.append(qp.pod["metadata"]["name"])
        q.done(qp.key)
    assert names == ["b", "a", "c"]
    assert await q.pop(timeout=0.01) is None


async def test_backoff_is_exponential_and_capped() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    q.add(make_pod("a"))
    qp = await q.pop(timeout=0.1)
    assert qp is not None
    durations = []
    for attempts in range(1, 7):
        qp.attempts = attempts
        durations.append(q.backoff_duration(qp))
    assert durations == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


async def test_unschedulable_moved_on_event_and_backoff_respected() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    q.add(make_pod("a"))
    qp = await q.pop(timeout=0.1)
    assert qp is not None
    qp.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qp, q.scheduling_cycle)
    assert "default/a" in q.unschedulable
    # an event no rejecting plugin cares about leaves it there
    q.move_all_to_active_or_backoff(ASSIGNED_POD_ADD, frozenset({"InterPodAffinity"}))
    assert "default/a" in q.unschedulable
    # a node event moves it; still backing off (1s), so to backoffQ
    q.move_all_to_active_or_backoff(NODE_ADD, None)
    assert q.backoff_len() == 1 and q.active_len() == 0
    assert await q.pop(timeout=0.01) is None
    clock.now += 1.5
    qp2 = await q.pop(timeout=0.1)
    assert qp2 is not None and qp2.key == "default/a" and qp2.attempts == 2


async def test_move_request_during_cycle_goes_to_backoff() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    q.add(make_pod("a"))
    qp = await q.pop(timeout=0.1)
    assert qp is not None
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff(NODE_ADD)  # a node came while "a" was being scheduled
    q.add_unschedulable_if_not_present(qp, cycle)
    assert q.backoff_len() == 1 and not q.unschedulable


async def test_update_and_delete() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    pod = make_pod("a")
    q.add(pod)
    assert "default/a" in q
    q.delete(pod)
    assert "default/a" not in q and len(q) == 0
    q.add(pod)
    qp = await q.pop(timeout=0.1)
    assert qp is not None
    q.add_unschedulable_if_not_present(qp, q.scheduling_cycle)
    clock.now += 5
    changed = make_pod("a", cpu="1")
    q.update(changed)
    qp = await q.pop(timeout=0.1)
    assert qp is not None and qp.pod is changed


async def test_unschedulable_leftover_flush() -> None:
    clock = FakeClock()
    q = new_queue(clock)
    q.add(make_pod("a"))
    qp = await q.pop(timeout=0.1)
    assert qp is not None
    q.add_unschedulable_if_not_present(qp, q.scheduling_cycle)
    q.flush_unschedulable_left_over()
    assert q.unschedulable
    clock.now += 301
    q.flush_unschedulable_left_over()
    assert not q.unschedulable and q.active_len() == 1
