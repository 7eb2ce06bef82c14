"""Every table, imported in one place for Alembic and the test suite."""

from loyalty.db import Base
from loyalty.ledger.models import Account, Allocation, Currency, Entry, Transaction
from loyalty.tenancy.models import ApiKey, Organization, Website
from loyalty.users.models import User, UserMetadata

__all__ = [
    "Account",
    "Allocation",
    "ApiKey",
    "Base",
    "Currency",
    "Entry",
    "Organization",
    "Transaction",
    "User",
    "UserMetadata",
    "Website",
]
