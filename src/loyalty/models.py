"""Every table, imported in one place for Alembic and the test suite."""

from loyalty.badges.models import Badge
from loyalty.db import Base
from loyalty.ledger.models import Account, Allocation, Currency, Entry, Transaction
from loyalty.rules.models import Rule, RuleEdit, RuleGroup
from loyalty.tenancy.models import ApiKey, Organization, Website
from loyalty.users.models import User, UserMetadata

__all__ = [
    "Account",
    "Allocation",
    "ApiKey",
    "Badge",
    "Base",
    "Currency",
    "Entry",
    "Organization",
    "Rule",
    "RuleEdit",
    "RuleGroup",
    "Transaction",
    "User",
    "UserMetadata",
    "Website",
]
