"""Settings, read from the environment with the prefix ``LOYALTY_``."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./loyalty.db"
    # Pool size per process; PostgreSQL only (SQLite uses one connection per thread).
    database_pool_size: int = 20
    # Seconds an SQLite writer waits for the database lock before failing.
    sqlite_busy_timeout: float = 30.0
    host: str = "127.0.0.1"
    port: int = 8000
    # Run the worker loop (approvals, expiry) inside the API process.
    embedded_worker: bool = True
    worker_interval: float = 5.0
    # Seconds an API key lookup is cached in each process; revocation takes effect within this.
    api_key_cache_seconds: float = 10.0
    # Seconds a currency is cached in each process; a change of its bounds takes this long.
    currency_cache_seconds: float = 10.0
    # Group commit of ledger writes: concurrent transactions per process, requests per batch.
    ledger_batch_runners: int = Field(2, ge=1)
    ledger_batch_size: int = Field(64, ge=1)
    log_level: str = "info"
    # FastAPI's native OpenTelemetry (traces, metrics and logs to the providers configured
    # for the process). Off, no request pays to look for a provider.
    opentelemetry: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
