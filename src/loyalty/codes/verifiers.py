"""Verifiers and hooks of the codes family."""
