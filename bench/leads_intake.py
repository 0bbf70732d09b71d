"""Lead intake of the leads service measured on PostgreSQL, without the broker or the gateway:
the bulk path (a call list through `handlers.import_call_list`: parse, normalize, dedupe
against customers, earlier lists and itself, insert) and single registrations (one visit
through `handlers.register_visit`, one transaction each) sequentially and from 16 threads.

    .venv/bin/python -m bench.leads_intake [--leads 200000]

Creates its own database, drops it afterwards, prints the numbers and writes them to
bench/results/leads_intake.json.
"""
import argparse
import itertools
import json
import os
import platform
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bench.data import generated_leads, visitor_name
from contracts.base import load
from contracts.leads import MAX_IMPORT_ROWS, ImportCallListSchema, RegisterVisitSchema
from infra.database import UnitOfWork, make_engine
from infra.migrations import owner_metadata, upgrade
from services.leads import handlers
from services.leads.models import CallLead
from tests.conftest import create_database, drop_database

RESULTS = Path(__file__).resolve().parent / "results" / "leads_intake.json"
GOAL = 5000  # leads/s for the bulk path (issue 4)


class Store:
    def __init__(self, url):
        self.engine = make_engine(url, pool_size=17, max_overflow=4)
        self.factory = sessionmaker(self.engine, expire_on_commit=False)
        self.metadata = owner_metadata("leads")

    def __call__(self):
        return UnitOfWork(self.factory, self.metadata, "leads", None, None)


def import_lists(store, leads, source="purchased"):
    """Every list of at most MAX_IMPORT_ROWS rows, as the gateway would send them."""
    totals = {"added": 0, "duplicates": 0, "rejected": 0}
    for start in range(0, len(leads), MAX_IMPORT_ROWS):
        chunk = leads[start:start + MAX_IMPORT_ROWS]
        cmd = load(ImportCallListSchema(), {
            "source": source, "file_name": f"bench-{start}.csv", "imported_by": "bench",
            "header": ["姓名", "手机"], "rows": [[lead["name"], lead["mobile"]] for lead in chunk]})
        with store() as uow:
            result = handlers.import_call_list(uow, cmd)
        for key in totals:
            totals[key] += result[key]
    return totals


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def bench_bulk(store, count):
    leads = list(generated_leads(count, prefix="136"))
    first, first_seconds = timed(lambda: import_lists(store, leads))
    again, again_seconds = timed(lambda: import_lists(store, leads))
    with store() as uow:
        stored = uow.session.scalar(select(func.count()).select_from(CallLead))
    assert stored == first["added"] and again["added"] == 0, (stored, first, again)
    return {
        "leads": count,
        "first_import": {**first, "seconds": round(first_seconds, 3),
                         "leads_per_second": round(count / first_seconds)},
        "same_lists_again": {**again, "seconds": round(again_seconds, 3),
                             "leads_per_second": round(count / again_seconds)},
        "goal_leads_per_second": GOAL,
        "goal_met": count / first_seconds >= GOAL and count / again_seconds >= GOAL,
    }


def bench_single(store, office_id, count, threads):
    numbers = itertools.count(threads * 1_000_000)
    lock = threading.Lock()

    def register(_):
        with lock:
            number = next(numbers)
        cmd = load(RegisterVisitSchema(), {"office_id": office_id, "name": visitor_name(number),
                                           "mobile": f"137{number:08d}"})
        with store() as uow:
            handlers.register_visit(uow, cmd, handlers.find_office(uow.session, office_id))

    def run():
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(register, range(count)))
    _, seconds = timed(run)
    return {"threads": threads, "registrations": count, "seconds": round(seconds, 3),
            "per_second": round(count / seconds)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--registrations", type=int, default=2_000)
    args = parser.parse_args()
    name = f"anchang_bench_leads_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    store = None
    try:
        upgrade("leads", url)
        store = Store(url)
        with store() as uow:
            office = handlers.create_office(uow, {"code": "bench", "name": "bench",
                                                  "region_code": "bj"})
        for n in range(6):
            with store() as uow:
                handlers.add_consultant(uow, {"office_id": office["id"], "name": f"顾问{n}"})
        results = {
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "bulk_intake": bench_bulk(store, args.leads),
            "single_registration": [
                bench_single(store, office["id"], args.registrations, 1),
                bench_single(store, office["id"], args.registrations, 16)],
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
