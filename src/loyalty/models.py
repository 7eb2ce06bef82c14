"""Every table, imported in one place for Alembic and the test suite."""

import loyalty.actions.models
import loyalty.airdrops.models
import loyalty.codes.models
import loyalty.questions.models
import loyalty.referrals.models
import loyalty.streaks.models  # noqa: F401
from loyalty.badges.models import Badge, BadgeUser
from loyalty.db import Base
from loyalty.engine.models import Completion, CompletionRequest, Event, RuleProgress, RuleSweep
from loyalty.ledger.models import Account, Allocation, Currency, Entry, Transaction
from loyalty.multipliers.models import Multiplier
from loyalty.rules.models import Rule, RuleEdit, RuleGroup
from loyalty.tenancy.models import ApiKey, Organization, Website
from loyalty.users.models import User, UserMetadata
from loyalty.worker.models import Job, OutboxMessage

__all__ = [
    "Account",
    "Allocation",
    "ApiKey",
    "Badge",
    "BadgeUser",
    "Base",
    "Completion",
    "CompletionRequest",
    "Currency",
    "Entry",
    "Event",
    "Job",
    "Multiplier",
    "Organization",
    "OutboxMessage",
    "Rule",
    "RuleEdit",
    "RuleGroup",
    "RuleProgress",
    "RuleSweep",
    "Transaction",
    "User",
    "UserMetadata",
    "Website",
]
