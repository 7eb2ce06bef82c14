"""Currencies, accounts (balances) and the append-only ledger of entries."""
