"""API timestamps and human durations, as k8s.io/apimachinery.

* :func:`parse_time` reads a ``metav1.Time`` / ``metav1.MicroTime`` (RFC 3339).
* :func:`format_time` / :func:`format_micro_time` write them as the apiserver does.
* :func:`human_duration` is ``k8s.io/apimachinery/pkg/util/duration.HumanDuration``
  ("5s", "3m2s", "10m", "2d3h", "4y").
* :func:`translate_timestamp_since` is the printers' helper ("<unknown>" for no time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_US_PER_SECOND = 1_000_000


def now_utc() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (``2024-01-02T03:04:05Z``, fractional seconds, offsets).

    Returns None for None/empty strings and for text that is not a timestamp.
    """
    if not value:
        return None
    if len(value) == 20 and value[19] == "Z" and value[10] == "T":
        # fast path for the common metav1.Time form 2006-01-02T15:04:05Z
        try:
            return datetime(
                int(value[0:4]),
                int(value[5:7]),
                int(value[8:10]),
                int(value[11:13]),
                int(value[14:16]),
                int(value[17:19]),
                tzinfo=UTC,
            )
        except ValueError:
            return None
    s = value.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # Python < 3.11 accepted at most 6 fractional digits; keep nanosecond inputs working
    if "." in s:
        head, _, rest = s.partition(".")
        digits = ""
        i = 0
        while i < len(rest) and rest[i].isdigit():
            digits += rest[i]
            i += 1
        s = head + "." + (digits[:6].ljust(6, "0")) + rest[i:]
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt


def format_time(dt: datetime) -> str:
    """metav1.Time: RFC 3339 in UTC with second precision (``2024-01-02T03:04:05Z``)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(dt: datetime) -> str:
    """metav1.MicroTime: RFC 3339 in UTC with microseconds (``2024-01-02T03:04:05.000000Z``)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _trunc_div(a: int, b: int) -> int:
    """Integer division truncating toward zero, as Go's."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def human_duration(d: timedelta | float) -> str:
    """A human-readable approximation of a duration, exactly as upstream's HumanDuration."""
    if isinstance(d, timedelta):
        us = (d.days * 86400 + d.seconds) * _US_PER_SECOND + d.microseconds
    else:
        us = round(d * _US_PER_SECOND)
    seconds = _trunc_div(us, _US_PER_SECOND)
    # Allow deviation no more than 2 seconds (excluded) to tolerate machine time inconsistency.
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60 * 2:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        s = seconds % 60
        return f"{minutes}m" if s == 0 else f"{minutes}m{s}s"
    if minutes < 60 * 3:
        return f"{minutes}m"
    hours = seconds // 3600
    if hours < 8:
        m = minutes % 60
        return f"{hours}h" if m == 0 else f"{hours}h{m}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        h = hours % 24
        return f"{hours // 24}d" if h == 0 else f"{hours // 24}d{h}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if dy == 0 else f"{hours // 24 // 365}y{dy}d"
    return f"{hours // 24 // 365}y"


def translate_timestamp_since(value: str | None, now: datetime | None = None) -> str:
    """Elapsed time since an API timestamp, or "<unknown>" when the timestamp is unset."""
    dt = parse_time(value)
    if dt is None:
        return "<unknown>"
    return human_duration((now or now_utc()) - dt)


def translate_timestamp_until(value: str | None, now: datetime | None = None) -> str:
    """Time remaining until an API timestamp, or "<unknown>" when the timestamp is unset."""
    dt = parse_time(value)
    if dt is None:
        return "<unknown>"
    return human_duration(dt - (now or now_utc()))
