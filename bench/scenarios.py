"""The HTTP scenarios, run against one server configuration (a number of workers)."""

from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench import load
from bench.figures import Figure, figure
from bench.options import Options
from bench.procs import CpuSnapshot, CpuUse, cpu_use
from bench.seed import Tenant
from bench.server import Servers, running
from bench.tally import Tally

# What each wallet is credited before the runs, so that debits always find a balance.
FUNDING = 1000


@dataclass(frozen=True)
class Scenario:
    name: str
    workload: load.Workload
    clients: int


def scenarios(tenant: Tenant, options: Options, tag: str) -> list[Scenario]:
    def transactions(name: str, size: int = 1, debit_share: float = 0.0) -> load.Transactions:
        return load.Transactions(
            tenant.currency_id,
            options.wallets,
            size=size,
            debit_share=debit_share,
            tag=f"{tag}-{name}",
        )

    mixed = f"mixed {100 - round(100 * options.debit_share)}/{round(100 * options.debit_share)}"
    return (
        [
            Scenario("single credit", transactions("single"), options.clients),
            Scenario(
                mixed, transactions("mixed", debit_share=options.debit_share), options.clients
            ),
        ]
        + [
            Scenario(
                f"batch {size}", transactions(f"batch{size}", size=size), options.batch_clients
            )
            for size in options.batch_sizes
        ]
        + [
            Scenario("rule completion", load.Completions(tenant.rule_id, options.wallets), clients)
            for clients in options.completion_clients
        ]
        + [
            Scenario(
                "events 1000",
                load.Events(tenant.event_name, options.wallets, size=1000, tag=f"{tag}-events"),
                options.batch_clients,
            ),
        ]
    )


async def measured(servers: Servers, run: Awaitable[Tally]) -> tuple[Tally, CpuUse]:
    """``run`` (not started yet) and the CPU the server, this process and the machine
    used meanwhile."""
    pids = servers.pids()
    before = CpuSnapshot.take(pids)
    tally = await run
    return tally, cpu_use(before, CpuSnapshot.take(pids))


async def fund(client: aiohttp.ClientSession, tenant: Tenant, options: Options, tag: str) -> Tally:
    tally = Tally()
    for request in load.funding(tenant.currency_id, options.wallets, FUNDING, f"{tag}-fund"):
        await load.send(client, request, tally)
    return tally


async def run_servers(
    database: str, url: str, tenant: Tenant, options: Options, processes: int, logs: Path
) -> tuple[list[Figure], Tally]:
    """The figures of every scenario, and what the ledger acknowledged in all of them."""
    tag = f"{processes}p"
    clients = max(options.clients, options.batch_clients)
    acknowledged = Tally()
    figures = []
    async with (
        running(url, processes, logs) as servers,
        load.sessions(servers.base_urls, tenant.api_key, clients) as sessions,
    ):
        acknowledged.absorb(await fund(sessions[0], tenant, options, tag))
        warm = load.Transactions(tenant.currency_id, options.wallets, tag=f"{tag}-warm")
        acknowledged.absorb(await load.drive(sessions, warm, options.clients, options.warmup))
        for scenario in scenarios(tenant, options, tag):
            if options.only and not any(part in scenario.name for part in options.only):
                continue
            run = load.drive(sessions, scenario.workload, scenario.clients, options.duration)
            tally, cpu = await measured(servers, run)
            acknowledged.absorb(tally)
            rss = servers.peak_rss_mib()
            figures.append(
                figure(database, scenario.name, processes, scenario.clients, tally, cpu, rss)
            )
    return figures, acknowledged
