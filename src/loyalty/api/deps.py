"""Request dependencies: sessions committed at the edge, and the calling principal."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request

from loyalty.db import Database, ReadSession, WriteSession
from loyalty.engine.batching import CompletionBatcher
from loyalty.ledger.batching import TransferBatcher
from loyalty.tenancy import keys
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.principal import Principal


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def write_session(request: Request) -> AsyncIterator[WriteSession]:
    """One transaction per request: committed when the endpoint returns, before the
    response is sent, and rolled back if it raises."""
    async with get_database(request).writing() as session:
        yield session


async def read_session(request: Request) -> AsyncIterator[ReadSession]:
    async with get_database(request).reading() as session:
        yield session


WriteSessionDep = Annotated[WriteSession, Depends(write_session, scope="function")]
ReadSessionDep = Annotated[ReadSession, Depends(read_session, scope="function")]


async def principal(
    request: Request,
    x_api_key: Annotated[
        str | None, Header(alias="X-API-KEY", description="Server API key")
    ] = None,
) -> Principal:
    cache: tenancy_service.KeyCache = request.app.state.key_cache
    hit = cache.get(keys.digest(x_api_key)) if x_api_key else None
    if hit is not None:
        return hit
    async with get_database(request).reading() as session:
        return await tenancy_service.authenticate(session, x_api_key, cache)


PrincipalDep = Annotated[Principal, Depends(principal)]


async def transfer_batcher(request: Request) -> TransferBatcher:
    """The process's ledger batcher, made on first use (it needs the running loop)."""
    state = request.app.state
    if getattr(state, "transfer_batcher", None) is None:
        settings = state.settings
        state.transfer_batcher = TransferBatcher(
            get_database(request),
            state.currency_cache,
            max_batch=settings.ledger_batch_size,
            runners=settings.ledger_batch_runners,
        )
    batcher: TransferBatcher = state.transfer_batcher
    return batcher


TransferBatcherDep = Annotated[TransferBatcher, Depends(transfer_batcher)]


async def completion_batcher(request: Request) -> CompletionBatcher:
    """The process's completion batcher, made on first use (it needs the running loop)."""
    state = request.app.state
    if getattr(state, "completion_batcher", None) is None:
        settings = state.settings
        state.completion_batcher = CompletionBatcher(
            get_database(request),
            max_batch=settings.ledger_batch_size,
            runners=settings.ledger_batch_runners,
        )
    batcher: CompletionBatcher = state.completion_batcher
    return batcher


CompletionBatcherDep = Annotated[CompletionBatcher, Depends(completion_batcher)]
