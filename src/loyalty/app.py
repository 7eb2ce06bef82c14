"""The application factory."""

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

import loyalty.families  # noqa: F401  (verifiers, follow-ups, handlers)
from loyalty import __version__
from loyalty.api import errors, openapi
from loyalty.api.query import DropEmptyQueryValues
from loyalty.api.snag import ROUTERS as SNAG_ROUTERS
from loyalty.config import Settings, get_settings
from loyalty.db import Database
from loyalty.ledger import currencies
from loyalty.tenancy.service import KeyCache
from loyalty.worker.runner import run_forever

NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
GC_YOUNG_THRESHOLD = 20_000


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = database or Database.connect(settings.database_url, settings)
        app.state.database = db
        # Everything loaded so far (modules, routes, models) lives as long as the process:
        # keep it out of the collector's sight, so a full collection no longer walks it
        # and stalls every request in flight.
        gc.collect()
        gc.freeze()
        # Requests allocate many short-lived objects: collect the young generation less
        # often (the default, 700, runs a collection every few requests under load).
        gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)
        worker = None
        if settings.embedded_worker:
            worker = asyncio.create_task(run_forever(db, settings.worker_interval))
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
            for batcher in ("transfer_batcher", "completion_batcher"):
                if getattr(app.state, batcher, None) is not None:
                    await getattr(app.state, batcher).close()
            if database is None:
                await db.dispose()

    app = FastAPI(
        telemetry=None if settings.opentelemetry else NO_TELEMETRY,
        title="Loyalty engine",
        version=__version__,
        description="Self-hosted loyalty and gamification engine. Server calls authenticate "
        "with an API key in the `X-API-KEY` header.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    if database is not None:
        app.state.database = database
    app.state.key_cache = KeyCache(settings.api_key_cache_seconds)
    currencies.TERMS.ttl = settings.currency_cache_seconds
    app.state.currency_cache = currencies.TERMS
    errors.install(app)
    app.add_middleware(DropEmptyQueryValues)
    for router in SNAG_ROUTERS:
        app.include_router(router)
    openapi.install(app)

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
