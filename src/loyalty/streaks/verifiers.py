"""The check_in verifier."""

from loyalty.db import WriteSession
from loyalty.engine.verify import ACCEPTED, Attempt, Verdict, verifier


@verifier("check_in")
async def _check_in(_session: WriteSession, _attempt: Attempt) -> Verdict:
    """A check-in needs nothing but being the first of its period, which the completion's
    period key enforces."""
    return ACCEPTED
