"""Tables of referrals."""

from loyalty.db import Base  # noqa: F401
