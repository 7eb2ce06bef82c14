"""Multipliers: factors on the points a user earns."""
