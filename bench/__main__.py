"""``python -m bench``: every scenario on every database, then the table and the JSON."""

import tempfile
from pathlib import Path

import uvloop

from bench import checks, direct, options, report, scenarios, scratch
from bench.options import Options
from bench.seed import Tenant, seed
from bench.tally import Tally


async def http_runs(
    database: str, url: str, tenant: Tenant, opts: Options, results: report.DatabaseResults
) -> None:
    acknowledged = Tally()
    with tempfile.TemporaryDirectory(prefix="loyalty-bench-logs-") as logs:
        for workers in opts.workers:
            report.console.print(f"{database}: {workers} server process(es)...")
            figures, ledger = await scenarios.run_servers(
                database, url, tenant, opts, workers, Path(logs)
            )
            results.figures += figures
            acknowledged.absorb(ledger)
    results.checks.append(
        await checks.check(
            "HTTP ledger",
            url,
            tenant.currency_id,
            credited=acknowledged.credited,
            debited=acknowledged.debited,
            entries=acknowledged.entries,
        )
    )


async def driver_runs(
    database: str, url: str, tenant: Tenant, opts: Options, results: report.DatabaseResults
) -> None:
    report.console.print(f"{database}: driver ceiling...")
    figures, committed = await direct.ceiling(database, url, tenant, opts)
    results.figures += figures
    results.checks.append(
        await checks.check(
            "driver ledger",
            url,
            tenant.driver_currency_id,
            credited=committed,
            debited=0,
            entries=committed,
        )
    )


async def measure(database: str, url: str, opts: Options) -> report.DatabaseResults:
    results = report.DatabaseResults()
    tenant = await seed(url)
    await http_runs(database, url, tenant, opts, results)
    await driver_runs(database, url, tenant, opts, results)
    return results


def main(argv: list[str] | None = None) -> int:
    opts = options.parse(argv)
    results: dict[str, report.DatabaseResults] = {}
    unavailable = []
    for database in opts.databases:
        try:
            results[database] = measure_in_scratch(database, opts)
        except scratch.Unavailable as error:
            report.console.print(f"[red]{database} skipped: cannot reach the server {error}[/]")
            unavailable.append(database)
            continue
        report.show(database, results[database])
    path = report.write(opts, results)
    report.console.print(f"Results written to {path}")
    correct = all(c.ok for r in results.values() for c in r.checks)
    return 0 if correct and not unavailable else 1


def measure_in_scratch(database: str, opts: Options) -> report.DatabaseResults:
    # Migrations run their own event loop, so they run outside this one.
    with scratch.scratch_database(database, opts.postgres_url) as url:
        return uvloop.run(measure(database, url, opts))


if __name__ == "__main__":
    raise SystemExit(main())
