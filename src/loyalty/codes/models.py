"""Tables of codes."""

from loyalty.db import Base  # noqa: F401
