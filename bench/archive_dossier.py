"""The archive measured on PostgreSQL, without the broker or the gateway, acting as the
service's own database role: event intake through `handlers.file_event` (each event a chained
document, one transaction each) into one dossier and spread over many, one at a time and from
10 threads at once (the service's 10 workers), and by batches of 50 events from 2 threads (as
the service's consumer applies them under load: one transaction a batch), then opening a
dossier of 1,000 entries (`read_dossier`, the access logged and chained first, and the answer
dumped by its schema: what the RPC sends) and verifying its chain (`verify_one`). Goal (issue
15): a dossier of 1,000 entries opens in ≤ 100 ms. CPU per open and per event: this process
and this database's PostgreSQL backends, from /proc.

    .venv/bin/python -m bench.archive_dossier [--entries 1000] [--dossiers 2000]

Creates its own database, drops it afterwards, prints the numbers and writes them to
bench/results/archive_dossier.json.
"""
import argparse
import json
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from bench.cpu import cpu_meter

from contracts import archive as schemas
from contracts.base import load
from contracts.envelope import parse_event
from infra import config
from infra.database import UnitOfWork, handle_batch, handle_once, make_engine
from infra.filestore import FileStore
from infra.migrations import owner_metadata, upgrade
from services.archive import handlers
from tests.conftest import create_database, drop_database
from tests.messaging import valid_event

RESULTS = Path(__file__).resolve().parent / "results" / "archive_dossier.json"
GOAL_MS = 100
ARCHIVIST = {"username": "bench", "role": "archivist", "project_ids": None}


class Store:
    def __init__(self, url):
        self.engine = make_engine(url, pool_size=10, max_overflow=2,
                                  role=config.database_role("archive"))
        self.metadata = owner_metadata("archive")
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    def __call__(self, correlation_id=None):
        return UnitOfWork(self.session_factory, self.metadata, "archive", None, correlation_id)


def event(unit_id, customer_id):
    return parse_event(json.loads(json.dumps(valid_event(
        "transactions.payment_received", project_id=1, unit_id=unit_id,
        customer_id=customer_id))))


def processes(store) -> dict:
    """This process and the PostgreSQL backends of the bench's database (its pool)."""
    with store.engine.connect() as connection:
        backends = connection.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
        return {"bench process": [os.getpid()], "PostgreSQL backends": list(backends)}


def cpu_per(spent: dict, count: int) -> dict:
    return {"cpu_ms": round(sum(spent.values()) * 1000 / count, 2),
            **{f"cpu_ms {name}": round(seconds * 1000 / count, 2)
               for name, seconds in spent.items()}}


def intake(store, events, threads=1, batch=1) -> dict:
    """Events filed one per transaction (`handle_once`), or `batch` per transaction as the
    service's consumer hands them over under load (`handle_batch`)."""
    warm = [store.engine.connect() for _ in range(threads)]  # the pool's connections exist
    for connection in warm:                                   # before CPU is metered
        connection.close()
    if batch == 1:
        work, apply = events, lambda e: handle_once(store, e, handlers.file_event)
    else:
        work = [events[n:n + batch] for n in range(0, len(events), batch)]
        apply = lambda b: handle_batch(store, b, handlers.file_event,  # noqa: E731
                                       order=handlers.filing_order)
    with cpu_meter(processes(store)) as spent:
        start = time.perf_counter()
        if threads == 1:
            for item in work:
                apply(item)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(apply, work))
        seconds = time.perf_counter() - start
    return {"events": len(events), "threads": threads, "batch": batch,
            "seconds": round(seconds, 3),
            "per_second": round(len(events) / seconds), **cpu_per(spent, len(events))}


def timed_ms(fn, repeat, store) -> dict:
    times = []
    with cpu_meter(processes(store)) as spent:
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
            "runs": repeat, **cpu_per(spent, repeat)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--dossiers", type=int, default=2000)
    args = parser.parse_args()
    name = f"anchang_bench_archive_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    store = None
    try:
        upgrade("archive", url)
        store = Store(url)
        files = FileStore(f"file://{tempfile.mkdtemp(prefix='bench-archive-')}")
        one_dossier = intake(store, [event(1, 1) for _ in range(args.entries)])
        spread = intake(store, [event(10**6 + n, 10**6 + n) for n in range(args.dossiers)])
        spread_10 = intake(store, [event(2 * 10**6 + n, 2 * 10**6 + n)
                                   for n in range(args.dossiers)], threads=10)
        # as the consumer under load: batches of 50, two in flight (its prefetch is two
        # batches); new dossiers as above
        batched = intake(store, [event(3 * 10**6 + n, 3 * 10**6 + n)
                                 for n in range(args.dossiers)], threads=2, batch=50)
        query = load(schemas.ReadDossierSchema(), {"unit_id": 1, "actor": ARCHIVIST,
                                                   "purpose": "bench"})
        answer = schemas.DossierSchema.shared()

        def read():
            with store() as uow:
                dossier = answer.dump(handlers.read_dossier(uow, dict(query)))
            assert len(dossier["entries"]) >= args.entries
            return dossier
        size = len(json.dumps(read(), ensure_ascii=False).encode())

        def verify():
            with store() as uow:
                assert handlers.verify_one(uow, {"dossier_id": 1, "actor": ARCHIVIST},
                                           files)["ok"]
        opened = timed_ms(read, 50, store)
        results = {
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()},
            "intake_into_one_dossier": one_dossier,
            "intake_into_new_dossiers": spread,
            "intake_into_new_dossiers_10_threads": spread_10,
            "intake_batches_of_50_2_threads": batched,
            "open_dossier": {**opened, "entries": args.entries, "goal_ms": GOAL_MS,
                             "json_bytes": size},
            "verify_dossier": {**timed_ms(verify, 10, store), "links": args.entries + 51},
        }
    finally:
        if store is not None:
            store.engine.dispose()
        drop_database(name)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
