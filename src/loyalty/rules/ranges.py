"""Range rewards (``metadata.range``): pure checks and lookup.

A range pays ``amount`` (and optionally a badge) when a value (progress, tokens held, a
purchase amount, a post count) falls in ``startRange..endRange``, both ends included.
``endRange`` up to 2**63 - 1 is accepted; it and Number.MAX_SAFE_INTEGER mean unbounded.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from loyalty.rules.vocabulary import INT64_MAX


@dataclass(frozen=True)
class Span:
    start: Decimal
    end: Decimal


@dataclass(frozen=True)
class RangeProblem:
    index: int
    field: str
    message: str


def range_problems(spans: Sequence[Span]) -> list[RangeProblem]:
    """Every range that is out of order, out of bounds or overlaps one before it."""
    problems = []
    for index, span in enumerate(spans):
        if span.start < 0:
            problems.append(RangeProblem(index, "startRange", "must be 0 or more"))
        if span.end > INT64_MAX:
            problems.append(RangeProblem(index, "endRange", f"must be at most {INT64_MAX}"))
        if span.start > span.end:
            problems.append(
                RangeProblem(index, "startRange", "must be less than or equal to endRange")
            )
            continue
        for earlier, other in enumerate(spans[:index]):
            if other.start <= other.end and overlap(span, other):
                problems.append(
                    RangeProblem(
                        index,
                        "startRange",
                        f"overlaps range[{earlier}] ({_number(other.start)}-{_number(other.end)})",
                    )
                )
                break
    return problems


def overlap(a: Span, b: Span) -> bool:
    return a.start <= b.end and b.start <= a.end


def find(spans: Sequence[Span], value: Decimal) -> int | None:
    """The index of the range ``value`` falls in, or None."""
    for index, span in enumerate(spans):
        if span.start <= value <= span.end:
            return index
    return None


def top(spans: Sequence[Span]) -> Decimal | None:
    """The highest range end: a counter's target."""
    return max((span.end for span in spans), default=None)


def _number(value: Decimal) -> str:
    return str(value.normalize()) if value != value.to_integral_value() else str(int(value))
