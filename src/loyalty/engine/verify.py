"""Verifiers: how a rule type checks a completion claim before anything is paid.

A local verifier decides inside the request (an external rule's server call, a check-in);
one that calls out (a chain, a social network) runs in the worker, and the request answers
with the pending status. Types without a verifier cannot be completed through the API.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from loyalty.db import WriteSession
from loyalty.engine.decide import RuleView


@dataclass(frozen=True)
class Claim:
    """What a completion request asserts."""

    user_id: str
    verification_code: str | None = None
    content_url: str | None = None
    question_choice_id: str | None = None
    range_value: Decimal | None = None
    amount: Decimal | None = None
    # skipChainOrRequiredCheck: earn the rule without its chain's prerequisites.
    skip_chain: bool = False


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    code: str = "verification_failed"


ACCEPTED = Verdict(True)

Check = Callable[[WriteSession, RuleView, Claim], Awaitable[Verdict]]


@dataclass(frozen=True)
class Verifier:
    check: Check
    local: bool = True


VERIFIERS: dict[str, Verifier] = {}


def verifier(*types: str, local: bool = True) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        for name in types:
            VERIFIERS[name] = Verifier(check, local)
        return check

    return register


@verifier("external_rule")
async def _server_asserted(_session: WriteSession, _rule: RuleView, _claim: Claim) -> Verdict:
    """The customer's backend completes an external rule: its word is the verification."""
    return ACCEPTED


@verifier("check_in")
async def _check_in(_session: WriteSession, _rule: RuleView, _claim: Claim) -> Verdict:
    """A check-in needs nothing but being the first of its period, which the completion's
    period key enforces."""
    return ACCEPTED
