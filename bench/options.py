"""Command-line options, with defaults from ``LOYALTY_BENCH_*`` environment variables."""

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Options:
    databases: tuple[str, ...]
    postgres_url: str
    workers: tuple[int, ...]
    clients: int
    # Concurrent clients of the rule completion scenario, one run per number.
    completion_clients: tuple[int, ...]
    batch_clients: int
    batch_sizes: tuple[int, ...]
    wallets: int
    warmup: float
    duration: float
    debit_share: float
    output: Path
    # Run only the HTTP scenarios whose name contains one of these (all when empty).
    only: tuple[str, ...] = ()


def _env(name: str, default: str) -> str:
    return os.environ.get(f"LOYALTY_BENCH_{name}", default)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _names(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = set(names) - set(DATABASES)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown database {', '.join(sorted(unknown))}")
    return names


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Ledger write throughput through HTTP and through the driver. Each "
        "option's default can be set as LOYALTY_BENCH_<NAME> (e.g. LOYALTY_BENCH_DURATION; "
        "--postgres-url: LOYALTY_BENCH_DATABASE_URL).",
    )
    p.add_argument(
        "--quick", action="store_true", help="A smoke run: 1 s per scenario, 0.5 s warm-up."
    )
    p.add_argument(
        "--databases",
        type=_names,
        default=_env("DATABASES", ",".join(DATABASES)),
        help="Comma-separated: sqlite, postgresql (default: both).",
    )
    p.add_argument(
        "--postgres-url",
        default=_env("DATABASE_URL", DEFAULT_SERVER),
        help="Server to create the scratch database on (LOYALTY_BENCH_DATABASE_URL).",
    )
    p.add_argument(
        "--workers",
        type=_numbers,
        default=_env("WORKERS", "1,2"),
        help="Comma-separated numbers of server processes to run, each a one-worker uvicorn "
        "on its own port (default: 1,2).",
    )
    p.add_argument(
        "--clients",
        type=int,
        default=int(_env("CLIENTS", "32")),
        help="Concurrent clients (and driver tasks) for single entries (default: 32).",
    )
    p.add_argument(
        "--batch-clients",
        type=int,
        default=int(_env("BATCH_CLIENTS", "8")),
        help="Concurrent clients for the batches (default: 8).",
    )
    p.add_argument(
        "--batch-sizes",
        type=_numbers,
        default=_env("BATCH_SIZES", "100,1000"),
        help="Comma-separated entries per batched request (default: 100,1000).",
    )
    p.add_argument(
        "--wallets",
        type=int,
        default=int(_env("WALLETS", "1000")),
        help="Distinct wallets the entries go to (default: 1000).",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=float(_env("WARMUP", "2")),
        help="Seconds of unmeasured load first (default: 2).",
    )
    p.add_argument(
        "--completion-clients",
        type=_numbers,
        default=_env("COMPLETION_CLIENTS", "16,32"),
        help="Comma-separated concurrent clients of the rule completion scenario, one run "
        "each (default: 16,32).",
    )
    p.add_argument(
        "--duration",
        type=float,
        default=float(_env("DURATION", "10")),
        help="Seconds each scenario is measured (default: 10).",
    )
    p.add_argument(
        "--debit-share",
        type=float,
        default=float(_env("DEBIT_SHARE", "0.1")),
        help="Share of debits in the mixed scenario (default: 0.1).",
    )
    p.add_argument(
        "--only",
        type=lambda text: tuple(part.strip() for part in text.split(",") if part.strip()),
        default=(),
        help="Run only the scenarios whose name contains one of these, e.g. 'completion'.",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=Path(_env("OUTPUT", str(RESULTS))),
        help="Where the JSON goes (default: bench/results/latest.json).",
    )
    return p


def parse(argv: list[str] | None = None) -> Options:
    args = parser().parse_args(argv)
    # argparse runs `type` on string defaults too, so these are already converted.
    return Options(
        databases=args.databases,
        postgres_url=args.postgres_url,
        workers=args.workers,
        clients=args.clients,
        completion_clients=args.completion_clients,
        batch_clients=args.batch_clients,
        batch_sizes=args.batch_sizes,
        wallets=args.wallets,
        warmup=0.5 if args.quick else args.warmup,
        duration=1.0 if args.quick else args.duration,
        debit_share=args.debit_share,
        output=args.output,
        only=args.only,
    )
