"""Promo codes of code_entry rules: a shared code, codes imported from a CSV, generated codes."""
