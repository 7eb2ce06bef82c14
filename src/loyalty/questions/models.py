"""Tables of questions."""

from loyalty.db import Base  # noqa: F401
