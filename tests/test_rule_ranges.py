"""Range rewards: order, overlap and unbounded ends checked against a brute-force oracle."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from loyalty.rules import ranges
from loyalty.rules.checks import validate
from loyalty.rules.ranges import Span
from loyalty.rules.vocabulary import INT64_MAX, MAX_SAFE_INTEGER

# Small ends make overlaps common; the unbounded ends are mixed in.
ENDS = st.one_of(
    st.integers(min_value=0, max_value=30),
    st.sampled_from([MAX_SAFE_INTEGER, INT64_MAX]),
)
SPANS = st.lists(st.tuples(ENDS, ENDS), max_size=6)


def oracle(spans: list[tuple[int, int]]) -> tuple[set[int], set[int]]:
    """Indexes out of order, and indexes overlapping an earlier well-ordered range, found by
    enumerating shared points (unbounded ends stand for a point beyond every finite one)."""
    out_of_order = {i for i, (start, end) in enumerate(spans) if start > end}
    overlapping = set()
    for i, (start, end) in enumerate(spans):
        if i in out_of_order:
            continue
        for j, (other_start, other_end) in enumerate(spans[:i]):
            if j in out_of_order:
                continue
            points = {start, end, other_start, other_end}
            if any(start <= p <= end and other_start <= p <= other_end for p in points):
                overlapping.add(i)
                break
    return out_of_order, overlapping


def problems(spans: list[tuple[int, int]]) -> tuple[set[int], set[int]]:
    found = ranges.range_problems([Span(Decimal(s), Decimal(e)) for s, e in spans])
    order = {p.index for p in found if "less than or equal" in p.message}
    overlap = {p.index for p in found if "overlaps" in p.message}
    return order, overlap


@given(SPANS)
def test_order_and_overlap_match_the_oracle(spans: list[tuple[int, int]]) -> None:
    assert problems(spans) == oracle(spans)


@given(SPANS, st.integers(min_value=0, max_value=40))
def test_find_returns_a_range_containing_the_value(
    spans: list[tuple[int, int]], value: int
) -> None:
    found = ranges.find([Span(Decimal(s), Decimal(e)) for s, e in spans], Decimal(value))
    containing = [i for i, (s, e) in enumerate(spans) if s <= value <= e]
    assert found == (containing[0] if containing else None)


def test_the_seed_example_is_valid_and_unbounded_ends_are_accepted() -> None:
    spans = [Span(Decimal(1), Decimal(10)), Span(Decimal(11), Decimal(50))]
    assert ranges.range_problems([*spans, Span(Decimal(51), Decimal(INT64_MAX))]) == []
    assert ranges.range_problems([*spans, Span(Decimal(51), Decimal(MAX_SAFE_INTEGER))]) == []
    too_big = ranges.range_problems([Span(Decimal(1), Decimal(INT64_MAX + 1))])
    assert [(p.field, p.message) for p in too_big] == [("endRange", f"must be at most {INT64_MAX}")]
    assert ranges.top(spans) == 50


def test_range_errors_carry_their_path() -> None:
    body = {
        "name": "Hold",
        "type": "TokenHold",
        "network": "mainnet",
        "collections": [
            {"address": "0xBC4CA0EdA7647A8aB7C2061c2E118A18a936f13D", "network": "mainnet"}
        ],
        "frequency": "daily",
        "interval": "daily",
        "startTime": "2024-01-01T00:00:00Z",
        "loyaltyCurrencyId": "c",
        "metadata": {
            "range": [
                {"startRange": 1, "endRange": 10, "amount": 100},
                {"startRange": 5, "endRange": 20, "amount": 200},
                {"startRange": 30, "endRange": 25, "amount": -1},
            ]
        },
    }
    draft, _ = validate(body)
    assert {(e.field, e.message) for e in draft.errors} == {
        ("metadata.range[1].startRange", "overlaps range[0] (1-10)"),
        ("metadata.range[2].startRange", "must be less than or equal to endRange"),
        ("metadata.range[2].amount", "must be 0 or more"),
    }
