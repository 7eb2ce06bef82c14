"""Quiz and poll rules: questions inline in the rule or through the questions API (two views
of the same rows), answers through completions and through questions_responses, attempts
per period, poll results, website scoping."""

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response

from loyalty.questions.answers import Facts, Given, resolve, settling
from loyalty.questions.matching import Listed, Stored, match_choices
from tests.conftest import Clock
from tests.servers import burst
from tests.support import (
    ON_POSTGRES,
    RULES,
    Tenant,
    balance,
    create_currency,
    create_tenant,
    refused,
    rule,
    wallet,
)

QUESTIONS = "/api/loyalty/questions"
RESPONSES = "/api/loyalty/questions_responses"
STATUS = "/api/loyalty/rules/status"

QUESTION = {
    "text": "Which chain settles in 12 seconds?",
    "choices": [
        {"text": "Solana", "isCorrect": False, "sortIdentifier": 2},
        {"text": "Ethereum", "isCorrect": True, "sortIdentifier": 1},
        {"text": "Bitcoin", "isCorrect": False, "sortIdentifier": 3},
    ],
}


def question_rule(currency: str, kind: str = "quiz", **fields: Any) -> dict[str, Any]:
    return {
        "name": f"A {kind}",
        "type": kind,
        "frequency": "none",
        "interval": "once",
        "startTime": None,
        "amount": 10,
        "loyaltyCurrencyId": currency,
        "metadata": {"question": QUESTION},
        **fields,
    }


@pytest.fixture
async def currency(client: AsyncClient, tenant: Tenant) -> str:
    return await create_currency(client, tenant)


async def questions(
    client: AsyncClient, tenant: Tenant, *rule_ids: str, **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(
        QUESTIONS, params={"loyaltyRuleIds": list(rule_ids), **params}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def choice_ids(client: AsyncClient, tenant: Tenant, rule_id: str) -> dict[str, str]:
    """The rule's choice ids by text."""
    (question,) = await questions(client, tenant, rule_id)
    return {c["text"]: c["id"] for c in question["loyaltyQuestionChoices"]}


async def answer(
    client: AsyncClient, tenant: Tenant, rule_id: str, choice: str | None, n: int = 1, **more: Any
) -> Response:
    body = {"walletAddress": wallet(n), **more}
    if choice is not None:
        body["loyaltyQuestionChoiceId"] = choice
    return await client.post(f"{RULES}/{rule_id}/complete", json=body, headers=tenant.headers)


async def submit(client: AsyncClient, tenant: Tenant, choice: str, user_id: str) -> Response:
    body = {"loyaltyQuestionChoiceId": choice, "userId": user_id}
    return await client.post(RESPONSES, json=body, headers=tenant.headers)


async def user(client: AsyncClient, tenant: Tenant, n: int = 1) -> str:
    body = {"websiteId": tenant.website_id, "walletAddress": wallet(n)}
    response = await client.post("/api/users/metadatas", json=body, headers=tenant.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def responses(client: AsyncClient, tenant: Tenant, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(RESPONSES, params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def bad_fields(response: Response) -> list[str]:
    assert response.status_code == 400, response.text
    return sorted(e["field"] for e in response.json()["errors"])


# --- questions: inline and through the API ---------------------------------------------


async def test_a_rule_with_a_question_lists_its_choices(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    (question,) = await questions(client, tenant, rule_id)
    assert question["text"] == QUESTION["text"]
    assert question["loyaltyRuleId"] == rule_id
    assert question["allowMultipleAttempts"] is False
    assert question["userResponse"] is None
    choices = question["loyaltyQuestionChoices"]
    assert [(c["text"], c["sortIdentifier"], c["responseCount"]) for c in choices] == [
        ("Ethereum", 1, 0),
        ("Solana", 2, 0),
        ("Bitcoin", 3, 0),
    ]
    assert all("isCorrect" not in c for c in choices)
    # The SDK sends one rule id as a plain parameter, several as repeated ones.
    other = await rule(client, tenant, question_rule(currency, "poll"))
    assert len(await questions(client, tenant, rule_id, other)) == 2


async def test_the_questions_api_sets_the_question_of_a_rule(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, metadata={}))
    assert await questions(client, tenant, rule_id) == []
    body = {
        "loyaltyRuleId": rule_id,
        "questionText": "Favourite colour?",
        "loyaltyQuestionAnswers": [
            {"text": "Red", "isCorrect": True, "sortIdentifier": 1},
            {"text": "Blue", "isCorrect": False, "sortIdentifier": 2},
        ],
        "allowMultipleAttempts": True,
    }
    created = await client.post(QUESTIONS, json=body, headers=tenant.headers)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["text"] == "Favourite colour?"
    assert [c["text"] for c in out["loyaltyQuestionChoices"]] == ["Red", "Blue"]
    assert await questions(client, tenant, rule_id) == [out]
    stored = await client.get(RULES, params={"loyaltyRuleId": rule_id}, headers=tenant.headers)
    (saved,) = stored.json()["data"]
    assert saved["metadata"]["question"]["text"] == "Favourite colour?"
    assert saved["metadata"]["question"]["allowMultipleAttempts"] is True
    assert saved["version"] == 2
    red = out["loyaltyQuestionChoices"][0]["id"]
    paid = await answer(client, tenant, rule_id, red)
    assert paid.status_code == 200, paid.text
    assert await balance(client, tenant) == 10

    again = await client.post(QUESTIONS, json=body, headers=tenant.headers)
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "question_exists"


async def test_bad_questions_are_refused_and_change_nothing(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, metadata={}))

    async def create(**fields: Any) -> Response:
        body = {
            "loyaltyRuleId": rule_id,
            "questionText": "Q?",
            "loyaltyQuestionAnswers": [
                {"text": "A", "isCorrect": True, "sortIdentifier": 1},
                {"text": "B", "isCorrect": False, "sortIdentifier": 2},
            ],
            **fields,
        }
        return await client.post(QUESTIONS, json=body, headers=tenant.headers)

    empty = await client.post(QUESTIONS, json={}, headers=tenant.headers)
    assert bad_fields(empty) == ["loyaltyQuestionAnswers", "loyaltyRuleId", "questionText"]
    two_right = [
        {"text": "A", "isCorrect": True, "sortIdentifier": 1},
        {"text": "B", "isCorrect": True, "sortIdentifier": 2},
    ]
    assert bad_fields(await create(loyaltyQuestionAnswers=two_right)) == ["loyaltyQuestionAnswers"]
    alone = [{"text": "A", "isCorrect": True, "sortIdentifier": 1}]
    assert bad_fields(await create(loyaltyQuestionAnswers=alone)) == ["loyaltyQuestionAnswers"]
    twice = [
        {"text": "A", "isCorrect": True, "sortIdentifier": 1},
        {"text": " a", "isCorrect": False, "sortIdentifier": 2},
    ]
    assert bad_fields(await create(loyaltyQuestionAnswers=twice, questionText=" ")) == [
        "loyaltyQuestionAnswers[1].text",
        "questionText",
    ]
    wrong_types = [
        {"text": "A", "isCorrect": True, "sortIdentifier": "1"},
        {"text": "B", "isCorrect": False, "sortIdentifier": -1, "colour": "red"},
    ]
    assert bad_fields(await create(loyaltyQuestionAnswers=wrong_types)) == [
        "loyaltyQuestionAnswers[0].sortIdentifier",
        "loyaltyQuestionAnswers[1].colour",
        "loyaltyQuestionAnswers[1].sortIdentifier",
    ]
    unknown_id = [
        {"text": "A", "isCorrect": True, "sortIdentifier": 1, "id": "not-a-choice"},
        {"text": "B", "isCorrect": False, "sortIdentifier": 2},
    ]
    assert bad_fields(await create(loyaltyQuestionAnswers=unknown_id)) == [
        "loyaltyQuestionAnswers[0].id"
    ]
    missing = await create(loyaltyRuleId="00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404, missing.text
    assert missing.json()["code"] == "rule_not_found"
    external = {**question_rule(currency), "type": "external_rule", "metadata": {}}
    not_a_question = await create(loyaltyRuleId=await rule(client, tenant, external))
    assert bad_fields(not_a_question) == ["loyaltyRuleId"]
    assert await questions(client, tenant, rule_id) == []
    stored = await client.get(RULES, params={"loyaltyRuleId": rule_id}, headers=tenant.headers)
    assert stored.json()["data"][0]["version"] == 1
    refused(await answer(client, tenant, rule_id, None), "question_not_configured")


async def test_updating_a_question_keeps_the_choices_it_names(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, "poll"))
    ids = await choice_ids(client, tenant, rule_id)
    (question,) = await questions(client, tenant, rule_id)
    assert (await answer(client, tenant, rule_id, ids["Bitcoin"])).status_code == 200
    body = {
        "questionText": "Which chain do you use?",
        "loyaltyQuestionAnswers": [
            {
                "id": ids["Ethereum"],
                "text": "Ethereum mainnet",
                "isCorrect": False,
                "sortIdentifier": 1,
            },
            {"text": "SOLANA", "isCorrect": False, "sortIdentifier": 2},
            {"text": "Base", "isCorrect": False, "sortIdentifier": 3},
        ],
    }
    url = f"{QUESTIONS}/{question['id']}"
    updated = await client.post(url, json=body, headers=tenant.headers)
    assert updated.status_code == 200, updated.text
    out = updated.json()
    assert out["id"] == question["id"]
    assert out["text"] == "Which chain do you use?"
    after = {c["text"]: c["id"] for c in out["loyaltyQuestionChoices"]}
    assert after["Ethereum mainnet"] == ids["Ethereum"]
    assert after["SOLANA"] == ids["Solana"]
    assert after["Base"] not in ids.values()
    assert out["allowMultipleAttempts"] is False
    # The removed choice is no longer one to answer; its response stays.
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"], 2), "question_choice_invalid")
    (kept,) = await responses(client, tenant)
    assert kept["loyaltyQuestionChoiceId"] == ids["Bitcoin"]
    stored = await client.get(RULES, params={"loyaltyRuleId": rule_id}, headers=tenant.headers)
    texts = [c["text"] for c in stored.json()["data"][0]["metadata"]["question"]["choices"]]
    assert texts == ["Ethereum mainnet", "SOLANA", "Base"]

    stranger = {
        **body,
        "loyaltyQuestionAnswers": [
            {
                "id": ids["Bitcoin"][:-4] + "ffff",
                "text": "X",
                "isCorrect": False,
                "sortIdentifier": 1,
            },
            {"text": "Y", "isCorrect": False, "sortIdentifier": 2},
        ],
    }
    assert bad_fields(await client.post(url, json=stranger, headers=tenant.headers)) == [
        "loyaltyQuestionAnswers[0].id"
    ]
    gone = await client.post(f"{QUESTIONS}/nope", json=body, headers=tenant.headers)
    assert gone.status_code == 404, gone.text
    assert gone.json()["code"] == "question_not_found"


async def test_the_rules_api_and_the_questions_api_are_one_question(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    changed = {
        "text": "Which chain came first?",
        "choices": [
            {"text": "Bitcoin", "isCorrect": True},
            {"text": "Ethereum", "isCorrect": False},
        ],
    }
    update = await client.post(
        f"{RULES}/{rule_id}", json={"metadata": {"question": changed}}, headers=tenant.headers
    )
    assert update.status_code == 200, update.text
    (question,) = await questions(client, tenant, rule_id)
    assert question["text"] == "Which chain came first?"
    listed = [(c["text"], c["id"], c["sortIdentifier"]) for c in question["loyaltyQuestionChoices"]]
    assert listed == [("Bitcoin", ids["Bitcoin"], 0), ("Ethereum", ids["Ethereum"], 1)]
    refused(await answer(client, tenant, rule_id, ids["Ethereum"]), "incorrect_answer")
    assert (await answer(client, tenant, rule_id, ids["Bitcoin"], 2)).status_code == 200

    # A rule whose question is taken away, or which is deleted, has none.
    bare = await client.post(f"{RULES}/{rule_id}", json={"metadata": {}}, headers=tenant.headers)
    assert bare.status_code == 200, bare.text
    assert await questions(client, tenant, rule_id) == []
    message = refused(await answer(client, tenant, rule_id, None, 3), "question_not_configured")
    assert message == "Quiz question not configured"
    back = await client.post(
        f"{RULES}/{rule_id}", json={"metadata": {"question": changed}}, headers=tenant.headers
    )
    assert back.status_code == 200, back.text
    (again,) = await questions(client, tenant, rule_id)
    assert again["id"] == question["id"]
    assert await choice_ids(client, tenant, rule_id) == {
        "Bitcoin": ids["Bitcoin"],
        "Ethereum": ids["Ethereum"],
    }
    deleted = await client.delete(f"{RULES}/{rule_id}", headers=tenant.headers)
    assert deleted.status_code == 200, deleted.text
    assert await questions(client, tenant, rule_id) == []
    body = {"questionText": "Q", "loyaltyQuestionAnswers": []}
    gone = await client.post(f"{QUESTIONS}/{question['id']}", json=body, headers=tenant.headers)
    assert gone.status_code == 404, gone.text

    # An unknown choice id in the rule's own document is named there.
    bad = {**changed, "choices": [{"text": "A", "isCorrect": True, "id": "nope"}, {"text": "B"}]}
    created = await client.post(
        RULES, json=question_rule(currency, metadata={"question": bad}), headers=tenant.headers
    )
    assert bad_fields(created) == ["metadata.question.choices[0].id"]


async def test_a_restored_rule_edit_brings_its_question_back(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, "poll"))
    ids = await choice_ids(client, tenant, rule_id)
    assert (await client.delete(f"{RULES}/{rule_id}", headers=tenant.headers)).status_code == 200
    edits = await client.get(
        "/api/loyalty/rule_edits", params={"loyaltyRuleId": rule_id}, headers=tenant.headers
    )
    created = next(e for e in edits.json()["data"] if e["action"] == "create")
    restored = await client.post(
        f"/api/loyalty/rule_edits/{created['id']}/restore", headers=tenant.headers
    )
    assert restored.status_code == 200, restored.text
    assert await choice_ids(client, tenant, rule_id) == ids


# --- answering through completions ---------------------------------------------------------


async def test_the_correct_quiz_answer_pays_once(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    paid = await answer(client, tenant, rule_id, ids["Ethereum"])
    assert paid.status_code == 200, paid.text
    assert paid.json()["paid"] == [{"part": "rule", "amount": 10}]
    refused(await answer(client, tenant, rule_id, ids["Ethereum"]), "rule_already_completed")
    assert await balance(client, tenant) == 10
    (kept,) = await responses(client, tenant)
    assert kept["isCorrect"] is True
    assert kept["loyaltyQuestionChoiceId"] == ids["Ethereum"]
    assert kept["userId"] == paid.json()["userId"]
    listed = {c["text"]: c["isCorrect"] for c in kept["question"]["loyaltyQuestionChoices"]}
    assert listed == {"Ethereum": True, "Solana": False, "Bitcoin": False}


async def test_a_wrong_quiz_answer_is_refused_and_kept(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    checked = await answer(client, tenant, rule_id, ids["Solana"], verifyOnly=True)
    assert refused(checked, "incorrect_answer") == "Incorrect answer"
    assert await responses(client, tenant) == []
    wrong = await answer(client, tenant, rule_id, ids["Solana"])
    assert refused(wrong, "incorrect_answer") == "Incorrect answer"
    (kept,) = await responses(client, tenant)
    assert kept["isCorrect"] is False
    message = refused(
        await answer(client, tenant, rule_id, ids["Ethereum"]), "question_already_answered"
    )
    assert message == "You have already answered this question"
    refused(await answer(client, tenant, rule_id, ids["Solana"]), "incorrect_answer")
    assert len(await responses(client, tenant)) == 1
    assert await balance(client, tenant) == 0
    statuses = (await client.get(STATUS, headers=tenant.headers)).json()["data"]
    assert [s["status"] for s in statuses] == ["failed"] * 3
    # Another user answers for themselves.
    assert (await answer(client, tenant, rule_id, ids["Ethereum"], 2)).status_code == 200


async def test_multiple_attempts_allow_another_try(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    metadata = {"question": {**QUESTION, "allowMultipleAttempts": True}}
    rule_id = await rule(client, tenant, question_rule(currency, metadata=metadata))
    ids = await choice_ids(client, tenant, rule_id)
    refused(await answer(client, tenant, rule_id, ids["Solana"]), "incorrect_answer")
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"]), "incorrect_answer")
    assert (await answer(client, tenant, rule_id, ids["Ethereum"])).status_code == 200
    # Once right, the question is settled: no more attempts, nothing paid again.
    refused(await answer(client, tenant, rule_id, ids["Solana"]), "question_already_answered")
    refused(await answer(client, tenant, rule_id, ids["Ethereum"]), "rule_already_completed")
    given = [
        (r["loyaltyQuestionChoiceId"], r["isCorrect"]) for r in await responses(client, tenant)
    ]
    assert given == [(ids["Solana"], False), (ids["Bitcoin"], False), (ids["Ethereum"], True)]
    assert await balance(client, tenant) == 10


async def test_attempts_are_counted_per_period(
    client: AsyncClient, tenant: Tenant, currency: str, clock: Clock
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, interval="daily"))
    ids = await choice_ids(client, tenant, rule_id)
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"]), "incorrect_answer")
    message = refused(
        await answer(client, tenant, rule_id, ids["Ethereum"]), "question_already_answered"
    )
    assert message == "You have already answered this question today"
    clock.advance(timedelta(days=1))
    assert (await answer(client, tenant, rule_id, ids["Ethereum"])).status_code == 200
    assert await balance(client, tenant) == 10


async def test_choices_that_are_not_the_rules_are_refused(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    other = await rule(client, tenant, question_rule(currency, "poll"))
    theirs = await choice_ids(client, tenant, other)
    message = refused(
        await answer(client, tenant, rule_id, theirs["Ethereum"]), "question_choice_invalid"
    )
    assert message == "This choice is not one of this question's choices"
    refused(await answer(client, tenant, rule_id, "no-such-choice"), "question_choice_invalid")
    message = refused(await answer(client, tenant, rule_id, None), "question_response_missing")
    assert message == "No question response found"
    assert await responses(client, tenant) == []
    assert await balance(client, tenant) == 0


async def test_poll_answers_all_pay_and_are_counted_per_choice(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, "poll"))
    ids = await choice_ids(client, tenant, rule_id)
    for n, text in enumerate(["Solana", "Bitcoin", "Solana", "Ethereum", "Solana"], start=1):
        response = await answer(client, tenant, rule_id, ids[text], n)
        assert response.status_code == 200, response.text
        assert await balance(client, tenant, n) == 10
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"], 1), "question_already_answered")
    (question,) = await questions(client, tenant, rule_id)
    counts = {c["text"]: c["responseCount"] for c in question["loyaltyQuestionChoices"]}
    assert counts == {"Ethereum": 1, "Solana": 3, "Bitcoin": 1}
    assert all(r["isCorrect"] for r in await responses(client, tenant))
    no_question = await rule(client, tenant, question_rule(currency, "poll", metadata={}))
    message = refused(await answer(client, tenant, no_question, None), "question_not_configured")
    assert message == "Poll question not configured"


# --- questions_responses ---------------------------------------------------------------------


async def test_a_submitted_answer_is_what_the_completion_pays_for(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    first = await submit(client, tenant, ids["Ethereum"], user_id)
    assert first.status_code == 200, first.text
    out = first.json()
    assert out["alreadySubmitted"] is False
    assert out["isCorrect"] is True
    assert out["response"]["loyaltyQuestionChoiceId"] == ids["Ethereum"]
    assert out["response"]["userId"] == user_id
    assert await balance(client, tenant) == 0
    again = await submit(client, tenant, ids["Solana"], user_id)
    assert again.json()["alreadySubmitted"] is True
    assert again.json()["response"] == out["response"]
    (question,) = await questions(client, tenant, rule_id, userId=user_id)
    assert question["userResponse"]["id"] == out["response"]["id"]
    # The completion stands on the recorded answer, named again or not.
    assert (await answer(client, tenant, rule_id, None)).status_code == 200
    refused(await answer(client, tenant, rule_id, ids["Ethereum"]), "rule_already_completed")
    assert len(await responses(client, tenant)) == 1
    assert await balance(client, tenant) == 10


async def test_a_submitted_wrong_answer_refuses_the_completion(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    wrong = await submit(client, tenant, ids["Bitcoin"], user_id)
    assert wrong.json()["isCorrect"] is False
    refused(await answer(client, tenant, rule_id, None), "incorrect_answer")
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"]), "incorrect_answer")
    refused(await answer(client, tenant, rule_id, ids["Ethereum"]), "question_already_answered")
    assert len(await responses(client, tenant)) == 1


async def test_a_poll_with_multiple_attempts_takes_every_vote(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    metadata = {"question": {**QUESTION, "allowMultipleAttempts": True}}
    rule_id = await rule(client, tenant, question_rule(currency, "poll", metadata=metadata))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    for text in ("Solana", "Bitcoin", "Solana"):
        vote = await submit(client, tenant, ids[text], user_id)
        assert vote.json()["alreadySubmitted"] is False
    assert (await answer(client, tenant, rule_id, ids["Solana"])).status_code == 200
    refused(await answer(client, tenant, rule_id, ids["Bitcoin"]), "rule_already_completed")
    (question,) = await questions(client, tenant, rule_id)
    counts = {c["text"]: c["responseCount"] for c in question["loyaltyQuestionChoices"]}
    assert counts == {"Ethereum": 0, "Solana": 2, "Bitcoin": 1}
    assert await balance(client, tenant) == 10


async def test_bad_submissions_are_refused(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    no_user = await client.post(
        RESPONSES, json={"loyaltyQuestionChoiceId": ids["Ethereum"]}, headers=tenant.headers
    )
    assert bad_fields(no_user) == ["userId"]
    assert bad_fields(await client.post(RESPONSES, json={}, headers=tenant.headers)) == [
        "loyaltyQuestionChoiceId",
        "userId",
    ]
    unknown = await submit(client, tenant, "no-such-choice", user_id)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["code"] == "question_choice_not_found"
    nobody = await submit(client, tenant, ids["Ethereum"], "no-such-user")
    assert bad_fields(nobody) == ["userId"]
    foreign = await client.post(
        RESPONSES,
        json={
            "loyaltyQuestionChoiceId": ids["Ethereum"],
            "userId": user_id,
            "organizationId": "another-org",
        },
        headers=tenant.headers,
    )
    assert foreign.status_code == 403, foreign.text
    blocked = {"websiteId": tenant.website_id, "userId": user_id, "isBlocked": True}
    assert (
        await client.post("/api/users/metadatas", json=blocked, headers=tenant.headers)
    ).status_code == 200
    refused(await submit(client, tenant, ids["Ethereum"], user_id), "user_blocked")
    ended = await rule(
        client, tenant, question_rule(currency, endTime="2020-01-01T00:00:00Z", startTime=None)
    )
    late = await choice_ids(client, tenant, ended)
    refused(
        await submit(client, tenant, late["Ethereum"], await user(client, tenant, 2)), "rule_ended"
    )
    assert await responses(client, tenant) == []


async def test_listing_questions_and_responses(
    client: AsyncClient, tenant: Tenant, currency: str
) -> None:
    quiz = await rule(client, tenant, question_rule(currency))
    poll = await rule(client, tenant, question_rule(currency, "poll"))
    quiz_ids, poll_ids = (
        await choice_ids(client, tenant, quiz),
        await choice_ids(client, tenant, poll),
    )
    first, second = await user(client, tenant, 1), await user(client, tenant, 2)
    await submit(client, tenant, quiz_ids["Solana"], first)
    await submit(client, tenant, poll_ids["Solana"], first)
    await submit(client, tenant, poll_ids["Bitcoin"], second)
    quiz_question, poll_question = await questions(client, tenant, quiz, poll)
    assert quiz_question["loyaltyRuleId"] == quiz

    mine = await responses(client, tenant, userId=first)
    assert [r["loyaltyQuestionId"] for r in mine] == [quiz_question["id"], poll_question["id"]]
    polled = await responses(client, tenant, questionsId=poll_question["id"])
    assert [r["userId"] for r in polled] == [first, second]
    page = await client.get(RESPONSES, params={"limit": 2}, headers=tenant.headers)
    assert page.json()["hasNextPage"] is True
    rest = await responses(client, tenant, startingAfter=page.json()["data"][-1]["id"])
    assert [r["userId"] for r in rest] == [second]

    one = await client.get(
        QUESTIONS, params={"loyaltyRuleIds": [quiz, poll], "limit": 1}, headers=tenant.headers
    )
    assert one.json()["hasNextPage"] is True
    after = await questions(client, tenant, quiz, poll, startingAfter=one.json()["data"][0]["id"])
    assert [q["id"] for q in after] == [poll_question["id"]]
    missing = await client.get(QUESTIONS, headers=tenant.headers)
    assert bad_fields(missing) == ["loyaltyRuleIds"]
    nobody = await client.get(
        QUESTIONS, params={"loyaltyRuleIds": quiz, "userId": "nobody"}, headers=tenant.headers
    )
    assert nobody.status_code == 404, nobody.text


async def test_questions_belong_to_their_website(
    client: AsyncClient, tenant: Tenant, currency: str, database: Any
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    (question,) = await questions(client, tenant, rule_id)
    await submit(client, tenant, ids["Ethereum"], await user(client, tenant))
    other = await create_tenant(database)
    stranger = await user(client, other)
    assert await questions(client, other, rule_id) == []
    assert await responses(client, other) == []
    taken = await submit(client, other, ids["Ethereum"], stranger)
    assert taken.status_code == 404, taken.text
    body = {"questionText": "Mine now", "loyaltyQuestionAnswers": []}
    change = await client.post(f"{QUESTIONS}/{question['id']}", json=body, headers=other.headers)
    assert change.status_code == 404, change.text
    create = {
        "loyaltyRuleId": rule_id,
        "questionText": "Q",
        "loyaltyQuestionAnswers": [
            {"text": "A", "isCorrect": True, "sortIdentifier": 1},
            {"text": "B", "isCorrect": False, "sortIdentifier": 2},
        ],
    }
    assert (await client.post(QUESTIONS, json=create, headers=other.headers)).status_code == 404
    their_rule = await rule(client, other, question_rule(await create_currency(client, other)))
    refused(await answer(client, other, their_rule, ids["Ethereum"]), "question_choice_invalid")


# --- under real parallel requests (PostgreSQL) ------------------------------------------------

on_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL: SQLite runs one writer at a time"
)


@on_postgres
async def test_parallel_answers_of_one_user_are_one_attempt(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    bodies = [
        {"userId": user_id, "loyaltyQuestionChoiceId": ids[text]}
        for text in ["Ethereum", "Solana", "Bitcoin"] * 10
    ]
    outcomes = await burst(urls, tenant, f"{RULES}/{rule_id}/complete", bodies)
    (kept,) = await responses(client, tenant)
    first = kept["loyaltyQuestionChoiceId"]
    again = "rule_already_completed" if kept["isCorrect"] else "incorrect_answer"
    expected = Counter({(422, "question_already_answered"): 20, (422, again): 9})
    expected[(200, "completed") if kept["isCorrect"] else (422, "incorrect_answer")] += 1
    assert outcomes == expected, first
    assert await balance(client, tenant) == (10 if kept["isCorrect"] else 0)


@on_postgres
async def test_parallel_submissions_record_one_response(
    client: AsyncClient, tenant: Tenant, currency: str, urls: list[str]
) -> None:
    rule_id = await rule(client, tenant, question_rule(currency, "poll"))
    ids = await choice_ids(client, tenant, rule_id)
    user_id = await user(client, tenant)
    bodies = [{"userId": user_id, "loyaltyQuestionChoiceId": ids["Solana"]}] * 20
    async with AsyncClient(base_url=urls[0]) as one, AsyncClient(base_url=urls[-1]) as two:
        answers = await asyncio.gather(
            *(
                (one, two)[n % 2].post(RESPONSES, json=body, headers=tenant.headers)
                for n, body in enumerate(bodies)
            )
        )
    assert Counter(a.json()["alreadySubmitted"] for a in answers) == Counter({False: 1, True: 19})
    assert len(await responses(client, tenant)) == 1


# --- pure logic -------------------------------------------------------------------------------


def test_choices_are_matched_by_id_then_by_text() -> None:
    stored = [Stored("a", "Yes", False), Stored("b", "yes", True), Stored("c", "No", True)]
    listed = [Listed(None, " YES "), Listed("c", "Nope"), Listed(None, "Maybe"), Listed("x", "X")]
    matched, errors = match_choices(listed, stored)
    assert matched == ["b", "c", None, None]
    assert [e.field for e in errors] == ["metadata.question.choices[3].id"]


QUIZ = Facts({"right": True, "wrong": False}, quiz=True, multiple=False, interval="once")


def test_the_first_response_settles_a_question_without_multiple_attempts() -> None:
    wrong = Given("1", "wrong", False)
    assert settling(QUIZ, [wrong]) == wrong
    assert resolve(QUIZ, [wrong], "wrong").recorded == wrong  # type: ignore[union-attr]
    refusal = resolve(QUIZ, [wrong], "right")
    assert getattr(refusal, "code", None) == "question_already_answered"
    retry = Facts(QUIZ.choices, quiz=True, multiple=True, interval="once")
    assert settling(retry, [wrong]) is None
    assert resolve(retry, [wrong], "right").is_correct is True  # type: ignore[union-attr]
    poll = Facts({"a": True}, quiz=False, multiple=True, interval="once")
    assert settling(poll, [Given("1", "a", True)]) is None
