"""The simple user actions, through the API: text_input (the text is the claim's
verificationCode, kept on the request), link_click (pending, completed by the worker after
the wait), profile_completed (manual claims check the profile; auto rules complete on a
profile save) and create_partner_account (an account id completes a rule once)."""

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select

from loyalty.actions.models import PartnerAccount
from loyalty.actions.service import PartnerAccountTaken
from loyalty.db import Database
from loyalty.engine.completions import Ask, complete_many
from loyalty.engine.verify import Claim
from loyalty.rules.models import Rule
from loyalty.rules.types.actions import LINK_CHECK_SECONDS
from loyalty.tenancy.models import Website
from loyalty.worker.runner import run_once
from tests.conftest import Clock
from tests.servers import burst
from tests.support import ON_POSTGRES, Tenant, balance, complete, create_currency, refused, wallet
from tests.test_completions import STATUS

RULES = "/api/loyalty/rules"
METADATAS = "/api/users/metadatas"


def action(kind: str, currency: str, metadata: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "name": f"A {kind} rule",
        "type": kind,
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": metadata,
        **fields,
    }


async def create(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> Response:
    return await client.post(RULES, json=body, headers=tenant.headers)


async def rule(client: AsyncClient, tenant: Tenant, body: dict[str, Any]) -> str:
    response = await create(client, tenant, body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def bad_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return [error["field"] for error in response.json()["errors"]]


def completed(response: Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    assert answer["status"] == "completed", answer
    return answer


async def statuses(
    client: AsyncClient, tenant: Tenant, rule_id: str
) -> list[tuple[str, str | None]]:
    response = await client.get(STATUS, params={"loyaltyRuleId": rule_id}, headers=tenant.headers)
    return [(s["status"], s["message"]) for s in response.json()["data"]]


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


# --- text_input ---------------------------------------------------------------------------


@pytest.fixture
async def text_rule(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    metadata = {"verificationTextMinimumLength": 10}
    return await rule(client, tenant, action("text_input", currency, metadata, interval="daily"))


async def test_a_text_long_enough_completes_and_is_kept(
    client: AsyncClient, tenant: Tenant, clock: Clock, text_rule: str, currency: str
) -> None:
    answer = completed(
        await complete(client, tenant, text_rule, verificationCode="  my wallet 0x1  ")
    )
    assert answer["paid"] == [{"part": "rule", "amount": 10}]
    assert await balance(client, tenant) == 10
    refused(await complete(client, tenant, text_rule, 2), "text_required")  # not kept
    clock.advance(timedelta(days=1))
    second = completed(
        await complete(client, tenant, text_rule, verificationCode="my wallet again")
    )
    path = f"{RULES}/{text_rule}/texts"
    listed = await client.get(path, params={"limit": 1}, headers=tenant.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [(t["id"], t["userId"], t["text"]) for t in page["data"]] == [
        (answer["id"], answer["userId"], "my wallet 0x1")
    ]
    assert page["hasNextPage"] is True
    after = {"startingAfter": answer["id"], "userId": answer["userId"]}
    rest = (await client.get(path, params=after, headers=tenant.headers)).json()
    assert [(t["id"], t["text"]) for t in rest["data"]] == [(second["id"], "my wallet again")]
    nobody = await client.get(path, params={"userId": "nobody"}, headers=tenant.headers)
    assert nobody.json()["data"] == []
    other = await rule(client, tenant, action("link_click", currency, {"link": "https://x.io"}))
    response = await client.get(f"{RULES}/{other}/texts", headers=tenant.headers)
    assert (response.status_code, response.json()["code"]) == (422, "not_a_text_input_rule")
    missing = await client.get(f"{RULES}/no-such-rule/texts", headers=tenant.headers)
    assert missing.status_code == 404


async def test_a_missing_or_blank_text_is_refused(
    client: AsyncClient, tenant: Tenant, text_rule: str
) -> None:
    message = refused(await complete(client, tenant, text_rule), "text_required")
    assert message == "Enter your text (verificationCode) to complete this rule"
    refused(await complete(client, tenant, text_rule, verificationCode="   "), "text_required")
    assert await balance(client, tenant) == 0
    assert await statuses(client, tenant, text_rule) == [("failed", message)] * 2


async def test_a_text_shorter_than_the_minimum_is_refused_once_trimmed(
    client: AsyncClient, tenant: Tenant, text_rule: str
) -> None:
    short = await complete(client, tenant, text_rule, verificationCode="   123456789   ")
    message = refused(short, "text_too_short")
    assert message == "Your text must be at least 10 characters long; it has 9"
    assert await balance(client, tenant) == 0


async def test_a_text_rule_without_a_minimum_needs_some_text(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, action("text_input", currency, {}))
    refused(await complete(client, tenant, rule_id, verificationCode=""), "text_required")
    completed(await complete(client, tenant, rule_id, verificationCode="x"))


async def test_text_limits_are_checked_before_anything_is_written(
    client: AsyncClient, tenant: Tenant, currency: str, text_rule: str
) -> None:
    too_long = await complete(client, tenant, text_rule, verificationCode="x" * 1001)
    assert bad_fields(too_long) == ["verificationCode"]
    unreachable = action("text_input", currency, {"verificationTextMinimumLength": 1001})
    assert bad_fields(await create(client, tenant, unreachable)) == [
        "metadata.verificationTextMinimumLength"
    ]
    assert await statuses(client, tenant, text_rule) == []


# --- link_click ---------------------------------------------------------------------------


@pytest.fixture
async def link_rule(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    metadata = {"link": "https://example.com/blog", "socialPlatform": "Custom"}
    return await rule(client, tenant, action("link_click", currency, metadata, interval="daily"))


async def test_a_link_click_is_pending_until_the_worker_confirms_it(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Clock, link_rule: str
) -> None:
    response = await complete(client, tenant, link_rule)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["message"] == (
        "Link click being verified, come back later to check the status"
    )
    await run_once(database)
    assert await statuses(client, tenant, link_rule) == [("pending", None)]
    assert await balance(client, tenant) == 0
    clock.advance(timedelta(seconds=LINK_CHECK_SECONDS))
    await run_once(database)
    assert await statuses(client, tenant, link_rule) == [("completed", "Completed")]
    assert await balance(client, tenant) == 10


async def test_a_second_click_of_the_period_fails_when_the_worker_checks_it(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Clock, link_rule: str
) -> None:
    for _ in range(2):
        assert (await complete(client, tenant, link_rule)).json()["status"] == "pending"
    clock.advance(timedelta(seconds=LINK_CHECK_SECONDS))
    await run_once(database)
    assert sorted(await statuses(client, tenant, link_rule)) == [
        ("completed", "Completed"),
        ("failed", "You have already completed this rule today"),
    ]
    assert await balance(client, tenant) == 10
    clock.advance(timedelta(days=1))
    assert (await complete(client, tenant, link_rule)).json()["status"] == "pending"
    clock.advance(timedelta(seconds=LINK_CHECK_SECONDS))
    await run_once(database)
    assert await balance(client, tenant) == 20


async def test_a_link_rule_that_ends_while_the_click_waits_pays_nothing(
    client: AsyncClient, tenant: Tenant, database: Database, clock: Clock, currency: str
) -> None:
    ends = (clock.now + timedelta(seconds=30)).isoformat()
    body = action("link_click", currency, {"link": "https://example.com"}, endTime=ends)
    rule_id = await rule(client, tenant, body)
    assert (await complete(client, tenant, rule_id)).json()["status"] == "pending"
    clock.advance(timedelta(seconds=LINK_CHECK_SECONDS))
    await run_once(database)
    assert await statuses(client, tenant, rule_id) == [("failed", "This rule has ended")]
    assert await balance(client, tenant) == 0


async def test_verifying_a_link_click_answers_at_once_and_writes_nothing(
    client: AsyncClient, tenant: Tenant, link_rule: str
) -> None:
    response = await complete(client, tenant, link_rule, verifyOnly="true")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "verified"
    assert await statuses(client, tenant, link_rule) == []


# --- profile_completed --------------------------------------------------------------------


async def save_profile(client: AsyncClient, tenant: Tenant, n: int = 1, **fields: Any) -> str:
    """Save profile fields of the user of wallet ``n``; returns the user's id."""
    body = {"walletAddress": wallet(n), **fields}
    response = await client.post(METADATAS, json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["user"]["id"])


def profile_rule(currency: str, conditions: dict[str, bool], **fields: Any) -> dict[str, Any]:
    return action(
        "profile_completed", currency, {"completeProfileConditions": conditions}, **fields
    )


async def test_unknown_profile_fields_are_refused_when_the_rule_is_saved(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    conditions = {"email": True, "favouriteColour": True, "shoeSize": False}
    response = await create(client, tenant, profile_rule(currency, conditions))
    assert bad_fields(response) == [
        "metadata.completeProfileConditions.favouriteColour",
        "metadata.completeProfileConditions.shoeSize",
    ]
    assert "use one of displayName, bio, logo, email" in response.json()["errors"][0]["message"]
    known = {"emailAddress": True, "wallet": True, "telegram": False}
    await rule(client, tenant, profile_rule(currency, known))


async def test_a_claim_names_the_missing_profile_fields_then_completes_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    conditions = {"email": True, "twitter": True, "discord": False}
    rule_id = await rule(client, tenant, profile_rule(currency, conditions))
    message = refused(await complete(client, tenant, rule_id), "profile_incomplete")
    assert message == "Profile not complete: fill in email, twitter"
    await save_profile(client, tenant, emailAddress="ada@example.com", twitterUser="   ")
    message = refused(await complete(client, tenant, rule_id), "profile_incomplete")
    assert message == "Profile not complete: fill in twitter"
    await save_profile(client, tenant, twitterUser="ada")
    completed(await complete(client, tenant, rule_id))
    refused(await complete(client, tenant, rule_id), "rule_already_completed")
    assert await balance(client, tenant) == 10


async def test_an_auto_rule_completes_when_a_save_completes_the_profile(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    conditions = {"email": True, "displayName": True}
    auto = await rule(client, tenant, profile_rule(currency, conditions, claimType="auto"))
    await rule(client, tenant, profile_rule(currency, conditions, amount=100))  # manual
    await save_profile(client, tenant, displayName="Ada")
    assert await balance(client, tenant) == 0
    await save_profile(client, tenant, emailAddress="ada@example.com")
    assert await balance(client, tenant) == 10
    await save_profile(client, tenant, bio="Saved again")
    assert await balance(client, tenant) == 10
    # Auto completions leave no request row; the completion itself is what holds it once.
    assert await statuses(client, tenant, auto) == []
    refused(await complete(client, tenant, auto), "rule_already_completed")


async def test_an_auto_rule_pays_nothing_to_a_blocked_user(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    await rule(client, tenant, profile_rule(currency, {"email": True}, claimType="auto"))
    await save_profile(client, tenant, 2, isBlocked=True, emailAddress="eve@example.com")
    assert await balance(client, tenant, 2) == 0


# --- create_partner_account -----------------------------------------------------------------


@pytest.fixture
async def partner_rule(client: AsyncClient, tenant: Tenant, currency: str) -> str:
    metadata = {"link": "https://partner.example.com/signup"}
    return await rule(client, tenant, action("create_partner_account", currency, metadata))


async def partner_accounts(database: Database, rule_id: str) -> list[tuple[str, str]]:
    async with database.reading() as session:
        rows = await session.execute(
            select(PartnerAccount.account_id, PartnerAccount.user_id).where(
                PartnerAccount.rule_id == rule_id
            )
        )
        return [(account, user) for account, user in rows.tuples()]


async def test_a_partner_account_id_completes_the_rule(
    client: AsyncClient, tenant: Tenant, database: Database, partner_rule: str
) -> None:
    answer = completed(await complete(client, tenant, partner_rule, verificationCode=" acct-1 "))
    assert await balance(client, tenant) == 10
    assert await partner_accounts(database, partner_rule) == [("acct-1", answer["userId"])]


async def test_a_partner_account_id_is_required_and_limited(
    client: AsyncClient, tenant: Tenant, database: Database, partner_rule: str
) -> None:
    message = refused(await complete(client, tenant, partner_rule), "partner_account_required")
    assert (
        message == "Enter the id of your partner account (verificationCode) to complete this rule"
    )
    blank = await complete(client, tenant, partner_rule, verificationCode="  ")
    refused(blank, "partner_account_required")
    long = await complete(client, tenant, partner_rule, verificationCode="a" * 256)
    assert refused(long, "partner_account_too_long") == (
        "A partner account id has at most 255 characters"
    )
    assert await balance(client, tenant) == 0
    assert await partner_accounts(database, partner_rule) == []


async def test_an_account_completes_a_rule_once_for_one_user(
    client: AsyncClient, tenant: Tenant, currency: str, partner_rule: str
) -> None:
    completed(await complete(client, tenant, partner_rule, 1, verificationCode="acct-1"))
    taken = await complete(client, tenant, partner_rule, 2, verificationCode="acct-1")
    message = refused(taken, "partner_account_taken")
    assert message == "This partner account has already been used by another user for this rule"
    again = await complete(client, tenant, partner_rule, 1, verificationCode="acct-2")
    refused(again, "rule_already_completed")
    other = action("create_partner_account", currency, {"link": "https://other.example.com"})
    other_rule = await rule(client, tenant, other)
    completed(await complete(client, tenant, other_rule, 2, verificationCode="acct-1"))
    assert (await balance(client, tenant, 1), await balance(client, tenant, 2)) == (10, 10)


async def test_two_claims_of_one_account_in_one_batch_fail_the_batch(
    client: AsyncClient, tenant: Tenant, database: Database, partner_rule: str
) -> None:
    """Both checks pass before either is written; the second write finds the account taken
    and fails the batch, which the batcher then runs again ask by ask (where the second
    ask's check sees the account taken). Nothing of the failed batch is kept."""
    users = [await save_profile(client, tenant, n, displayName=f"User {n}") for n in (3, 4)]
    asks = [Claim(user_id=user, verification_code="shared") for user in users]
    with pytest.raises(PartnerAccountTaken):
        async with database.writing() as session:
            rule_row = await session.get_one(Rule, partner_rule)
            website = await session.get_one(Website, tenant.website_id)
            await complete_many(session, website, [Ask(rule_row, claim) for claim in asks])
    assert await partner_accounts(database, partner_rule) == []
    assert (await balance(client, tenant, 3), await balance(client, tenant, 4)) == (0, 0)


@pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time")
async def test_parallel_claims_of_one_account_by_many_users_pay_once(
    client: AsyncClient,
    tenant: Tenant,
    database: Database,
    partner_rule: str,
    urls: list[str],
) -> None:
    bodies = [{"walletAddress": wallet(n), "verificationCode": "acct-9"} for n in range(10, 40)]
    outcomes = await burst(urls, tenant, f"{RULES}/{partner_rule}/complete", bodies)
    assert outcomes == Counter({(200, "completed"): 1, (422, "partner_account_taken"): 29})
    ((account, _user),) = await partner_accounts(database, partner_rule)
    assert account == "acct-9"


async def test_profiles_complete_before_an_auto_rule_existed_earn_it_from_the_sweep(
    client: AsyncClient, tenant: Tenant, currency: str, database: Database
) -> None:
    await save_profile(client, tenant, 1, emailAddress="ada@example.com")
    await save_profile(client, tenant, 2, displayName="No email")
    body = profile_rule(currency, {"email": True}, claimType="auto", frequency="immediately")
    await rule(client, tenant, body)
    await save_profile(client, tenant, 3, emailAddress="bob@example.com")  # earns it at once
    assert [await balance(client, tenant, n) for n in (1, 2, 3)] == [0, 0, 10]
    await run_once(database)  # the scheduler enqueues the sweep
    await run_once(database)  # the worker runs it
    assert [await balance(client, tenant, n) for n in (1, 2, 3)] == [10, 0, 10]
    await run_once(database)  # swept once: nothing more
    assert [await balance(client, tenant, n) for n in (1, 2, 3)] == [10, 0, 10]
