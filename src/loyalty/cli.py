"""The ``loyalty`` command: serve the API, migrate, seed the demo, manage tenants, run the worker.

Every command that creates something prints its ids readably by default and as one JSON
object with ``--json``, for scripts. Sessions are opened and committed here, at the edge.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, NoReturn, TypeVar

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from loyalty import demo as demo_tenant
from loyalty import migrate
from loyalty.config import get_settings
from loyalty.db import Database, WriteSession
from loyalty.errors import LoyaltyError, NotFound, ValidationFailed
from loyalty.tenancy import service as tenancy_service
from loyalty.tenancy.models import Organization
from loyalty.worker import runner

T = TypeVar("T")
Record = Mapping[str, str | int | list[str] | None]

app = typer.Typer(help="Self-hosted loyalty and gamification engine.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
orgs_app = typer.Typer(help="Organizations.", no_args_is_help=True)
websites_app = typer.Typer(help="Websites (loyalty programs).", no_args_is_help=True)
keys_app = typer.Typer(help="Server API keys.", no_args_is_help=True)
rules_app = typer.Typer(help="Loyalty rules.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(orgs_app, name="orgs")
app.add_typer(websites_app, name="websites")
app.add_typer(keys_app, name="keys")
app.add_typer(rules_app, name="rules")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object, for scripts.")]
OrganizationId = Annotated[str, typer.Option("--organization-id", help="Organization id.")]


# ---- plumbing -------------------------------------------------------------------------


def fail(message: str) -> NoReturn:
    err.print(Text.assemble(("Error: ", "bold red"), message), soft_wrap=True)
    raise typer.Exit(1)


def describe(error: LoyaltyError) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{e.field}: {e.message}" for e in error.errors) or error.message
    return error.message


def with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` on a fresh event loop with the configured database; a domain error
    ends the command with its message instead of a traceback."""
    settings = get_settings()

    async def main() -> T:
        database = Database.connect(settings.database_url, settings)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except LoyaltyError as error:
        fail(describe(error))
    except DBAPIError as error:
        # Most often a database that was never migrated; say how to fix that.
        where = safe_url(settings.database_url)
        fail(f"{error.orig} (database {where}; has `loyalty db upgrade` run?)")


def write_transaction(work: Callable[[WriteSession], Awaitable[T]]) -> T:
    """Run ``work`` in one write transaction, committed when it returns."""

    async def in_transaction(database: Database) -> T:
        async with database.writing() as session:
            return await work(session)

    return with_database(in_transaction)


def show(title: str, record: Record, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(record))
        return
    out.print(Text(title, style="bold green"))
    width = max(len(label) for label in record)
    for label, value in record.items():
        shown = ", ".join(value) if isinstance(value, list) else str(value)
        # soft_wrap: an id or a key is never folded across lines, so it can be copied.
        out.print(Text.assemble(f"  {label:<{width}}  ", (shown, "cyan")), soft_wrap=True)


async def existing_organization(session: WriteSession, organization_id: str) -> Organization:
    organization = await session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(f"organization {organization_id} not found")
    return organization


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


# ---- serve, db, demo, worker ----------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: LOYALTY_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: LOYALTY_PORT.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes serving the API.")] = 1,
) -> None:
    """Serve the HTTP API (run `loyalty db upgrade` first)."""
    settings = get_settings()
    host = settings.host if host is None else host
    port = settings.port if port is None else port
    out.print(f"API docs at http://{host}:{port}/docs")
    # An import string and a factory, so each worker process builds its own app.
    uvicorn.run(
        "loyalty.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database at LOYALTY_DATABASE_URL to the latest schema."""
    url = get_settings().database_url
    migrate.upgrade(url)
    out.print(f"Database {safe_url(url)} is up to date.")


@app.command()
def demo(as_json: JsonFlag = False) -> None:
    """Seed the demo tenant (kept if it exists) and print its ids and a fresh API key."""
    seeded = write_transaction(demo_tenant.seed)
    record = {
        "organizationId": seeded.organization_id,
        "websiteId": seeded.website_id,
        "currencyId": seeded.currency_id,
        "apiKey": seeded.api_key,
    }
    show("Demo tenant ready (the key is shown once; run again for a new one)", record, as_json)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
    interval: Annotated[
        float | None,
        typer.Option(min=0.1, help="Seconds between passes. Default: LOYALTY_WORKER_INTERVAL."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve due pending entries and expire due lots, once or in a loop."""
    if once:
        done = with_database(runner.run_once)
        show("Worker pass done", done, as_json)
        return
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(message)s")
    every = interval or settings.worker_interval
    out.print(f"Worker running every {every:g}s; Ctrl-C stops it.")
    try:
        with_database(lambda database: runner.run_forever(database, every))
    except KeyboardInterrupt:
        out.print("Worker stopped.")


# ---- tenants --------------------------------------------------------------------------


@orgs_app.command("create")
def orgs_create(name: str, as_json: JsonFlag = False) -> None:
    """Create an organization."""

    async def create(session: WriteSession) -> Organization:
        return await tenancy_service.create_organization(session, name)

    organization = write_transaction(create)
    show("Organization created", {"id": organization.id, "name": organization.name}, as_json)


@websites_app.command("create")
def websites_create(
    name: str,
    organization_id: OrganizationId,
    time_zone: Annotated[
        str, typer.Option(help="IANA time zone of the program's calendar periods.")
    ] = "UTC",
    as_json: JsonFlag = False,
) -> None:
    """Create a website (a loyalty program) in an organization."""
    for problem in tenancy_service.check_time_zone(time_zone, field="--time-zone"):
        fail(f"{problem.field}: {problem.message}")

    async def create(session: WriteSession) -> dict[str, str]:
        await existing_organization(session, organization_id)
        website = await tenancy_service.create_website(
            session, organization_id, name, time_zone=time_zone
        )
        return {
            "id": website.id,
            "organizationId": website.organization_id,
            "name": website.name,
            "timeZone": website.time_zone,
        }

    show("Website created", write_transaction(create), as_json)


@keys_app.command("create")
def keys_create(
    organization_id: OrganizationId,
    website_ids: Annotated[
        list[str] | None,
        typer.Option("--website-id", help="Limit the key to this website (repeatable)."),
    ] = None,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Create a server API key; its plaintext is printed once and never stored."""

    async def create(session: WriteSession) -> Record:
        await existing_organization(session, organization_id)
        key, plaintext = await tenancy_service.create_api_key(
            session, organization_id, name, website_ids or None
        )
        return {
            "id": key.id,
            "organizationId": key.organization_id,
            "name": key.name,
            "websiteIds": key.website_ids,
            "apiKey": plaintext,
        }

    record = write_transaction(create)
    # No website ids means every website of the organization: JSON keeps null, as the
    # API does; people get it in words.
    readable = {**record, "websiteIds": record["websiteIds"] or "all of the organization"}
    show("API key created (shown once: store it now)", record if as_json else readable, as_json)


@rules_app.command("types")
def rules_types(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print docs/rule-types.md instead of a table.")
    ] = False,
) -> None:
    """The rule types and what each supports (reward, claim, lifetime, ranges, intervals)."""
    from loyalty.rules import catalogue

    if markdown:
        typer.echo(catalogue.markdown(), nl=False)
        return
    table = Table(*catalogue.COLUMNS)
    for row in catalogue.rows():
        table.add_row(*row)
    out.print(table)
