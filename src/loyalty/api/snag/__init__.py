"""The native API, Snag-compatible: ``/api/...`` paths, camelCase JSON, ``X-API-KEY``."""

from fastapi import APIRouter

from loyalty.api.snag import (
    accounts,
    badges,
    completions,
    currencies,
    events,
    multipliers,
    rule_edits,
    rule_groups,
    rule_statuses,
    rules,
    transactions,
    users,
    websites,
)

# The ledger's write route first: routes are matched in order, and it is the hottest.
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        transactions,
        accounts,
        currencies,
        users,
        websites,
        rules,
        rule_edits,
        rule_groups,
        completions,
        rule_statuses,
        events,
        badges,
        multipliers,
    )
)
