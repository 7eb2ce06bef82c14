"""The one source of "now", replaceable in tests."""

from collections.abc import Callable
from datetime import UTC, datetime

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the wall clock."""
    global _now
    _now = fn if fn is not None else (lambda: datetime.now(UTC))


def iso(moment: datetime) -> str:
    """An instant as ISO 8601 in UTC with ``Z``, as the API shows times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def instant(text: str | None) -> datetime | None:
    """An instant written by ``iso`` (or any ISO 8601 with an offset) back; None stays None."""
    return None if text is None else datetime.fromisoformat(text)
