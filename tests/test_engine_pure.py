"""The earning pipeline's pure parts: calendar periods and windows in a time zone, and the
decisions of what a completion pays."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.engine import decide, periods
from loyalty.engine.decide import Band, Part, Refusal, RuleView

PARIS = ZoneInfo("Europe/Paris")
MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_period_keys_are_local_calendar_periods() -> None:
    # 23:30 UTC on 31 December is already 1 January in Paris.
    moment = at("2025-12-31T23:30:00+00:00")
    assert periods.period_key("daily", moment, PARIS, unique="x") == "d:2026-01-01"
    assert periods.period_key("daily", moment, ZoneInfo("UTC"), unique="x") == "d:2025-12-31"
    assert periods.period_key("weekly", moment, PARIS, unique="x") == "w:2026-W01"
    assert periods.period_key("monthly", moment, PARIS, unique="x") == "m:2026-01"
    assert periods.period_key("once", moment, PARIS, unique="x") == "once"
    assert periods.period_key("unlimited", moment, PARIS, unique="x") == "u:x"
    assert periods.period_key("custom", moment, PARIS, unique="x", custom_days=7) == "c7:2922"


def test_windows_across_daylight_saving_changes() -> None:
    # 29 March 2026 in Paris has 23 hours, 25 October 2026 has 25.
    start, end = periods.window("daily", at("2026-03-29T12:00:00+02:00"), PARIS)
    assert (start, end) == (at("2026-03-29T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00"))
    assert start is not None and end - start == timedelta(hours=23)
    start, end = periods.window("daily", at("2026-10-25T12:00:00+01:00"), PARIS)
    assert start is not None and end - start == timedelta(hours=25)
    start, end = periods.window("weekly", at("2026-03-29T12:00:00+02:00"), PARIS)
    assert (start, end) == (at("2026-03-23T00:00:00+01:00"), at("2026-03-30T00:00:00+02:00"))
    start, end = periods.window("monthly", at("2026-02-14T12:00:00+01:00"), PARIS)
    assert (start, end) == (at("2026-02-01T00:00:00+01:00"), at("2026-03-01T00:00:00+01:00"))
    assert periods.window("lifetime", at("2026-02-14T12:00:00+01:00"), PARIS)[0] is None
    with pytest.raises(ValueError):
        periods.window("once", at("2026-02-14T12:00:00+01:00"), PARIS)


@pytest.mark.parametrize(
    ("interval", "cap"), [("daily", "daily"), ("weekly", "weekly"), ("monthly", "monthly")]
)
@given(first=MOMENTS, second=MOMENTS)
def test_two_moments_share_a_period_exactly_when_they_share_its_window(
    interval: str, cap: str, first: datetime, second: datetime
) -> None:
    same_key = periods.period_key(interval, first, PARIS, unique="") == periods.period_key(
        interval, second, PARIS, unique=""
    )
    start, end = periods.window(cap, first, PARIS)
    assert start is not None and start <= first < end
    assert same_key == (start <= second < end)


def view(**fields: object) -> RuleView:
    base: dict[str, object] = {
        "id": "r",
        "type": "external_rule",
        "reward_type": "points",
        "amount": Decimal(10),
        "currency_id": "c",
        "badge_id": None,
        "interval": "once",
        "claim_type": "auto",
        "start": None,
        "end": None,
    }
    return RuleView(**(base | fields))  # type: ignore[arg-type]


BANDS = [
    Band(Decimal(10), Decimal(10), Decimal(20), "b10"),
    Band(Decimal(20), Decimal(20), Decimal(20), "b20"),
    Band(Decimal(50), Decimal(90), Decimal(20), "b50"),
    Band(Decimal(100), Decimal(100), Decimal(20), "b100"),
]


def test_whole_rule_pays_its_amount_a_range_an_override_or_per_action() -> None:
    assert decide.whole_rule(view(), range_value=None, actions=1, override=None) == [
        Part("", Decimal(10))
    ]
    ranged = view(bands=BANDS, badge_per_band=True)
    assert decide.whole_rule(ranged, range_value=Decimal(60), actions=1, override=None) == [
        Part("", Decimal(20), "b50")
    ]
    assert decide.whole_rule(ranged, range_value=None, actions=1, override=None) == Refusal(
        "range_value_required", "rangeValue is required: this rule pays by range"
    )
    outside = decide.whole_rule(ranged, range_value=Decimal(30), actions=1, override=None)
    assert isinstance(outside, Refusal) and outside.code == "range_not_matched"
    per_action = view(per_action=True)
    assert decide.whole_rule(per_action, range_value=None, actions=4, override=None) == [
        Part("", Decimal(40))
    ]
    assert decide.whole_rule(view(), range_value=None, actions=1, override=Decimal(3)) == [
        Part("", Decimal(3))
    ]


def test_progress_claims_follow_seed_000() -> None:
    rule = view(bands=BANDS, badge_per_band=True, track_progress=True, amount=None)
    assert decide.progress_claim(rule, 5, set()) == Refusal(
        "progress_incomplete", "Progress is 5 of 100: nothing to claim yet"
    )
    jump = decide.progress_claim(rule, 95, set())
    assert [p.key for p in jump] == ["range:0", "range:1", "range:2"]  # type: ignore[union-attr]
    paid = {"range:0", "range:1", "range:2"}
    refusal = decide.progress_claim(rule, 95, paid)
    assert isinstance(refusal, Refusal) and refusal.code == "nothing_to_claim"
    final = decide.progress_claim(rule, 100, paid)
    assert final == [Part("range:3", Decimal(20), "b100"), Part("", Decimal(0), None)]
    done = decide.progress_claim(rule, 100, paid | {"range:3", ""})
    assert isinstance(done, Refusal) and done.code == "rule_already_completed"
    counter = view(bands=BANDS[:2], progress_type="counter", track_progress=True)
    assert counter.target == 20


@given(
    units=st.integers(min_value=0, max_value=10**6),
    earned=st.integers(min_value=0, max_value=10**6),
    cap=st.none() | st.integers(min_value=0, max_value=10**6),
)
def test_the_cap_never_lets_more_through_than_it_allows(
    units: int, earned: int, cap: int | None
) -> None:
    allowed = decide.capped(units, earned, cap)
    assert 0 <= allowed <= units
    if cap is None:
        assert allowed == units
    else:
        assert earned + allowed <= max(cap, earned)
        assert allowed == units or earned + allowed >= cap


def test_points_round_toward_zero() -> None:
    assert decide.points_units(Decimal("0.33"), Decimal(3), 2) == 99
    assert decide.points_units(Decimal(10), Decimal("1.33"), 0) == 13
    assert decide.points_units(Decimal(7), Decimal("1.5"), 0) == 10
