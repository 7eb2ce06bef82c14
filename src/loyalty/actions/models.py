"""Tables of actions."""

from loyalty.db import Base  # noqa: F401
