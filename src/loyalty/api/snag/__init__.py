"""The native API, Snag-compatible: ``/api/...`` paths, camelCase JSON, ``X-API-KEY``."""

from fastapi import APIRouter

from loyalty.api.snag import (
    account_streaks,
    accounts,
    airdrops,
    badges,
    completions,
    currencies,
    events,
    multipliers,
    promo_codes,
    questions,
    referrals,
    rule_chains,
    rule_edits,
    rule_groups,
    rule_statuses,
    rules,
    texts,
    transactions,
    users,
    websites,
)

# The hottest write routes first (ledger, completions, events): routes are matched in order.
ROUTERS: tuple[APIRouter, ...] = tuple(
    module.router
    for module in (
        transactions,
        completions,
        events,
        accounts,
        currencies,
        users,
        websites,
        rules,
        rule_edits,
        rule_groups,
        rule_statuses,
        badges,
        multipliers,
        rule_chains,
        account_streaks,
        promo_codes,
        questions,
        referrals,
        airdrops,
        texts,
    )
)
