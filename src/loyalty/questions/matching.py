"""Which rows a question's choices are, as the rule's ``metadata.question`` lists them. Pure.

A listed choice that names an ``id`` is that choice (it must be one of the question's, live
or removed); one without is the question's choice of the same text (case and surrounding
spaces aside, live ones first), or a new one. Choices of the question that nothing lists
are removed; their responses stay.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from loyalty.errors import FieldError

CHOICES = "metadata.question.choices"


@dataclass(frozen=True)
class Listed:
    """A choice as the rule's document lists it."""

    id: str | None
    text: str


@dataclass(frozen=True)
class Stored:
    """A choice row of the question."""

    id: str
    text: str
    live: bool


def text_key(text: str) -> str:
    return text.strip().casefold()


def match_choices(
    listed: Sequence[Listed], stored: Sequence[Stored]
) -> tuple[list[str | None], list[FieldError]]:
    """The stored choice each listed one is (None: a new choice), and the ids that are not
    the question's."""
    known = {s.id for s in stored}
    errors = [
        FieldError(f"{CHOICES}[{i}].id", "is not a choice of this question")
        for i, c in enumerate(listed)
        if c.id is not None and c.id not in known
    ]
    matched: list[str | None] = [c.id if c.id in known else None for c in listed]
    free = [s for s in sorted(stored, key=lambda s: not s.live) if s.id not in set(matched)]
    for index, choice in enumerate(listed):
        if choice.id is not None:
            continue
        same = next((s for s in free if text_key(s.text) == text_key(choice.text)), None)
        if same is not None:
            matched[index] = same.id
            free.remove(same)
    return matched, errors
