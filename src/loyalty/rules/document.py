"""A validated draft as the stored rule document, and back.

The document is the rule as the API shows it (camelCase, Snag's field names), without the
tenancy ids and without its secrets, which are kept apart: ``customRewardsApiKey`` and
``oauthCredentialsId`` are stored and never returned; ``shopifyStoreAccessToken`` is never
stored at all.
"""

from typing import Any

from loyalty.rules.definition import Draft, dump
from loyalty.rules.registry import RuleType

TENANCY = ("organizationId", "websiteId")
NEVER_STORED = ("shopifyStoreAccessToken",)
TOP_SECRETS = ("oauthCredentialsId",)
METADATA_SECRETS = ("customRewardsApiKey",)
# Accepted at the top level as well as in metadata; kept in metadata, shown in both.
PROGRESS = ("trackProgress", "progressType")
# The interval a rule gets when none is given: the first its type allows.
INTERVAL_PREFERENCE = ("once", "daily", "weekly", "monthly", "unlimited", "custom")


def document(draft: Draft, kind: RuleType) -> tuple[dict[str, Any], dict[str, Any]]:
    """The stored document and the secrets of a draft without errors."""
    f = draft.fields
    doc = dump(f, exclude={*TENANCY, *NEVER_STORED, *TOP_SECRETS, *PROGRESS, "metadata"})
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
