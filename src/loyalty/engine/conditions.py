"""Conditions on an event's data, as a rule's ``metadata.trigger.conditions`` states them.

A condition group is ``{"all": [...]}`` (every item holds) or ``{"any": [...]}`` (at least
one holds); an item is a condition ``{"field", "operator", "value"}`` or a nested group.
Groups nest at most ``MAX_DEPTH`` deep and hold at most ``MAX_CONDITIONS`` conditions in all.

``parse`` reads the JSON a rule stores and reports every problem with its path
(``metadata.trigger.conditions.all[1].operator``); ``matches`` decides a parsed group
against an event's data. Pure: no IO.

Semantics, decided:

- Values are compared by JSON kind: a string equals only a string, a boolean only a
  boolean, a number only a number (``5`` equals ``5.0``; ``"5"`` and ``true`` do not).
- ``gt``/``gte``/``lt``/``lte`` hold only for a number in the data; ``contains`` only for a
  string in the data that has the value in it (case-sensitive).
- A field the event does not carry fails every condition except ``ne`` and ``not_in``,
  which are the plain negations of ``eq`` and ``in``, and ``exists: false``.
- ``exists`` holds when the field is there (``value`` true, the default) or when it is not
  (``value`` false).
"""

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

Scalar: TypeAlias = str | int | float | bool
Mode = Literal["all", "any"]

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "exists")
ORDERING = frozenset({"gt", "gte", "lt", "lte"})
MEMBERSHIP = frozenset({"in", "not_in"})
MAX_DEPTH = 3
MAX_CONDITIONS = 20
MAX_FIELD = 255
MAX_STRING = 1024
MAX_CHOICES = 100
CONDITION_KEYS = frozenset({"field", "operator", "value"})
GROUP_KEYS = ("all", "any")


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: Scalar | tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class Group:
    mode: Mode
    items: tuple["Condition | Group", ...]


Item: TypeAlias = Condition | Group


@dataclass(frozen=True)
class Problem:
    path: str
    message: str


# ---------------------------------------------------------------------------- matching


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _equal(left: Any, right: Any) -> bool:
    return _kind(left) == _kind(right) and left == right


def _number(value: Any) -> bool:
    return _kind(value) == "number"


def holds(condition: Condition, data: Mapping[str, Scalar]) -> bool:
    """Whether one condition holds for the data."""
    op, expected = condition.operator, condition.value
    present = condition.field in data
    if op == "exists":
        return present is (expected is not False)
    if op == "ne":
        return not holds(Condition(condition.field, "eq", expected), data)
    if op == "not_in":
        return not holds(Condition(condition.field, "in", expected), data)
    if not present:
        return False
    actual = data[condition.field]
    if op == "eq":
        return _equal(actual, expected)
    if op == "in":
        return isinstance(expected, tuple) and any(_equal(actual, e) for e in expected)
    if op == "contains":
        return isinstance(actual, str) and isinstance(expected, str) and expected in actual
    if op in ORDERING and _number(actual) and _number(expected):
        assert isinstance(actual, int | float) and isinstance(expected, int | float)
        if op == "gt":
            return actual > expected
        if op == "gte":
            return actual >= expected
        if op == "lt":
            return actual < expected
        return actual <= expected
    return False


def matches(conditions: Group | None, data: Mapping[str, Scalar]) -> bool:
    """Whether the event data satisfies the group (no group: always)."""
    if conditions is None:
        return True
    results = (
        matches(item, data) if isinstance(item, Group) else holds(item, data)
        for item in conditions.items
    )
    return all(results) if conditions.mode == "all" else any(results)


# ---------------------------------------------------------------------------- shape


def depth(group: Group) -> int:
    """How many groups deep it nests (a group of conditions only is 1)."""
    return 1 + max((depth(i) for i in group.items if isinstance(i, Group)), default=0)


def conditions_in(group: Group) -> int:
    return sum(conditions_in(i) if isinstance(i, Group) else 1 for i in group.items)


def to_json(group: Group) -> dict[str, Any]:
    """The group as the JSON ``parse`` reads."""
    items: list[dict[str, Any]] = []
    for item in group.items:
        if isinstance(item, Group):
            items.append(to_json(item))
            continue
        out: dict[str, Any] = {"field": item.field, "operator": item.operator}
        if item.value is not None:
            out["value"] = list(item.value) if isinstance(item.value, tuple) else item.value
        items.append(out)
    return {group.mode: items}


# ---------------------------------------------------------------------------- parsing


def parse(raw: Any, path: str = "conditions") -> tuple[Group | None, list[Problem]]:
    """The group ``raw`` states (None for null, or when it has problems) and every problem
    with it, each with its path under ``path``."""
    if raw is None:
        return None, []
    reader = _Reader()
    group = reader.group(raw, path, 1)
    if reader.count > MAX_CONDITIONS:
        reader.problems.append(
            Problem(path, f"has {reader.count} conditions; at most {MAX_CONDITIONS} are allowed")
        )
    return (group if not reader.problems else None), reader.problems


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.count = 0

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def group(self, raw: Any, path: str, level: int) -> Group | None:
        if not isinstance(raw, dict):
            self.add(path, 'must be a condition group: {"all": [...]} or {"any": [...]}')
            return None
        if level > MAX_DEPTH:
            self.add(path, f"condition groups nest at most {MAX_DEPTH} deep")
            return None
        for key in raw:
            if key not in GROUP_KEYS:
                self.add(_at(path, key), "is not a field of a condition group")
        modes = [mode for mode in GROUP_KEYS if mode in raw]
        if len(modes) != 1:
            self.add(path, "give all or any, not both" if modes else "all or any is required")
            return None
        mode: Mode = "all" if modes[0] == "all" else "any"
        items_path = _at(path, mode)
        entries = raw[mode]
        if not isinstance(entries, list):
            self.add(items_path, "must be a list")
            return None
        if not entries:
            self.add(items_path, "must not be empty")
            return None
        items = [self.item(e, f"{items_path}[{n}]", level) for n, e in enumerate(entries)]
        if any(item is None for item in items):
            return None
        return Group(mode, tuple(item for item in items if item is not None))

    def item(self, raw: Any, path: str, level: int) -> Item | None:
        if isinstance(raw, dict) and any(mode in raw for mode in GROUP_KEYS):
            return self.group(raw, path, level + 1)
        if not isinstance(raw, dict):
            self.add(path, "must be a condition {field, operator, value} or a group {all | any}")
            return None
        self.count += 1
        before = len(self.problems)
        for key in raw:
            if key not in CONDITION_KEYS:
                self.add(_at(path, key), "is not a field of a condition")
        name = raw.get("field")
        if name is None:
            self.add(_at(path, "field"), "is required")
        else:
            for message in _name_problems(name):
                self.add(_at(path, "field"), message)
        operator = raw.get("operator")
        if operator is None:
            self.add(_at(path, "operator"), "is required")
        elif operator not in OPERATORS:
            self.add(_at(path, "operator"), f"must be one of {', '.join(OPERATORS)}")
        else:
            for suffix, message in value_problems(operator, raw.get("value"), "value" in raw):
                self.add(_at(path, "value") + suffix, message)
        if len(self.problems) > before:
            return None
        assert isinstance(name, str) and isinstance(operator, str)
        return Condition(name, operator, _frozen(raw.get("value")))


def _frozen(value: Any) -> Scalar | tuple[Scalar, ...] | None:
    return tuple(value) if isinstance(value, list) else value


def _name_problems(name: Any) -> Iterator[str]:
    if not isinstance(name, str):
        yield "must be a string"
    elif not name:
        yield "must not be empty"
    elif len(name) > MAX_FIELD:
        yield f"must be at most {MAX_FIELD} characters"


def scalar_problem(value: Any) -> str | None:
    """Why ``value`` is not a data value (a string of at most 1024 characters, a finite
    number, a boolean); None when it is one."""
    if isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "must be a finite number"
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return f"must be at most {MAX_STRING} characters"
        if "\x00" in value:
            return "must not contain NUL characters"
        return None
    return "must be a string, a number or a boolean"


def value_problems(operator: str, value: Any, given: bool) -> list[tuple[str, str]]:
    """Why ``value`` does not fit ``operator``: (path suffix, message) pairs; none when it
    fits. The suffix is "" or an index into a list (``[2]``)."""
    if operator == "exists":
        if given and value is not None and not isinstance(value, bool):
            return [("", "must be true or false for exists (or left out: true)")]
        return []
    if not given or value is None:
        return [("", f"is required for {operator}")]
    if operator in ORDERING:
        finite = not isinstance(value, float) or math.isfinite(value)
        return [] if _number(value) and finite else [("", f"must be a number for {operator}")]
    if operator in MEMBERSHIP:
        if not isinstance(value, list) or not value:
            return [("", f"must be a non-empty list of values for {operator}")]
        if len(value) > MAX_CHOICES:
            return [("", f"must have at most {MAX_CHOICES} values")]
        found = ((f"[{n}]", scalar_problem(choice)) for n, choice in enumerate(value))
        return [(suffix, message) for suffix, message in found if message is not None]
    if operator == "contains" and (not isinstance(value, str) or not value):
        return [("", "must be a non-empty string for contains")]
    message = scalar_problem(value)
    return [] if message is None else [("", message)]


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
