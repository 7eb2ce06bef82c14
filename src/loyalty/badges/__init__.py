"""Badges: awards a user holds (Monterosa's inventory items)."""
