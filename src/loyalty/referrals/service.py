"""Use cases of referrals: a user's code for a referral rule (create-or-get), referring
users with a code, and the list of referrals."""

import secrets
from collections.abc import Sequence

from sqlalchemy import select

from loyalty.db import ReadSession, WriteSession
from loyalty.errors import BusinessRefusal, FieldError, ValidationFailed
from loyalty.kit.clock import now
from loyalty.kit.ids import new_id
from loyalty.referrals import repository
from loyalty.referrals.models import Referral, ReferralCode
from loyalty.referrals.programs import REFERRED_USER
from loyalty.referrals.rewards import settle
from loyalty.rules.service import rule_for
from loyalty.tenancy.models import Website
from loyalty.tenancy.principal import Principal
from loyalty.users.models import User
from loyalty.users.service import existing_user

# Generated codes: no 0/O or 1/I, which people misread when they type a code.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
ATTEMPTS = 5


class ReferralCodeTaken(BusinessRefusal):
    code = "referral_code_taken"


class ReferralCodeExists(BusinessRefusal):
    code = "referral_code_exists"


class ReferralCodeNotFound(BusinessRefusal):
    code = "referral_code_not_found"


class SelfReferral(BusinessRefusal):
    code = "self_referral"


class AlreadyReferred(BusinessRefusal):
    code = "user_already_referred"


class ReferralCycle(BusinessRefusal):
    code = "referral_cycle"


async def code_for(
    session: WriteSession, principal: Principal, rule_id: str, user_id: str, custom: str | None
) -> ReferralCode:
    """The user's code for a referral rule, created on first ask (``custom``, or a random
    one); asking again answers the same code. A different custom code than the user's
    (422 ``referral_code_exists``) or one another user holds (422 ``referral_code_taken``)
    is refused."""
    rule = await rule_for(session, principal, rule_id)
    if rule.type != REFERRED_USER:
        raise ValidationFailed([FieldError("loyaltyRuleId", "must be a referred_user rule")])
    await existing_user(session, rule.website_id, user_id=user_id, wallet=None)
    for _ in range(ATTEMPTS):
        found = await repository.code_of(session, rule.id, user_id)
        if found is not None:
            if custom is not None and custom != found.code:
                raise ReferralCodeExists(
                    f"The user's code for this rule is {found.code}", referralCode=found.code
                )
            return found
        moment = now()
        row = {
            "id": new_id(),
            "organization_id": rule.organization_id,
            "website_id": rule.website_id,
            "rule_id": rule.id,
            "user_id": user_id,
            "code": custom or _random_code(),
            "created_at": moment,
            "updated_at": moment,
        }
        # Not inserted: the code is another user's, or the user's own code was made
        # concurrently (the next round finds it).
        inserted = await repository.insert_code(session, row)
        if not inserted and custom is not None and not await _has_code(session, rule.id, user_id):
            raise ReferralCodeTaken("This referral code belongs to another user")
    found = await repository.code_of(session, rule.id, user_id)
    if found is None:
        raise RuntimeError("no free referral code found")
    return found


async def _has_code(session: ReadSession, rule_id: str, user_id: str) -> bool:
    return await repository.code_of(session, rule_id, user_id) is not None


def _random_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


async def refer(
    session: WriteSession,
    principal: Principal,
    user_ids: Sequence[str],
    *,
    code: str | None,
    code_id: str | None,
) -> list[Referral]:
    """Refer these users (of one website the key may use) with a code of that website."""
    users = await _users(session, principal, user_ids)
    website = await session.get_one(Website, users[0].website_id)
    return await refer_in(session, website, user_ids, code=code, code_id=code_id)


async def refer_in(
    session: WriteSession,
    website: Website,
    user_ids: Sequence[str],
    *,
    code: str | None,
    code_id: str | None = None,
) -> list[Referral]:
    """Link the users under the code's owner, all or none, then reward the referrals whose
    requirements already hold. Asking again with the code a user was referred with changes
    nothing; a self-referral, a user referred by someone else and a link that would close a
    cycle are refused (422)."""
    found = await repository.live_code(session, website.id, code=code, code_id=code_id)
    if found is None:
        raise ReferralCodeNotFound("No referral code of a live referral rule matches")
    await repository.lock_website_referrals(session, website.id)
    existing = await repository.links_of(session, website.id, user_ids)
    links = []
    for user_id in dict.fromkeys(user_ids):
        link = existing.get(user_id)
        if link is not None and link.code_id == found.id:
            continue
        await _check_link(session, found, user_id, link)
        links.append(_link(found, user_id))
    session.add_all(links)
    await session.flush()
    await settle(session, website, [link.user_id for link in links])
    return links


async def _check_link(
    session: ReadSession, code: ReferralCode, user_id: str, link: Referral | None
) -> None:
    if user_id == code.user_id:
        raise SelfReferral("A user cannot be referred with their own code", userId=user_id)
    if link is not None:
        raise AlreadyReferred("This user was already referred by another user", userId=user_id)
    if await repository.refers_back(session, code.website_id, code.user_id, user_id):
        raise ReferralCycle(
            "This user referred the code's owner (directly or through others): "
            "referrals cannot form a cycle",
            userId=user_id,
        )


def _link(code: ReferralCode, user_id: str) -> Referral:
    moment = now()
    return Referral(
        id=new_id(),
        organization_id=code.organization_id,
        website_id=code.website_id,
        rule_id=code.rule_id,
        code_id=code.id,
        referrer_id=code.user_id,
        user_id=user_id,
        reward_units=0,
        tier1_units=0,
        tier2_units=0,
        created_at=moment,
        updated_at=moment,
    )


async def _users(session: ReadSession, principal: Principal, user_ids: Sequence[str]) -> list[User]:
    """The users named, which must be users of one website the key may use (400 naming
    every one that is not)."""
    rows = await session.scalars(
        select(User).where(
            User.id.in_(sorted(set(user_ids))), User.organization_id == principal.organization_id
        )
    )
    by_id = {u.id: u for u in rows if principal.may_use(u.website_id)}
    errors = [
        FieldError(f"userIds[{i}]", "no such user")
        for i, uid in enumerate(user_ids)
        if uid not in by_id
    ]
    if not errors and len({u.website_id for u in by_id.values()}) > 1:
        errors.append(FieldError("userIds", "the users must belong to one website"))
    if errors:
        raise ValidationFailed(errors)
    return [by_id[uid] for uid in user_ids]
