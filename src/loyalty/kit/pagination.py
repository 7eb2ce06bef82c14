"""Cursor pagination as Snag does it: ``limit`` + ``startingAfter``, answered as
``{data, hasNextPage}``. Lists are ordered by id (UUIDv7, so by creation time)."""

from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    data: list[T]
    hasNextPage: bool = Field(description="True when more rows follow the last one returned")


def split_page(rows: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """Rows were fetched with ``limit + 1``; return the page and whether more follow."""
    return list(rows[:limit]), len(rows) > limit
