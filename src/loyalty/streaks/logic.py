"""Streaks without IO: which period follows which, when a streak expires, how a check-in
changes a streak and which milestone bonuses it earns. Pure.

A streak counts consecutive periods of a check_in rule's interval, read from the period
keys the earning pipeline gives its completions (``engine.periods``: ``d:2026-03-29``,
``w:2026-W13``, ``m:2026-03``, ``c3:6789``). Periods are local calendar periods of the
website's time zone, so a daylight saving change (a 23 or 25 hour day) never moves them.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from loyalty.engine.periods import CUSTOM_EPOCH


@dataclass(frozen=True)
class Period:
    """A period key read back: its kind (``d``, ``w``, ``m``, ``c<days>``) and the local
    date it starts on."""

    kind: str
    start: date

    @classmethod
    def of(cls, key: str) -> "Period":
        kind, _, value = key.partition(":")
        if kind == "d":
            return cls(kind, date.fromisoformat(value))
        if kind == "w":
            year, week = value.split("-W")
            return cls(kind, date.fromisocalendar(int(year), int(week), 1))
        if kind == "m":
            year, month = value.split("-")
            return cls(kind, date(int(year), int(month), 1))
        if kind.startswith("c") and kind[1:].isdigit():
            return cls(kind, CUSTOM_EPOCH + timedelta(days=int(value) * int(kind[1:])))
        raise ValueError(f"no streak over periods of {key!r}")

    def following(self) -> "Period":
        """The next period of the same kind."""
        if self.kind == "d":
            return Period(self.kind, self.start + timedelta(days=1))
        if self.kind == "w":
            return Period(self.kind, self.start + timedelta(days=7))
        if self.kind == "m":
            return Period(self.kind, (self.start + timedelta(days=32)).replace(day=1))
        return Period(self.kind, self.start + timedelta(days=int(self.kind[1:])))


def follows(previous: str, current: str) -> bool:
    """Whether period ``current`` comes right after ``previous`` (periods of different
    intervals never follow one another)."""
    return Period.of(previous).following() == Period.of(current)


def expiry(period: str, zone: ZoneInfo) -> datetime:
    """When a streak last checked in during ``period`` breaks: the end of the next period,
    local midnight in the website's time zone, as a UTC instant."""
    after_next = Period.of(period).following().following()
    return datetime.combine(after_next.start, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class StreakState:
    """A streak as the service keeps it: ``reached`` are the milestones paid in it."""

    count: int
    started: str
    last: str
    reached: tuple[int, ...] = ()


def checked_in(state: StreakState | None, period: str) -> StreakState:
    """The streak after a check-in in ``period``: one longer when the period follows the
    last one, unchanged when it is the same period, a new streak of 1 otherwise (the first
    check-in, a missed period, or a rule whose interval changed)."""
    if state is not None and state.last == period:
        return state
    if state is not None and follows(state.last, period):
        return replace(state, count=state.count + 1, last=period)
    return StreakState(1, period, period)


@dataclass(frozen=True)
class Milestone:
    count: int
    amount: Decimal
    # The milestone as the rule states it, kept with the streak when paid.
    stated: Mapping[str, Any]


def milestones(streak_array: Sequence[Mapping[str, Any]] | None) -> list[Milestone]:
    """A rule's ``metadata.streakArray``, by milestone."""
    found = [
        Milestone(int(m["streakMilestone"]), Decimal(str(m["streakAmount"])), dict(m))
        for m in streak_array or ()
    ]
    return sorted(found, key=lambda m: m.count)


def due(state: StreakState, ladder: Sequence[Milestone]) -> list[Milestone]:
    """The milestones the streak has reached and not been paid in this streak: each pays
    once per streak."""
    return [m for m in ladder if m.count <= state.count and m.count not in state.reached]


def alive(expires_at: datetime, moment: datetime) -> bool:
    return moment < expires_at
