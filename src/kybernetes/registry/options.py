"""Request options as the registry sees them (parsed from the query by the apiserver)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ListOptions:
    label_selector: str = ""
    field_selector: str = ""
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""
    watch: bool = False
    allow_watch_bookmarks: bool = False
    timeout_seconds: int | None = None
    send_initial_events: bool | None = None


@dataclass(slots=True)
class WriteOptions:
    dry_run: bool = False
    field_manager: str = ""
    field_validation: str = "Strict"  # Strict | Warn | Ignore
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class DeleteOptions:
    dry_run: bool = False
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None  # Orphan | Background | Foreground
    orphan_dependents: bool | None = None
    preconditions: dict[str, Any] | None = None
