"""The native API, Snag-compatible: ``/api/...`` paths, camelCase JSON, ``X-API-KEY``."""

from fastapi import APIRouter

from loyalty.api.snag import accounts, currencies, transactions, users, websites

router = APIRouter()
for module in (websites, users, currencies, transactions, accounts):
    router.include_router(module.router)
