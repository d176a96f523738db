"""RFC 3339 timestamps as Kubernetes writes them (seconds precision, UTC, 'Z')."""

from __future__ import annotations

import time
from datetime import UTC, datetime

_last: tuple[int, str] = (0, "")


def now_rfc3339() -> str:
    """The current time in seconds precision, formatted once per second (strftime is slow)."""
    global _last
    now = int(time.time())
    if _last[0] != now:
        _last = (now, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)))
    return _last[1]


def now_rfc3339_micro() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_rfc3339(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s: str) -> datetime:
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    return datetime.fromisoformat(s)
