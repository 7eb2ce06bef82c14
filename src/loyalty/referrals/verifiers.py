"""Verifiers and hooks of the referrals family."""
