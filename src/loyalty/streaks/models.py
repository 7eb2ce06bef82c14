"""Tables of streaks."""

from loyalty.db import Base  # noqa: F401
