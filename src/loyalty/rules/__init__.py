"""Loyalty rules: definitions, the rule-type registry, groups and edits."""
