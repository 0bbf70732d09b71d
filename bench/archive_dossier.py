"""The archive measured on PostgreSQL, without the broker or the gateway: event intake through
`handlers.file_event` (each event a chained document, one transaction each) into one dossier
and spread over many, then opening a dossier of 1,000 entries (`read_dossier`, the access
logged and chained first) and verifying its chain (`verify_one`). Goal (issue 15): a dossier
of 1,000 entries opens in ≤ 100 ms.

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

from sqlalchemy.orm import sessionmaker

from contracts import archive as schemas
from contracts.base import load
from contracts.envelope import parse_event
from infra.database import UnitOfWork, handle_once, make_engine
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
        self.engine = make_engine(url, pool_size=4)
        self.metadata = owner_metadata("archive")
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    def __call__(self, correlation_id=None):
        return UnitOfWork(self.session_factory, self.metadata, "archive", None, correlation_id)


def event(unit_id, customer_id):
    return parse_event(json.loads(json.dumps(valid_event(
        "transactions.payment_received", project_id=1, unit_id=unit_id,
        customer_id=customer_id))))


def intake(store, events) -> dict:
    start = time.perf_counter()
    for e in events:
        handle_once(store, e, handlers.file_event)
    seconds = time.perf_counter() - start
    return {"events": len(events), "seconds": round(seconds, 3),
            "per_second": round(len(events) / seconds)}


def timed_ms(fn, repeat) -> dict:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 1),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
            "runs": repeat}


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
        spread = intake(store, [event(1000 + n, 1000 + n) for n in range(args.dossiers)])
        query = load(schemas.ReadDossierSchema(), {"unit_id": 1, "actor": ARCHIVIST,
                                                   "purpose": "bench"})

        def read():
            with store() as uow:
                assert len(handlers.read_dossier(uow, dict(query))["entries"]) >= args.entries

        def verify():
            with store() as uow:
                assert handlers.verify_one(uow, {"dossier_id": 1, "actor": ARCHIVIST},
                                           files)["ok"]
        read()
        opened = timed_ms(read, 50)
        results = {
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "intake_into_one_dossier": one_dossier,
            "intake_into_new_dossiers": spread,
            "open_dossier": {**opened, "entries": args.entries, "goal_ms": GOAL_MS},
            "verify_dossier": {**timed_ms(verify, 10), "links": args.entries + 50 + 1},
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
