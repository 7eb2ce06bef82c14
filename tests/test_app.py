"""The application's settings that shape every request."""

from loyalty.app import create_app
from loyalty.config import Settings


def test_opentelemetry_is_off_unless_asked_for(settings: Settings) -> None:
    off = create_app(settings)
    assert off._native_telemetry.config["tracing"] is False
    assert off._native_telemetry.config["metrics"] is False
    assert off._native_telemetry.config["logs"] is False
    on = create_app(settings.model_copy(update={"opentelemetry": True}))
    assert on._native_telemetry.config["tracing"] is True
