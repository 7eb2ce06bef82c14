"""Tables of airdrops."""

from loyalty.db import Base  # noqa: F401
