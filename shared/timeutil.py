"""Time helpers: every datetime in this project is timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Copenhagen"


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str | None = None) -> ZoneInfo:
    """The zone called ``name`` (Europe/Copenhagen when empty)."""
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The instant local midnight begins ``day`` in ``tz`` (aware)."""
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def local_day_window(first: date, last_exclusive: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """From local midnight of ``first`` to local midnight of ``last_exclusive``."""
    return local_midnight(first, tz), local_midnight(last_exclusive, tz)


def today_in(tz: ZoneInfo, now: datetime | None = None) -> date:
    """The calendar date in ``tz`` at ``now`` (default: the current instant)."""
    return (now or utcnow()).astimezone(tz).date()


def require_aware(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` unchanged, or raise ValueError when it has no UTC offset."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value


def parse_aware(text: str, name: str = "datetime") -> datetime:
    """Parse an ISO-8601 instant that carries a UTC offset (``Z`` accepted)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    return require_aware(value, name)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)
