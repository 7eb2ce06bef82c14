"""The load generator: concurrent keep-alive HTTP clients posting ledger transactions.

It shares the machine with the server, so it stays cheap: one aiohttp session per server
process, request bodies built with plain string formatting, and only a latency appended per
request.
"""

import asyncio
import itertools
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from bench import server
from bench.tally import Tally

PATH = "/api/loyalty/transactions"
REQUEST_TIMEOUT = 300.0
# Idle connections are dropped well before the server closes them, or a request may be
# written into a connection the server is closing.
KEEPALIVE = server.KEEP_ALIVE / 2


@dataclass(frozen=True)
class Request:
    body: bytes
    entries: int
    credited: int
    debited: int
    path: str = PATH


class Workload(Protocol):
    def next(self) -> Request: ...


def wallet(n: int) -> str:
    return "0x" + f"{n:040x}"


class Transactions:
    """Transactions of ``size`` entries of amount 1 on random wallets; each entry is a
    debit with probability ``debit_share`` (the wallets must hold enough to pay it)."""

    def __init__(
        self,
        currency_id: str,
        wallets: int,
        *,
        size: int = 1,
        amount: int = 1,
        debit_share: float = 0.0,
        tag: str = "bench",
        seed: int = 0,
    ) -> None:
        self.head = f'{{"description":"bench","loyaltyCurrencyId":"{currency_id}","entries":['
        self.wallets = [wallet(n) for n in range(wallets)]
        self.size = size
        self.amount = amount
        self.debit_share = debit_share
        self.tag = tag
        self.keys = itertools.count()
        self.random = random.Random(seed)

    def next(self) -> Request:
        directions = [self._direction() for _ in range(self.size)]
        entries = ",".join(self._entry(d, self.random.choice(self.wallets)) for d in directions)
        debits = directions.count("debit")
        return Request(
            body=f"{self.head}{entries}]}}".encode(),
            entries=self.size,
            credited=(self.size - debits) * self.amount,
            debited=debits * self.amount,
        )

    def _direction(self) -> str:
        return "debit" if self.random.random() < self.debit_share else "credit"

    def _entry(self, direction: str, address: str) -> str:
        key = f"{self.tag}-{next(self.keys)}"
        return (
            f'{{"amount":{self.amount},"direction":"{direction}",'
            f'"walletAddress":"{address}","idempotencyKey":"{key}"}}'
        )


class Completions:
    """Completions of a rule paying ``amount`` each time (interval unlimited) for random
    wallets: ``POST /api/loyalty/rules/{id}/complete``."""

    def __init__(self, rule_id: str, wallets: int, *, amount: int = 1, seed: int = 0) -> None:
        self.path = f"/api/loyalty/rules/{rule_id}/complete"
        self.bodies = [f'{{"walletAddress":"{wallet(n)}"}}'.encode() for n in range(wallets)]
        self.amount = amount
        self.random = random.Random(seed)

    def next(self) -> Request:
        return Request(self.random.choice(self.bodies), 1, self.amount, 0, self.path)


class Events:
    """Batches of ``size`` events, each triggering a rule that pays ``amount``:
    ``POST /api/loyalty/events``. Event ids are new in every batch."""

    def __init__(
        self, name: str, wallets: int, *, size: int, amount: int = 1, tag: str = "bench"
    ) -> None:
        self.name = name
        self.wallets = [wallet(n) for n in range(wallets)]
        self.size = size
        self.amount = amount
        self.tag = tag
        self.ids = itertools.count()
        self.random = random.Random(1)

    def next(self) -> Request:
        events = ",".join(
            f'{{"id":"{self.tag}-{next(self.ids)}","name":"{self.name}",'
            f'"walletAddress":"{self.random.choice(self.wallets)}",'
            f'"timestamp":"2026-01-01T00:00:00Z","data":{{}}}}'
            for _ in range(self.size)
        )
        body = f'{{"events":[{events}]}}'.encode()
        return Request(body, self.size, self.size * self.amount, 0, "/api/loyalty/events")


def funding(currency_id: str, wallets: int, amount: int, tag: str) -> list[Request]:
    """Credits of ``amount`` to every wallet, at most 1000 entries per transaction: creates
    the users and accounts before anything is measured, and gives debits a balance."""
    requests = []
    for start in range(0, wallets, 1000):
        entries = [
            {
                "amount": amount,
                "direction": "credit",
                "walletAddress": wallet(n),
                "idempotencyKey": f"{tag}-{n}",
            }
            for n in range(start, min(start + 1000, wallets))
        ]
        body = {"description": "funding", "loyaltyCurrencyId": currency_id, "entries": entries}
        requests.append(Request(json.dumps(body).encode(), len(entries), amount * len(entries), 0))
    return requests


def session(base_url: str, api_key: str, connections: int) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=base_url,
        headers={"X-API-KEY": api_key, "Content-Type": "application/json"},
        connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=KEEPALIVE),
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
    )


@asynccontextmanager
async def sessions(
    base_urls: list[str], api_key: str, clients: int
) -> AsyncIterator[list[aiohttp.ClientSession]]:
    """One session per server process, each with room for its share of the clients."""
    share = -(-clients // len(base_urls))
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(session(url, api_key, share)) for url in base_urls]


async def send(client: aiohttp.ClientSession, request: Request, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        async with client.post(request.path, data=request.body) as response:
            answer = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        tally.fail(f"{type(exc).__name__}: {exc}")
        return
    if status != 200:
        tally.fail(f"HTTP {status}: {answer[:300].decode(errors='replace')}")
        return
    tally.succeed(time.perf_counter() - started, request.entries, request.credited, request.debited)


async def _client(
    client: aiohttp.ClientSession, workload: Workload, deadline: float, tally: Tally
) -> None:
    while time.perf_counter() < deadline:
        await send(client, workload.next(), tally)


async def drive(
    sessions: list[aiohttp.ClientSession], workload: Workload, clients: int, seconds: float
) -> Tally:
    """``clients`` loops, spread evenly over the sessions (one per server), sending requests
    back to back for ``seconds``; the requests in flight at the deadline are waited for and
    counted, over the time they took."""
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_client(sessions[n % len(sessions)], workload, deadline, tally) for n in range(clients))
    )
    tally.seconds = time.perf_counter() - started
    return tally
