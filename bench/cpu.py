"""CPU time of the processes a path runs through, read from /proc: what one request costs the
whole machine (services, broker, database, load generator), whatever it waited for. On a
machine where all of them share the same cores, this is what bounds requests/s."""
import os
from contextlib import contextmanager
from pathlib import Path

from bench.report import Row

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of a process so far; 0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def pids_running(name: str) -> list[int]:
    """Every process of that executable name (/proc/<pid>/comm: `postgres`, `beam.smp`)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == name:
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def infrastructure_pids() -> dict[str, list[int]]:
    """The broker's and the database server's processes, and this load generator's."""
    return {"RabbitMQ": pids_running("beam.smp"), "PostgreSQL": pids_running("postgres"),
            "load generator": [os.getpid()]}


@contextmanager
def cpu_meter(groups: dict[str, list[int]]):
    """`with cpu_meter({"gateway": [pid], …}) as spent:` — afterwards `spent` maps each group
    to the CPU seconds its processes used inside the block (PostgreSQL backends that start
    inside it are counted from zero)."""
    before = {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in groups.items()}
    spent: dict[str, float] = {}
    yield spent
    for name, pids in groups.items():
        now = set(pids) | (set(pids_running("postgres")) if name == "PostgreSQL" else set())
        spent[name] = sum(max(0.0, cpu_seconds(pid) - before[name].get(pid, 0.0))
                          for pid in now)


def cpu_row(benchmark: str, label: str, spent: dict[str, float], requests: int, *, key="",
            ceiling_key=""):
    """One row: CPU milliseconds per request in all, each process group's share in the note."""
    if not requests:
        return Row(benchmark, f"{label} CPU per request", None, note="no request completed")
    per_request = {name: seconds * 1000 / requests for name, seconds in spent.items()}
    note = " · ".join(f"{name} {ms:.1f}" for name, ms in
                      sorted(per_request.items(), key=lambda item: -item[1]) if ms >= 0.05)
    return Row(benchmark, f"{label} CPU per request", sum(per_request.values()), "ms",
               higher_is_better=False, key=key, ceiling_key=ceiling_key, note=f"ms: {note}")
