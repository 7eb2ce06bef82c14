"""Real API server processes, for tests that need true parallelism: several processes,
each with its own connection pool, against one database; and bursts of requests to them.
The ``cluster`` and ``urls`` fixtures (conftest.py) run two of them for a module."""

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import IO, Any

import httpx

from tests.support import ROOT, Tenant

STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0
# A port found free can be taken by another program before the server binds it.
START_ATTEMPTS = 3
# Connections per process (the pool, plus as many again in overflow). Two servers, the
# test process and other suites on the same PostgreSQL stay within its default
# max_connections (100), and requests still contend on row locks, not on the pool.
POOL_SIZE = 10
# Generous: a request that waits this long is a hang worth a failure, not a slow machine.
TIMEOUT = httpx.Timeout(60.0)
# Every request of a burst gets its own connection, so all of them are in flight at once.
LIMITS = httpx.Limits(max_connections=500, max_keepalive_connections=500)


@dataclass
class Server:
    url: str
    process: "subprocess.Popen[bytes]"
    log: IO[bytes]

    def output(self, start: int = 0) -> str:
        """What the process wrote (stdout and stderr) from byte ``start`` on."""
        self.log.seek(start)
        return self.log.read().decode(errors="replace")

    def log_size(self) -> int:
        return self.log.seek(0, os.SEEK_END)


@dataclass
class Servers:
    """Running API processes: their base URLs and what they wrote."""

    servers: list[Server]

    @property
    def urls(self) -> list[str]:
        return [server.url for server in self.servers]

    def marks(self) -> list[int]:
        """Where each log ends now; pass to ``output`` to see only what follows."""
        return [server.log_size() for server in self.servers]

    def output(self, marks: list[int] | None = None) -> str:
        starts = marks or [0] * len(self.servers)
        return "\n".join(
            f"----- API server {n} ({server.url}) -----\n{server.output(start)}"
            for n, (server, start) in enumerate(zip(self.servers, starts, strict=True), 1)
        )

    def check_running(self) -> None:
        exited = [server.url for server in self.servers if server.process.poll() is not None]
        if exited:
            raise RuntimeError(f"API server(s) {exited} exited:\n{self.output()}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_environment(database_url: str, pool_size: int) -> dict[str, str]:
    return {
        **os.environ,
        "LOYALTY_DATABASE_URL": database_url,
        "LOYALTY_EMBEDDED_WORKER": "false",
        "LOYALTY_API_KEY_CACHE_SECONDS": "0",
        "LOYALTY_DATABASE_POOL_SIZE": str(pool_size),
        "PYTHONUNBUFFERED": "1",
    }


def spawn(environment: dict[str, str], log: IO[bytes]) -> Server:
    log.seek(0)
    log.truncate()
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "loyalty.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    return Server(f"http://127.0.0.1:{port}", process, log)


def healthy(server: Server) -> bool:
    try:
        return httpx.get(f"{server.url}/health", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def wait_until_healthy(server: Server, deadline: float) -> bool:
    """True once /health answers; False if the process exits first."""
    while server.process.poll() is None:
        if healthy(server):
            return True
        if time.monotonic() > deadline:
            raise TimeoutError(f"{server.url} did not answer /health:\n{server.output()}")
        time.sleep(0.05)
    return False


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


def start(stack: ExitStack, environment: dict[str, str], logs: Sequence[IO[bytes]]) -> list[Server]:
    """A server per log that answers /health, spawned side by side; each is stopped when
    ``stack`` closes. One that exits at once (its port was taken) is spawned again."""
    count = len(logs)
    ready: dict[int, Server] = {}
    for _ in range(START_ATTEMPTS):
        spawned = {i: spawn(environment, log) for i, log in enumerate(logs) if i not in ready}
        for server in spawned.values():
            stack.callback(stop, server)
        deadline = time.monotonic() + STARTUP_SECONDS
        ready |= {i: s for i, s in spawned.items() if wait_until_healthy(s, deadline)}
        if len(ready) == count:
            return [ready[i] for i in range(count)]
    failed = next(server for i, server in spawned.items() if i not in ready)
    raise RuntimeError(f"the API server did not start:\n{failed.output()}")


@contextmanager
def api_servers(
    database_url: str, count: int = 1, *, pool_size: int = POOL_SIZE
) -> Iterator[Servers]:
    """Start ``count`` API processes on the (already migrated) database and stop them when
    the block ends; what they wrote is printed if the block raises."""
    with ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile()) for _ in range(count)]
        servers = Servers(start(stack, server_environment(database_url, pool_size), logs))
        try:
            yield servers
        except BaseException:
            print(servers.output(), file=sys.stderr)
            raise


async def burst(
    urls: list[str], tenant: Tenant, path: str, bodies: list[dict[str, Any]]
) -> Counter[tuple[int, str]]:
    """Every body posted at once, alternating between the processes."""
    async with (
        httpx.AsyncClient(base_url=urls[0], timeout=TIMEOUT, limits=LIMITS) as one,
        httpx.AsyncClient(base_url=urls[-1], timeout=TIMEOUT, limits=LIMITS) as two,
    ):
        answers = await asyncio.gather(
            *(
                (one, two)[n % 2].post(path, json=body, headers=tenant.headers)
                for n, body in enumerate(bodies)
            )
        )
    return Counter((a.status_code, a.json().get("code") or a.json().get("status")) for a in answers)
