"""The earning pipeline: completions, claims, progress and events."""
