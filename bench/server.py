"""The API server under test: uvicorn processes, each with one worker on its own port.

Several processes are started rather than ``uvicorn --workers N``: those workers share one
listening socket, and asyncio accepts a whole burst of connections in whichever process
wakes first, so a load generator's keep-alive connections all end up in one worker (one at
98% CPU, the other idle, when measured). Separate ports let the clients be split evenly.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.procs import peak_rss_kib

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
# How long a server keeps an idle keep-alive connection (uvicorn's default, made explicit:
# the load generator drops its idle connections sooner).
KEEP_ALIVE = 5.0


@dataclass
class Process:
    popen: "subprocess.Popen[bytes]"
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Servers:
    processes: list[Process]

    @property
    def base_urls(self) -> list[str]:
        return [p.base_url for p in self.processes]

    def pids(self) -> list[int]:
        return [p.popen.pid for p in self.processes]

    def peak_rss_mib(self) -> float:
        """The sum of every server process's peak resident set."""
        return sum(peak_rss_kib(pid) for pid in self.pids()) / 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def command(port: int) -> list[str]:
    # No access log: one line per request would be measured along with the API.
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "loyalty.app:create_app",
        f"--host={HOST}",
        f"--port={port}",
        f"--timeout-keep-alive={KEEP_ALIVE:g}",
        "--no-access-log",
        "--log-level=warning",
    ]


def start_one(database_url: str, log: Path) -> Process:
    environment = {
        **os.environ,
        "LOYALTY_DATABASE_URL": database_url,
        "LOYALTY_EMBEDDED_WORKER": "false",
        "LOYALTY_LOG_LEVEL": "warning",
    }
    port = free_port()
    with log.open("wb") as output:
        popen = subprocess.Popen(
            command(port), cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    return Process(popen, port, log)


async def wait_ready(process: Process) -> None:
    """Until the process answers /health."""
    deadline = time.monotonic() + START_TIMEOUT
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                raise RuntimeError(f"the server exited:\n{process.log_tail()}")
            if await _healthy(client, process.base_url):
                return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not start in {START_TIMEOUT:g}s:\n{process.log_tail()}")


async def _healthy(client: aiohttp.ClientSession, base_url: str) -> bool:
    try:
        async with client.get(f"{base_url}/health") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def stop(process: Process) -> None:
    """SIGTERM to the uvicorn process, SIGKILL if it lingers."""
    if process.popen.poll() is not None:
        return
    process.popen.terminate()
    try:
        process.popen.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.popen.kill()
        process.popen.wait()


@asynccontextmanager
async def running(database_url: str, count: int, logs: Path) -> AsyncIterator[Servers]:
    """``count`` server processes, ready; stopped when the block ends."""
    servers = Servers([])
    try:
        for n in range(count):
            servers.processes.append(start_one(database_url, logs / f"server-{count}-{n}.log"))
        await asyncio.gather(*(wait_ready(p) for p in servers.processes))
        yield servers
    finally:
        for process in servers.processes:
            stop(process)
