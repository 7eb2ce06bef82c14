"""What the kernel says about processes and the machine (Linux ``/proc``): peak resident
memory, and the CPU time spent during a run."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    """The high-water mark of the process's resident set (``VmHWM``), 0 once it is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return 0.0
    # The command name may hold spaces and parentheses: fields start after the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (postmaster, backends, background workers)."""
    found = []
    for entry in PROC.iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def machine_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) CPU ticks of all cores since boot."""
    fields = (PROC / "stat").read_text().split()[1:9]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in fields)
    busy = user + nice + system + irq + softirq
    return busy, steal, busy + idle + iowait + steal


@dataclass(frozen=True)
class CpuSnapshot:
    at: float
    own: float
    servers: dict[int, float]
    postgres: dict[int, float]
    machine: tuple[int, int, int]

    @classmethod
    def take(cls, server_pids: list[int]) -> "CpuSnapshot":
        return cls(
            at=time.perf_counter(),
            own=time.process_time(),
            servers={pid: cpu_seconds(pid) for pid in server_pids},
            postgres={pid: cpu_seconds(pid) for pid in postgres_pids()},
            machine=machine_ticks(),
        )


@dataclass(frozen=True)
class CpuUse:
    """CPU used during a run. ``server``, ``postgres``, ``client`` (this process) and
    ``others`` (everything else on the machine) are percentages of one core; ``busy`` and
    ``steal`` (taken by the hypervisor) are percentages of the whole machine."""

    server: float
    server_by_process: dict[int, float]
    postgres: float
    client: float
    others: float
    busy: float
    steal: float


def _spent(before: dict[int, float], after: dict[int, float]) -> dict[int, float]:
    # A process that started during the run used all its time during the run.
    return {pid: used - before.get(pid, 0.0) for pid, used in after.items()}


def cpu_use(before: CpuSnapshot, after: CpuSnapshot) -> CpuUse:
    wall = max(after.at - before.at, 1e-9)
    servers = _spent(before.servers, after.servers)
    postgres = sum(_spent(before.postgres, after.postgres).values())
    client = after.own - before.own
    busy, steal, total = (a - b for a, b in zip(after.machine, before.machine, strict=True))
    others = busy / TICKS - sum(servers.values()) - postgres - client
    return CpuUse(
        server=_percent(sum(servers.values()), wall),
        server_by_process={pid: _percent(used, wall) for pid, used in servers.items()},
        postgres=_percent(postgres, wall),
        client=_percent(client, wall),
        others=_percent(max(others, 0.0), wall),
        busy=_percent(busy, max(total, 1)),
        steal=_percent(steal, max(total, 1)),
    )


def _percent(part: float, whole: float) -> float:
    return round(100 * part / whole, 1)
