"""Verifiers: how a rule type checks a completion claim before anything is paid, and what
it does once the completion is written.

A local verifier decides inside the request (an external rule's server call, a check-in,
a code); one that calls out (a chain, a social network) runs in the worker, and the request
answers with the pending status. Types without a verifier cannot be completed through the
API.

A verifier has up to three hooks, all run in the completion's transaction:

- ``check(session, attempt) -> Verdict`` decides whether the claim holds. It writes
  nothing (it runs for ``verifyOnly`` too); it may lock rows it decides on (``FOR
  UPDATE``: a unique code), which keeps them until the completion commits.
- ``refused(session, attempt, verdict)`` runs when ``check`` refused a real (not
  ``verifyOnly``) claim: a quiz keeps the wrong answer.
- ``paid(session, attempt, parts) -> records`` runs once the completion is written and
  paid: a code is spent, a streak grows. The records it returns (a streak bonus) are added
  to what the completion reports it paid.

Follow-ups (``follow_up``) run after a whole batch of completions is written, in its
transaction, with what each paid: completions that make other rules happen (a rule that
counts as a check-in, a referral's share).
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from loyalty.db import WriteSession
from loyalty.engine.decide import RuleView

# Snag's answer to a completion request.
QUEUED = "Completion request added to queue"


class RuleLike(Protocol):
    """A rule as the pipeline reads it: the ORM row, or a cached ``RuleSnapshot``."""

    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def website_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def currency_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def definition(self) -> dict[str, Any]: ...


class WebsiteLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def organization_id(self) -> str: ...
    @property
    def time_zone(self) -> str: ...


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
class Attempt:
    """One completion as its verifier sees it."""

    rule: RuleLike
    view: RuleView
    claim: Claim
    website: WebsiteLike
    # The completion request's id (its row exists only when the request is recorded).
    request_id: str
    verify_only: bool = False

    @property
    def user_id(self) -> str:
        return self.claim.user_id


@dataclass(frozen=True)
class Verdict:
    ok: bool
    message: str = ""
    code: str = "verification_failed"


ACCEPTED = Verdict(True)


@dataclass(frozen=True)
class PaidPart:
    """One part of a written completion: its key ("" for the whole rule, a range's key),
    the completion row's id, the points units it credited and the period it was earned in
    (``periods.period_key``)."""

    key: str
    completion_id: str
    units: int
    period: str


Check = Callable[[WriteSession, Attempt], Awaitable[Verdict]]
Refused = Callable[[WriteSession, Attempt, Verdict], Awaitable[None]]
Paid = Callable[[WriteSession, Attempt, Sequence[PaidPart]], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Due:
    """What a cadence rule's sweep found due: a user (by id or wallet) and, when the
    source names one, the amount to pay instead of the rule's."""

    user_id: str | None = None
    wallet_address: str | None = None
    amount: Decimal | None = None


# A cadence rule's sweep (see ``engine.cadence``): the users the rule is due for this period.
Sweep = Callable[[WriteSession, "SweptRule"], Awaitable[list[Due]]]


class SweptRule(RuleLike, Protocol):
    """A rule as a sweep reads it: with its secrets and its top-level fields."""

    @property
    def secrets(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Verifier:
    check: Check
    local: bool = True
    refused: Refused | None = None
    paid: Paid | None = None
    # A verifier that calls out runs this long after the request (a link is checked later).
    delay: timedelta = timedelta(0)
    # Cadence rules of the type (claimType auto, a frequency) are swept every period.
    sweep: Sweep | None = None
    # What a request answers while the worker has yet to verify it (Snag's wording).
    pending_message: str = QUEUED


VERIFIERS: dict[str, Verifier] = {}


def verifier(
    *types: str,
    local: bool = True,
    refused: Refused | None = None,
    paid: Paid | None = None,
    delay: timedelta = timedelta(0),
    sweep: Sweep | None = None,
    pending_message: str = QUEUED,
) -> Callable[[Check], Check]:
    """Install ``check`` (and the hooks given) as the verifier of ``types``."""

    def register(check: Check) -> Check:
        for name in types:
            VERIFIERS[name] = Verifier(check, local, refused, paid, delay, sweep, pending_message)
        return check

    return register


@dataclass(frozen=True)
class Completed:
    """A completion a batch wrote and paid, as follow-ups see it."""

    rule: RuleLike
    view: RuleView
    user_id: str
    # Points units credited in the rule's currency (0 for a badge or a multiplier).
    units: int
    request_id: str | None


FollowUp = Callable[[WriteSession, WebsiteLike, Sequence[Completed]], Awaitable[None]]
# A question a follow-up answers for a website, from its caches: whether it has anything to
# do there at all (``active``), and whether it may complete rules for a batch's users
# (``locks``: then the batch locks its users first, as any completion that depends on them
# does; users before balances, always, or two transactions could deadlock).
WebsiteCheck = Callable[[WriteSession, WebsiteLike], Awaitable[bool]]


@dataclass(frozen=True)
class FollowUpHook:
    run: FollowUp
    locks: WebsiteCheck | None = None
    active: WebsiteCheck | None = None


FOLLOW_UPS: list[FollowUpHook] = []


def follow_up(
    fn: FollowUp, *, locks: WebsiteCheck | None = None, active: WebsiteCheck | None = None
) -> FollowUp:
    """Run ``fn(session, website, completed)`` after every batch that paid something (in a
    website where ``active`` says it has something to do)."""
    if all(hook.run is not fn for hook in FOLLOW_UPS):
        FOLLOW_UPS.append(FollowUpHook(fn, locks, active))
    return fn


async def follow_ups_lock(session: WriteSession, website: WebsiteLike) -> bool:
    """Whether a follow-up may complete rules for the users of a batch in this website."""
    for hook in FOLLOW_UPS:
        if hook.locks is not None and await hook.locks(session, website):
            return True
    return False
