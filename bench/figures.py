"""One row of results: a scenario measured on one database."""

from dataclasses import dataclass, field

from bench.procs import CpuUse
from bench.tally import Tally


@dataclass(frozen=True)
class Figure:
    database: str
    scenario: str
    # Server processes serving the API; None for the driver ceiling (no server).
    workers: int | None
    clients: int
    requests: int
    entries: int
    seconds: float
    requests_per_s: float
    entries_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    errors: int
    cpu: CpuUse
    # CPU time per request of the server processes (HTTP) or of the driver process.
    cpu_ms_per_request: float | None
    # Sum of the server processes' peak resident sets so far.
    peak_rss_mib: float | None = None
    error_samples: list[str] = field(default_factory=list)


def figure(
    database: str,
    scenario: str,
    workers: int | None,
    clients: int,
    tally: Tally,
    cpu: CpuUse,
    peak_rss_mib: float | None = None,
) -> Figure:
    return Figure(
        database=database,
        scenario=scenario,
        workers=workers,
        clients=clients,
        requests=tally.requests,
        entries=tally.entries,
        seconds=round(tally.seconds, 2),
        requests_per_s=round(tally.per_second(tally.requests), 1),
        entries_per_s=round(tally.per_second(tally.entries), 1),
        p50_ms=_rounded(tally.percentile_ms(0.50)),
        p99_ms=_rounded(tally.percentile_ms(0.99)),
        errors=tally.errors,
        cpu=cpu,
        cpu_ms_per_request=_cpu_ms(cpu.server if workers is not None else cpu.client, tally),
        peak_rss_mib=None if peak_rss_mib is None else round(peak_rss_mib, 1),
        error_samples=list(tally.samples),
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _cpu_ms(percent_of_core: float, tally: Tally) -> float | None:
    if not tally.requests:
        return None
    return round(10 * percent_of_core * tally.seconds / tally.requests, 2)
