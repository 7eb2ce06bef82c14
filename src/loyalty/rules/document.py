"""A validated draft as the stored rule document, and back.

The document is the rule as the API shows it (camelCase, Snag's field names), without the
tenancy ids and without its secrets, which are kept apart: ``customRewardsApiKey`` and
``oauthCredentialsId`` are stored and never returned; ``shopifyStoreAccessToken`` is never
stored at all.

A rule's chain (``loyaltyRuleChain``) is stored in Snag's shape: every entry, condition and
association gets an id (kept across edits when it is already the rule's) and every entry
the rule's id.
"""

from collections.abc import Mapping, Set
from typing import Any

from loyalty.kit.ids import new_id
from loyalty.rules.definition import (
    ChainAssociation,
    ChainCondition,
    ChainEntry,
    Draft,
    dump,
    jsonable,
)
from loyalty.rules.registry import RuleType

TENANCY = ("organizationId", "websiteId")
NEVER_STORED = ("shopifyStoreAccessToken",)
TOP_SECRETS = ("oauthCredentialsId",)
METADATA_SECRETS = ("customRewardsApiKey",)
# Accepted at the top level as well as in metadata; kept in metadata, shown in both.
PROGRESS = ("trackProgress", "progressType")
# The interval a rule gets when none is given: the first its type allows.
INTERVAL_PREFERENCE = ("once", "daily", "weekly", "monthly", "unlimited", "custom")


def document(
    draft: Draft, kind: RuleType, rule_id: str, known_ids: Set[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored document and the secrets of a draft without errors. ``known_ids`` are the
    chain ids the rule has already: an id given in the chain is kept only if it is one."""
    f = draft.fields
    doc = dump(
        f,
        exclude={*TENANCY, *NEVER_STORED, *TOP_SECRETS, *PROGRESS, "metadata", "loyaltyRuleChain"},
    )
    if f.loyaltyRuleChain is not None:
        ids = _Ids(known_ids)
        doc["loyaltyRuleChain"] = [_entry(e, rule_id, ids) for e in f.loyaltyRuleChain]
    metadata = dump(draft.metadata, exclude=set(METADATA_SECRETS))
    for name in PROGRESS:
        value = getattr(f, name) if getattr(f, name) is not None else metadata.get(name)
        if value is not None:
            metadata[name] = value
            doc[name] = value
    caps = kind.capabilities
    doc.setdefault("description", "")
    doc.setdefault("amount", None)
    doc.setdefault("endTime", None)
    doc.setdefault("effectiveStartTime", None)
    doc.setdefault("effectiveEndTime", None)
    doc.setdefault("hideInUi", False)
    doc.setdefault("isRequired", False)
    doc["rewardType"] = f.rewardType or "points"
    doc["claimType"] = f.claimType or caps.default_claim_type
    if doc["rewardType"] != "points":
        doc["rewardLifetime"] = f.rewardLifetime or "permanent"
    if f.interval is None:
        doc["interval"] = next(i for i in INTERVAL_PREFERENCE if i in caps.intervals)
    if doc.get("loyaltyRuleGroupId") == "no-section":
        doc["loyaltyRuleGroupId"] = None
    doc["metadata"] = metadata
    secrets = {name: getattr(f, name) for name in TOP_SECRETS if getattr(f, name) is not None}
    for name in METADATA_SECRETS:
        value = getattr(draft.metadata, name, None)
        if value is not None:
            secrets[name] = value
    return doc, secrets


class _Ids:
    """Ids for the chain's parts: the one given when the rule has it and it is not taken
    already, a new one otherwise."""

    def __init__(self, known: Set[str]) -> None:
        self.known = known
        self.used: set[str] = set()

    def __call__(self, given: str | None) -> str:
        kept = given is not None and given in self.known and given not in self.used
        found = given if kept and given is not None else new_id()
        self.used.add(found)
        return found


def _entry(entry: ChainEntry, rule_id: str, ids: _Ids) -> dict[str, Any]:
    return {
        "id": ids(entry.id),
        "name": entry.name or "",
        "loyaltyRuleId": rule_id,
        "loyaltyConditions": [_condition(c, ids) for c in entry.loyaltyConditions],
    }


def _condition(condition: ChainCondition, ids: _Ids) -> dict[str, Any]:
    return {
        "id": ids(condition.id),
        "type": condition.type,
        "amount": jsonable(condition.amount),
        "association": [_association(a, ids) for a in condition.association or ()],
        "requiredCount": condition.requiredCount,
        "repeatCount": None,
        "csvUrl": None,
        "description": condition.description,
    }


def _association(item: ChainAssociation, ids: _Ids) -> dict[str, Any]:
    return {
        "id": ids(item.id),
        "loyaltyRuleId": item.loyaltyRuleId,
        "loyaltyCurrencyId": item.loyaltyCurrencyId,
        "loyaltyBadgeId": item.loyaltyBadgeId,
        "loyaltyRuleGroupId": item.loyaltyRuleGroupId,
        "loyaltyRule": None,
    }


def chain_ids(doc: Mapping[str, Any]) -> set[str]:
    """The ids of every part of a stored chain."""
    found: set[str] = set()
    for entry in doc.get("loyaltyRuleChain") or ():
        found.add(entry["id"])
        for condition in entry["loyaltyConditions"]:
            found.add(condition["id"])
            found.update(item["id"] for item in condition["association"])
    return found


def with_secrets(doc: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
    """The document as a request body again, secrets included: the base of an update."""
    body = {k: v for k, v in doc.items() if k not in PROGRESS}
    body["metadata"] = dict(doc.get("metadata") or {})
    for name, value in secrets.items():
        if name in METADATA_SECRETS:
            body["metadata"][name] = value
        else:
            body[name] = value
    return body
