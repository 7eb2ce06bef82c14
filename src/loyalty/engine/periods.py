"""Calendar periods in a website's time zone: the key of the period a completion falls in
(``interval``) and the window a cap counts over (``maxAmountInterval``). Pure.

Days start at local midnight, weeks on Monday (ISO weeks), months on the 1st; a daylight
saving change makes a local day 23 or 25 hours long, never moves its boundaries.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Custom periods are counted in days from this local date.
CUSTOM_EPOCH = date(1970, 1, 1)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def period_key(
    interval: str, moment: datetime, zone: ZoneInfo, *, unique: str, custom_days: int | None = None
) -> str:
    """The period ``moment`` falls in: two completions in one period cannot both pay.
    ``unique`` distinguishes completions of rules that may be earned without limit."""
    day = local_date(moment, zone)
    if interval == "once":
        return "once"
    if interval == "daily":
        return f"d:{day.isoformat()}"
    if interval == "weekly":
        year, week, _ = day.isocalendar()
        return f"w:{year}-W{week:02d}"
    if interval == "monthly":
        return f"m:{day.year}-{day.month:02d}"
    if interval == "custom":
        length = custom_days or 1
        return f"c{length}:{(day - CUSTOM_EPOCH).days // length}"
    return f"u:{unique}"


def window(interval: str, moment: datetime, zone: ZoneInfo) -> tuple[datetime | None, datetime]:
    """The UTC instants [start, end) of the period of ``interval`` (daily, weekly, monthly,
    lifetime) that ``moment`` falls in; ``lifetime`` starts at None (the beginning)."""
    day = local_date(moment, zone)
    if interval == "lifetime":
        return None, datetime.max.replace(tzinfo=UTC)
    if interval == "daily":
        first, last = day, day + timedelta(days=1)
    elif interval == "weekly":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
    elif interval == "monthly":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"no window for interval {interval!r}")
    return _instant(first, zone), _instant(last, zone)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` as a UTC instant (the first instant of the local day)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
