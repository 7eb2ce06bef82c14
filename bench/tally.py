"""What one measured run counted: latencies, answers, and the units the ledger accepted."""

from dataclasses import dataclass, field

# Distinct failures kept to print; the count covers all of them.
MAX_SAMPLES = 5


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    requests: int = 0
    entries: int = 0
    credited: int = 0
    debited: int = 0
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def succeed(self, latency: float, entries: int, credited: int, debited: int) -> None:
        self.latencies.append(latency)
        self.requests += 1
        self.entries += entries
        self.credited += credited
        self.debited += debited

    def fail(self, description: str) -> None:
        self.errors += 1
        if len(self.samples) < MAX_SAMPLES and description not in self.samples:
            self.samples.append(description)

    def absorb(self, other: "Tally") -> None:
        """Add another run's ledger effects (not its timings) to this one."""
        self.requests += other.requests
        self.entries += other.entries
        self.credited += other.credited
        self.debited += other.debited
        self.errors += other.errors
        self.samples += [s for s in other.samples if s not in self.samples][:MAX_SAMPLES]

    def percentile_ms(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the successful requests, in milliseconds."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
        return ordered[rank] * 1000

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0
