"""The simple user actions: text input, link click, profile completed, partner account."""
