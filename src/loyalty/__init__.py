"""Self-hosted loyalty and gamification engine."""

__version__ = "0.1.0"
