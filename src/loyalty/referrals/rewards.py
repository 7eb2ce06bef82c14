"""What referrals pay: the referred user's reward (the referral rule's own completion, through
the earning pipeline) once the rule's requirements hold, the referrer's lump sum with it, and
the shares of a referred user's later earnings for the first and second level referrer.
The lump sum and the shares are ledger credits (source ``referral``) of transactions naming
the referral rule."""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty.db import ReadSession, WriteSession
from loyalty.engine.completions import Ask, complete_many
from loyalty.engine.decide import as_decimal, points_units
from loyalty.engine.verify import Attempt, Claim, Completed, RuleLike, WebsiteLike
from loyalty.errors import BusinessRefusal
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.ledger.amounts import scale
from loyalty.ledger.currencies import TERMS, CurrencyTerms, currency_terms
from loyalty.ledger.rows import Line
from loyalty.ledger.service import NewTransaction, post_transactions
from loyalty.referrals import repository
from loyalty.referrals.models import Referral
from loyalty.referrals.programs import REFERRED_USER, Program, programs
from loyalty.referrals.requirements import Requirements, share, unmet
from loyalty.users.repository import metadata_by_user
from loyalty.users.schemas import as_fields

REFERRAL = "referral"
TRANSACTION_TYPE = "loyalty_rule"


async def _terms(
    session: ReadSession, organization_id: str, currency_ids: Iterable[str]
) -> dict[str, CurrencyTerms]:
    return await currency_terms(session, organization_id, None, currency_ids, TERMS)


async def unmet_requirements(
    session: ReadSession, links: Sequence[Referral], asks: Mapping[str, Requirements]
) -> dict[str, list[str]]:
    """What each referred user still lacks (by referral id) against the requirements of
    its rule (``asks`` by rule id): profiles and points earned are read in bulk. Points
    earned are the user's lifetime earnings in the currency (spending does not undo them)."""
    if not links:
        return {}
    profiles = await metadata_by_user(session, (link.user_id for link in links))
    pairs = {
        (link.user_id, points_currency)
        for link in links
        if (points_currency := asks[link.rule_id].points_currency_id) is not None
    }
    earned = await repository.lifetime_earned(session, pairs)
    terms = await _terms(session, links[0].organization_id, {c for _, c in pairs})
    found = {}
    for link in links:
        need = asks[link.rule_id]
        metadata = profiles.get(link.user_id)
        amount = Decimal(0)
        if need.points_currency_id is not None:
            units = earned.get((link.user_id, need.points_currency_id), 0)
            currency = terms.get(need.points_currency_id)
            amount = Decimal(units) / scale(currency.decimals if currency else 0)
        found[link.id] = unmet(need, as_fields(metadata) if metadata else {}, amount)
    return found


async def settle(session: WriteSession, website: WebsiteLike, user_ids: Iterable[str]) -> None:
    """Reward the referrals of these users whose requirements now hold: the referral rule
    completes for the referred user, which pays the referrer too (``reward_referrer``).
    Runs when a referral is made, when a referred user's profile is saved and when a
    referred user earns points."""
    live = {i: p for i, p in (await programs(session, website.id)).items() if p.open}
    wanted = set(user_ids)
    if not live or not wanted:
        return
    links = await repository.pending_links(session, website.id, wanted, live)
    lacking = await unmet_requirements(session, links, {i: p.requirements for i, p in live.items()})
    asks = [
        Ask(live[link.rule_id].rule, Claim(user_id=link.user_id), request={"referralId": link.id})
        for link in links
        if not lacking[link.id]
    ]
    if asks:
        await complete_many(session, website, asks)


async def reward_referrer(
    session: WriteSession, attempt: Attempt, link: Referral
) -> dict[str, Any]:
    """The referrer's ``referrerReward`` (in ``referrerRewardLoyaltyCurrencyId``, else the
    rule's currency; no multiplier), paid with the referred user's reward; the referral
    is marked rewarded. A blocked referrer, or a balance at its currency's maximum, gets
    nothing."""
    meta = attempt.view.metadata
    currency_id = meta.get("referrerRewardLoyaltyCurrencyId") or attempt.view.currency_id
    terms = await _terms(session, attempt.rule.organization_id, [currency_id])
    units = 0
    if currency_id in terms and await repository.user_state(session, link.referrer_id) != (
        "blocked"
    ):
        amount = as_decimal(meta.get("referrerReward")) or Decimal(0)
        units = points_units(amount, Decimal(1), terms[currency_id].decimals)
    if units > 0:
        line = Line(
            link.referrer_id,
            currency_id,
            "credit",
            units,
            f"referral:{link.id}",
            source=REFERRAL,
            metadata={"referralId": link.id, "referredUserId": link.user_id},
        )
        posted = await _post(session, attempt.rule, "Referral reward", [line], terms)
        units = sum(p.amount for p in posted)
    link.rewarded_at = link.updated_at = now()
    link.reward_units, link.reward_currency_id = units, currency_id
    await session.flush()
    return {
        "part": "referrer",
        "userId": link.referrer_id,
        "currencyId": currency_id,
        "amount": units,
    }


async def pay_shares(
    session: WriteSession,
    website: WebsiteLike,
    found: Mapping[str, Program],
    completed: Sequence[Completed],
) -> None:
    """``firstReferralReward`` / ``secondReferralReward`` percent of what referred users
    earned from rule completions (not from referral rules: no share of a referral reward),
    rounded down, for their referrer and their referrer's referrer. Only earnings in the
    referral rule's currency are shared, once the referral is rewarded, while the rule is
    open; the shares are ledger credits, never completions, so nothing is shared twice."""
    sharing = {i for i, p in found.items() if p.shares and p.open}
    earners = [c for c in completed if c.units > 0 and c.view.type != REFERRED_USER]
    if not sharing or not earners:
        return
    uplines = await repository.uplines(session, website.id, {c.user_id for c in earners})
    lines: dict[str, list[Line]] = {}
    for c in earners:
        up = uplines.get(c.user_id)
        if up is None or up.rule_id not in sharing:
            continue
        program = found[up.rule_id]
        if c.view.currency_id == program.view.currency_id:
            lines.setdefault(up.rule_id, []).extend(_share_lines(c, up, program))
    currencies = {found[rule_id].view.currency_id for rule_id in lines}
    terms = await _terms(session, website.organization_id, currencies)
    totals: dict[str, list[int]] = {}
    for rule_id, rule_lines in lines.items():
        for line in await _post(session, found[rule_id].rule, "Referral share", rule_lines, terms):
            meta = line.metadata or {}
            totals.setdefault(meta["referralId"], [0, 0])[meta["level"] - 1] += line.amount
    moment = now()
    await repository.add_shares(
        session,
        [
            {"link": link_id, "tier1": t1, "tier2": t2, "moment": moment}
            for link_id, (t1, t2) in totals.items()
        ],
    )


def _share_lines(c: Completed, up: repository.Upline, program: Program) -> list[Line]:
    levels = ((up.first, program.first_share), (up.second, program.second_share))
    found = []
    for level, (referrer, percent) in enumerate(levels, start=1):
        units = share(c.units, percent)
        if referrer is not None and units > 0:
            found.append(
                Line(
                    referrer,
                    c.view.currency_id,
                    "credit",
                    units,
                    f"referral-share:{new_id()}",
                    source=REFERRAL,
                    metadata={"referralId": up.link_id, "level": level, "ruleId": c.rule.id},
                )
            )
    return found


async def _post(
    session: WriteSession,
    rule: RuleLike,
    what: str,
    lines: list[Line],
    terms: Mapping[str, CurrencyTerms],
) -> list[Line]:
    """Credit the lines in one transaction naming the referral rule; returns those paid.
    Under a currency's maximum each line gets its own savepoint, and a line the maximum
    refuses is dropped without failing the completions it follows."""
    lines = [line for line in lines if line.currency_id in terms]

    def transaction(paid: list[Line]) -> NewTransaction:
        return NewTransaction(
            rule.organization_id,
            rule.website_id,
            f"{what}: {rule.name}",
            TRANSACTION_TYPE,
            paid,
            rule.id,
        )

    if all(terms[line.currency_id].maximum_value is None for line in lines):
        await post_transactions(session, [transaction(lines)] if lines else [], terms)
        return lines
    posted = []
    for line in lines:
        try:
            async with session.begin_nested():
                await post_transactions(session, [transaction([line])], terms)
            posted.append(line)
        except BusinessRefusal:
            continue
    return posted
