"""Verifiers and hooks of the questions family."""
