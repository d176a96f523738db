"""kube-scheduler: a scheduling queue, a cache and the scheduling framework with upstream plugins."""

from kybernetes.scheduler.scheduler import DEFAULT_SCHEDULER_NAME, Scheduler, run_scheduler

__all__ = ["DEFAULT_SCHEDULER_NAME", "Scheduler", "run_scheduler"]
