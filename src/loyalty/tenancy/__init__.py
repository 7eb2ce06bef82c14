"""Organizations, websites (programs) and server API keys."""
