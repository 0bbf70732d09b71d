"""`python -m bench [--quick]`: every benchmark against the real broker and PostgreSQL, each
suite path next to its ceiling, recorded in bench/RESULTS.md and bench/results/*.json.

Exits 0 whatever the numbers; 1 when a benchmark could not run (an error, a saga that never
completed), 2 when the environment could not be set up.
"""
import argparse
import os
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from datetime import datetime

from bench import ceilings as baselines
from bench import suite_benchmarks as suite
from bench.environment import BenchEnvironment, git_commit, wait_for_infrastructure
from bench.report import (Row, markdown_table, memory_rows, memory_table, record,
                          settle_ceilings)


@dataclass(frozen=True)
class Mode:
    name: str
    http_seconds: float          # closed-loop window of ceiling A and benchmark 1
    warmup_seconds: float
    insert_seconds: float        # ceiling C's one-row inserts
    copy_rows: int
    executemany_rows: int
    broker_messages: int         # ceiling B
    import_leads: int            # benchmark 2
    saga_rate: float             # benchmark 3
    saga_seconds: float
    saga_ladder: tuple           # rates tried for the maximum sustained rate
    ladder_seconds: float
    boards: tuple                # (units, requests) of benchmark 4
    boards_skipped: tuple
    fanout_events: int           # benchmark 5
    import_rooms: int            # benchmark 6
    stall_seconds: float         # waiting for events gives up after this long without one

    @property
    def saga_units(self) -> int:
        return int(self.saga_rate * self.saga_seconds
                   + sum(self.saga_ladder) * self.ladder_seconds) + 100


QUICK = Mode("quick", http_seconds=2, warmup_seconds=1, insert_seconds=2, copy_rows=100_000,
             executemany_rows=20_000, broker_messages=5_000, import_leads=50_000,
             saga_rate=50, saga_seconds=5, saga_ladder=(25, 50), ladder_seconds=5,
             boards=((20_000, 3),), boards_skipped=(200_000,), fanout_events=2_000,
             stall_seconds=20, import_rooms=20_000)
FULL = Mode("full", http_seconds=15, warmup_seconds=2, insert_seconds=10,
            copy_rows=1_000_000, executemany_rows=200_000, broker_messages=20_000,
            import_leads=1_000_000, saga_rate=50, saga_seconds=60,
            saga_ladder=(5, 10, 15, 20, 25, 30, 40, 50, 60, 80, 100),
            ladder_seconds=15, boards=((20_000, 20), (200_000, 3)), boards_skipped=(),
            fanout_events=10_000, stall_seconds=30, import_rooms=20_000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, under 3 minutes (CI); the default is the full run")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=[n for n, _ in PLAN],
                        help="run only these benchmarks of the plan, in its order (e.g. "
                             "'ceiling A' '1 lead registration' '7 complaint filing')")
    args = parser.parse_args(argv)
    mode = QUICK if args.quick else FULL
    plan = [(n, b) for n, b in PLAN if not args.only or n in args.only]
    signal.signal(signal.SIGTERM, _interrupt)  # so `finally` stops the services
    began, errors = time.monotonic(), []
    now = datetime.now().astimezone()
    meta = {"date": now.strftime("%Y-%m-%d %H:%M:%S %z"), "stamp": now.strftime("%Y%m%d-%H%M%S"),
            "host": socket.gethostname(), "cpus": os.cpu_count(), "commit": git_commit(),
            "mode": f"{mode.name}-partial" if args.only else mode.name,
            "only": [n for n, _ in plan] if args.only else None}
    print(f"bench: {mode.name} mode, {meta['cpus']} CPUs, commit {meta['commit']}", flush=True)
    try:
        with BenchEnvironment() as env:
            print(f"bench: suite up at {env.base_url}; service logs in {env.suite.logs}",
                  flush=True)
            rows = run_all(env, mode, errors, plan)
    except Exception as exc:  # the environment itself could not be set up
        traceback.print_exc()
        print(f"bench: cannot run: {exc}", file=sys.stderr)
        return 2
    meta.update(seconds=time.monotonic() - began, errors=errors)
    path = record(meta, rows)
    print("\n" + markdown_table(rows) + "\n\n" + memory_table(rows))
    print(f"\nbench: recorded in bench/RESULTS.md and {path.relative_to(path.parents[2])}")
    return 1 if errors else 0


# Each suite benchmark next to its ceiling; ceilings A and B are measured again after their
# suite benchmark, and the mean is used, so a drift of the machine in between shows.
PLAN = (
    ("ceiling A", baselines.ceiling_a), ("1 lead registration", suite.lead_registration),
    ("ceiling A again", baselines.ceiling_a),
    ("7 complaint filing", suite.complaint_filing),
    ("ceiling C", baselines.ceiling_c), ("2 bulk lead import", suite.bulk_lead_import),
    ("ceiling B", baselines.ceiling_b), ("5 event fan-out", suite.event_fanout),
    ("ceiling B again", baselines.ceiling_b),
    ("3 deposit saga", suite.deposit_saga), ("4 sales-control board", suite.board),
    ("6 unit import", suite.unit_import),
)
ATTEMPTS = 3


def run_all(env, mode, errors, plan=PLAN) -> list[Row]:
    rows, memory = [], {"idle": env.resident_mb()}
    for name, benchmark in plan:
        rows += run_one(env, name, benchmark, mode, errors)
        if benchmark is suite.deposit_saga:
            memory["after 3"] = env.resident_mb()
    memory["at end"] = env.resident_mb()
    memory["peak"] = env.resident_mb("VmHWM")
    return settle_ceilings(rows) + memory_rows(memory)


def run_one(env, name, benchmark, mode, errors) -> list[Row]:
    """Run one benchmark once the suite has drained. When it fails — the broker or database
    may have been stopped for a while by someone's fault tests — wait for them, restart the
    services and try again."""
    for attempt in range(1, ATTEMPTS + 1):
        print(f"bench: {name}{f' (attempt {attempt})' if attempt > 1 else ''} …", flush=True)
        started = time.monotonic()
        try:
            env.wait_until_quiet()
            rows = benchmark(env, mode)
            for row in rows:
                print(f"  {row.measure}: {row.value_text()}", flush=True)
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
            return rows
        except Exception as exc:
            traceback.print_exc()
            failure = _one_line(exc)
            if attempt == ATTEMPTS:
                errors.append(f"{name}: {failure}")
                return getattr(exc, "rows", []) + [Row(name, "did not run", None,
                                                       note=f"failed: {failure}")]
            wait_for_infrastructure()
            env.restart_services()
    return []


def _one_line(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200].replace("|", "/")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
