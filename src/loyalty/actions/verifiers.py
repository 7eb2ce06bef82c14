"""Verifiers and hooks of the actions family."""
