"""The ``loyalty`` command, run in-process against a temporary SQLite file.

The commands run their own event loop (``asyncio.run``), so these tests are synchronous:
the suite's session-scoped loop is not running while they execute.
"""

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner, Result

from loyalty import cli
from loyalty.app import create_app
from loyalty.config import Settings, get_settings
from loyalty.db import Database
from loyalty.kit.clock import set_clock

runner = CliRunner()
KEY = re.compile(r"lk_[0-9a-f]+_[A-Za-z0-9_-]+")


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("LOYALTY_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def migrated(cli_database: str) -> str:
    invoke("db", "upgrade")
    return cli_database


def invoke(*args: str) -> Result:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 0, result.output
    return result


def invoke_json(*args: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(invoke(*args, "--json").stdout)
    return record


def refused(*args: str) -> Result:
    result = runner.invoke(cli.app, list(args))
    assert result.exit_code == 1, result.output
    return result


def api(url: str, api_key: str, method: str, path: str, body: Any = None) -> Response:
    """One request to the app on the database at ``url``, on its own event loop."""

    async def call() -> Response:
        settings = Settings(database_url=url, embedded_worker=False, api_key_cache_seconds=0)
        database = Database.connect(url, settings)
        transport = ASGITransport(app=create_app(settings, database=database))
        try:
            async with AsyncClient(transport=transport, base_url="http://test") as client:
                headers = {"X-API-KEY": api_key}
                return await client.request(method, path, json=body, headers=headers)
        finally:
            await database.dispose()

    return asyncio.run(call())


def websites_seen(url: str, api_key: str) -> list[dict[str, Any]]:
    """What ``GET /api/websites`` answers to this key, or fails on a non-200."""
    response = api(url, api_key, "GET", "/api/websites")
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def frozen_clock(at: datetime) -> None:
    set_clock(lambda: at)


def query(url: str, sql: str, **params: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


def test_help_lists_the_commands() -> None:
    output = invoke("--help").stdout
    for command in ("serve", "db", "demo", "orgs", "websites", "keys", "worker"):
        assert command in output


def test_db_upgrade_creates_the_tables_and_can_run_again(cli_database: str) -> None:
    invoke("db", "upgrade")
    invoke("db", "upgrade")
    engine = create_engine(cli_database)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"alembic_version", "organizations", "websites", "api_keys", "currencies"} <= tables


def test_demo_twice_keeps_the_ids_and_issues_a_fresh_working_key(migrated: str) -> None:
    first = invoke_json("demo")
    second = invoke_json("demo")
    for field in ("organizationId", "websiteId", "currencyId"):
        assert first[field] == second[field]
    assert first["apiKey"] != second["apiKey"]
    for key in (first["apiKey"], second["apiKey"]):
        [website] = websites_seen(migrated, key)
        assert (website["id"], website["name"], website["timeZone"]) == (
            first["websiteId"],
            "Demo store",
            "UTC",
        )
    currency = query(
        migrated,
        "SELECT name, symbol, decimals FROM currencies WHERE id = :id",
        id=first["currencyId"],
    )
    assert currency == [("Points", "PTS", 0)]
    assert query(migrated, "SELECT count(*) FROM organizations") == [(1,)]


def test_demo_readable_output_shows_ids_and_a_key_on_one_line(migrated: str) -> None:
    ids = invoke_json("demo")
    output = invoke("demo").stdout
    assert ids["organizationId"] in output and ids["currencyId"] in output
    [key] = KEY.findall(output)
    assert websites_seen(migrated, key)[0]["id"] == ids["websiteId"]


def test_orgs_websites_and_keys_create(migrated: str) -> None:
    organization = invoke_json("orgs", "create", "Acme")
    assert organization["name"] == "Acme"
    org_id = organization["id"]
    shop = invoke_json(
        "websites", "create", "Shop", "--organization-id", org_id, "--time-zone", "Europe/Paris"
    )
    assert (shop["organizationId"], shop["name"], shop["timeZone"]) == (
        org_id,
        "Shop",
        "Europe/Paris",
    )
    blog = invoke_json("websites", "create", "Blog", "--organization-id", org_id)
    assert blog["timeZone"] == "UTC"

    limited = invoke_json(
        "keys", "create", "--organization-id", org_id, "--website-id", shop["id"], "--name", "shop"
    )
    assert (limited["name"], limited["websiteIds"]) == ("shop", [shop["id"]])
    assert [w["id"] for w in websites_seen(migrated, limited["apiKey"])] == [shop["id"]]

    everything = invoke_json("keys", "create", "--organization-id", org_id)
    assert everything["websiteIds"] is None
    seen = {w["id"] for w in websites_seen(migrated, everything["apiKey"])}
    assert seen == {shop["id"], blog["id"]}


def test_keys_create_prints_the_key_readably(migrated: str) -> None:
    org_id = invoke_json("orgs", "create", "Acme")["id"]
    output = invoke("keys", "create", "--organization-id", org_id).stdout
    assert "all of the organization" in output
    assert len(KEY.findall(output)) == 1


def test_websites_create_refuses_an_unknown_time_zone(migrated: str) -> None:
    org_id = invoke_json("orgs", "create", "Acme")["id"]
    result = refused(
        "websites", "create", "Shop", "--organization-id", org_id, "--time-zone", "Mars/Olympus"
    )
    assert "--time-zone: unknown time zone 'Mars/Olympus'" in result.stderr
    assert query(migrated, "SELECT count(*) FROM websites") == [(0,)]


def test_websites_and_keys_refuse_an_unknown_organization(migrated: str) -> None:
    result = refused("websites", "create", "Shop", "--organization-id", "nope")
    assert "organization nope not found" in result.stderr
    result = refused("keys", "create", "--organization-id", "nope")
    assert "organization nope not found" in result.stderr


def test_keys_create_refuses_a_website_of_another_organization(migrated: str) -> None:
    ours = invoke_json("orgs", "create", "Ours")["id"]
    theirs = invoke_json("orgs", "create", "Theirs")["id"]
    their_site = invoke_json("websites", "create", "Theirs", "--organization-id", theirs)["id"]
    result = refused("keys", "create", "--organization-id", ours, "--website-id", their_site)
    assert f"Website {their_site} not found" in result.stderr
    assert query(migrated, "SELECT count(*) FROM api_keys") == [(0,)]


def test_worker_once_approves_what_is_due(migrated: str) -> None:
    demo = invoke_json("demo")
    start = datetime.now(UTC)
    wallet = "0x52908400098527886e0f7030069857d2e4169ee7"
    entry = {
        "amount": 10,
        "walletAddress": wallet,
        "idempotencyKey": "pending-1",
        "approvesAt": (start + timedelta(hours=1)).isoformat(),
    }
    body = {"loyaltyCurrencyId": demo["currencyId"], "entries": [entry]}
    try:
        frozen_clock(start)
        response = api(migrated, demo["apiKey"], "POST", "/api/loyalty/transactions", body)
        assert response.status_code in (200, 201), response.text
        idle = {"approved": 0, "expired": 0, "jobs": 0, "outbox": 0, "purged": 0, "swept": 0}
        assert invoke_json("worker", "--once") == idle
        frozen_clock(start + timedelta(hours=2))
        assert invoke_json("worker", "--once") == idle | {"approved": 1}
    finally:
        set_clock(None)
    accounts = api(migrated, demo["apiKey"], "GET", f"/api/loyalty/accounts?walletAddress={wallet}")
    [account] = accounts.json()["data"]
    assert (account["amount"], account["pendingAmount"]) == (10, 0)
    assert "approved" in invoke("worker", "--once").stdout


def test_serve_runs_the_app_factory_with_the_options(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append((a, kw)))
    output = invoke("serve", "--port", "8123", "--workers", "2").stdout
    [(args, kwargs)] = calls
    assert args == ("loyalty.app:create_app",)
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("127.0.0.1", 8123, 2)
    assert "http://127.0.0.1:8123/docs" in output


def test_commands_on_an_unmigrated_database_say_how_to_fix_it(cli_database: str) -> None:
    result = refused("orgs", "create", "Acme")
    assert "loyalty db upgrade" in result.stderr
