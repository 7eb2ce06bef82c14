"""The figures as a table per database, and as JSON in bench/results/latest.json."""

import json
import os
import platform
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from bench.checks import Check
from bench.figures import Figure
from bench.options import Options

# Wide enough for the table when the output is a file or a pipe.
console = Console(highlight=False, width=max(shutil.get_terminal_size().columns, 200))

LEGEND = (
    "server%, postgres%, client%, other% are percent of one core: every server process, "
    "every PostgreSQL process, this load generator, the rest of the machine; busy% and "
    "steal% (taken by the hypervisor) are of all {cpus} cores. CPU ms/req: the server "
    "processes' CPU time per request (driver rows: this process's). Peak RSS: the sum of "
    "the server processes' VmHWM. workers: server processes. Driver rows "
    "write a single-entry credit's rows (transaction, entry, balance upsert) straight "
    "through the driver."
)

COLUMNS = (
    "scenario",
    "workers",
    "clients",
    "req/s",
    "entries/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "CPU ms/req",
    "server%",
    "postgres%",
    "client%",
    "other%",
    "busy%",
    "steal%",
    "peak RSS MiB",
)


@dataclass
class DatabaseResults:
    figures: list[Figure] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def _number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _row(f: Figure) -> list[str]:
    return [
        f.scenario,
        "-" if f.workers is None else str(f.workers),
        str(f.clients),
        _number(f.requests_per_s, 1 if f.requests_per_s < 100 else 0),
        _number(f.entries_per_s),
        _number(f.p50_ms, 1),
        _number(f.p99_ms, 1),
        f"[red]{f.errors}[/]" if f.errors else "0",
        _number(f.cpu_ms_per_request, 2),
        _number(f.cpu.server if f.workers is not None else None),
        _number(f.cpu.postgres),
        _number(f.cpu.client),
        _number(f.cpu.others),
        _number(f.cpu.busy),
        _number(f.cpu.steal),
        _number(f.peak_rss_mib),
    ]


def table(database: str, figures: list[Figure]) -> Table:
    result = Table(
        title=f"{database}: POST /api/loyalty/transactions and the driver ceiling",
        box=box.SIMPLE_HEAD,
    )
    for name in COLUMNS:
        result.add_column(name, justify="left" if name == "scenario" else "right", no_wrap=True)
    for f in figures:
        result.add_row(*_row(f))
    return result


def show(database: str, results: DatabaseResults) -> None:
    console.print(table(database, results.figures))
    for f in results.figures:
        for sample in f.error_samples:
            console.print(f"[red]{f.scenario} ({f.workers} workers) error:[/] {sample}")
    for c in results.checks:
        console.print(f"[{'green' if c.ok else 'red'}]{c.describe()}[/]")
    console.print(LEGEND.format(cpus=os.cpu_count()))


def _json(options: Options, results: dict[str, DatabaseResults]) -> dict[str, Any]:
    return {
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "options": {**asdict(options), "output": str(options.output)},
        "databases": {
            name: {
                "figures": [asdict(f) for f in r.figures],
                "checks": [{**asdict(c), "ok": c.ok} for c in r.checks],
            }
            for name, r in results.items()
        },
    }


def write(options: Options, results: dict[str, DatabaseResults]) -> Path:
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(_json(options, results), indent=2) + "\n")
    return options.output
