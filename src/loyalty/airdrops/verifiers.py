"""Verifiers and hooks of the airdrops family."""
