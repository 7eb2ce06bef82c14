"""The API through Snag's official SDK (``@snagsolutions/sdk``), exactly as it sends
requests: ``tests/sdk/smoke.mjs`` walks the loyalty endpoints with the SDK's own client
against one real API server process on the test database (SQLite or PostgreSQL).

Needs Node.js and npm: the SDK is installed from ``tests/sdk/package-lock.json`` with
``npm ci`` when ``tests/sdk/node_modules`` lacks it. A missing tool fails the test."""

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from loyalty.db import Database
from tests.servers import Servers, api_servers
from tests.support import ROOT, create_tenant

SDK_DIR = ROOT / "tests" / "sdk"
SDK_PACKAGE = SDK_DIR / "node_modules" / "@snagsolutions" / "sdk" / "package.json"
INSTALL_SECONDS = 300
SMOKE_SECONDS = 120


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: the SDK test needs Node.js 18+ and npm on PATH",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with the SDK installed from the lock file if missing."""
    executable = tool("node")
    if not SDK_PACKAGE.exists():
        command = [tool("npm"), "ci", "--no-audit", "--no-fund"]
        try:
            installed = subprocess.run(
                command,
                cwd=SDK_DIR,
                capture_output=True,
                text=True,
                timeout=INSTALL_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"npm ci in {SDK_DIR} took over {INSTALL_SECONDS} s", pytrace=False)
        if installed.returncode != 0 or not SDK_PACKAGE.exists():
            pytest.fail(
                f"npm ci in {SDK_DIR} failed (exit {installed.returncode}):\n"
                f"{installed.stdout}\n{installed.stderr}",
                pytrace=False,
            )
    return executable


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Servers]:
    """One API process on the session's database."""
    with api_servers(database_url, count=1) as servers:
        yield servers


async def test_every_endpoint_through_the_official_sdk(
    node: str, server: Servers, database: Database
) -> None:
    server.check_running()
    marks = server.marks()
    tenant = await create_tenant(database)
    environment = {
        **os.environ,
        "BASE_URL": server.urls[0],
        "API_KEY": tenant.api_key,
        "WEBSITE_ID": tenant.website_id,
        "ORGANIZATION_ID": tenant.organization_id,
    }
    process = await asyncio.create_subprocess_exec(
        node,
        str(SDK_DIR / "smoke.mjs"),
        cwd=SDK_DIR,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), SMOKE_SECONDS)
    except TimeoutError:
        process.kill()
        out, err = await process.communicate()
        pytest.fail(
            f"smoke.mjs ran over {SMOKE_SECONDS} s\nstdout:\n{out.decode()}\n"
            f"stderr:\n{err.decode()}\n{server.output(marks)}"
        )
    assert process.returncode == 0, (
        f"smoke.mjs exited {process.returncode}\nstdout:\n{out.decode()}\n"
        f"stderr:\n{err.decode()}\n{server.output(marks)}"
    )
    print(out.decode())
