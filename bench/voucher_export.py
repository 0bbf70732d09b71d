"""`python -m bench.voucher_export [--units 20000]`: a year of vouchers of one project exported
in the vendors' layouts, on a throwaway PostgreSQL database. Prints; asserts no timing.

Each unit books four vouchers in the year (deposit taken, deposit confirmed, down payment, the
bank's loan): 80,000 vouchers and 160,000 lines for 20,000 units. Each export runs in a process
of its own (`handlers.export_vouchers`, as the finance service calls it) so its peak memory is
its own; `--units` at a quarter shows whether memory grows with the range (it should not, but
for the file itself, which the RPC answer carries whole). Goal (issue 18): ≤ 30 s.
"""
import argparse
import json
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import create_engine, insert

from infra.migrations import upgrade
from services.finance import domain
from services.finance.models import Voucher
from tests.conftest import create_database, drop_database

PROJECT = 1
YEAR = (date(2026, 1, 1), date(2026, 12, 31))


def seed(url, units):
    engine = create_engine(url)
    accounts = dict(domain.DEFAULT_ACCOUNTS)
    rows, counters = [], {}
    now = datetime.now(timezone.utc)

    def line(role, debit, credit, unit):
        code, name = accounts[role]
        return {"role": role, "account_code": code, "account_name": name, "debit": debit,
                "credit": credit, "unit_id": unit}
    kinds = (("deposit_received", "收到大定 定金单{d}", "bank", "deposits_held", "20000.00"),
             ("payment_received", "定金确认 收据第{r}号 定金单{d}", "deposits_held",
              "advance_deposit", "20000.00"),
             ("payment_received", "收到首付款(转账) 收据第{r}号", "bank", "advance_price",
              "300000.00"),
             ("payment_received", "收到按揭贷款(银行放款) 收据第{r}号", "bank", "advance_price",
              "700000.00"))
    with engine.begin() as connection:
        for unit in range(1, units + 1):
            for index, (kind, summary, debit, credit, amount) in enumerate(kinds):
                day = YEAR[0] + timedelta(days=(unit * 7 + index * 30) % 365)
                period = f"{day.year:04d}-{day.month:02d}"
                counters[period] = counters.get(period, 0) + 1
                rows.append({
                    "business_id": str(uuid.uuid4()), "event_type": kind, "project_id": PROJECT,
                    "customer_id": unit, "unit_id": unit, "deposit_id": unit,
                    "payment_id": unit * 4 + index, "voucher_date": day, "period": period,
                    "word": "记", "number": counters[period],
                    "summary": summary.format(d=unit, r=unit * 4 + index), "attachments": 1,
                    "debit_total": amount, "lines": [line(debit, amount, "0.00", unit),
                                                     line(credit, "0.00", amount, unit)],
                    "status": "recorded", "created_at": now})
            if len(rows) >= 5000:
                connection.execute(insert(Voucher), rows)
                rows = []
        if rows:
            connection.execute(insert(Voucher), rows)
    engine.dispose()
    return units * len(kinds)


def export_once(url, layout, format_):
    """In this process: one export of the year; prints seconds, peak RSS and the file size."""
    from sqlalchemy.orm import sessionmaker
    from infra.database import UnitOfWork, make_engine
    from services.finance import handlers
    from services.finance.models import metadata
    engine = make_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with UnitOfWork(factory, metadata, "finance") as uow:
        file = handlers.export_vouchers(uow, {"project_id": PROJECT, "from": YEAR[0],
                                              "to": YEAR[1], "layout": layout,
                                              "format": format_})
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 1), "rss_before_mb": round(before / 1024),
                      "rss_peak_mb": round(peak / 1024),
                      "file_mb": round(len(file["content_base64"]) * 3 / 4 / 2**20, 1)}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--export", nargs=3, metavar=("URL", "LAYOUT", "FORMAT"))
    args = parser.parse_args()
    if args.export:
        export_once(*args.export)
        return
    name = f"anchang_bench_{uuid.uuid4().hex[:8]}_vouchers"
    url = create_database(name)
    try:
        upgrade("finance", url)
        started = time.perf_counter()
        vouchers = seed(url, args.units)
        print(f"seeded {vouchers} vouchers of {args.units} units in "
              f"{time.perf_counter() - started:.0f} s")
        for layout, format_ in (("kingdee", "xlsx"), ("yonyou", "xlsx"), ("kingdee", "csv")):
            answer = subprocess.run([sys.executable, "-m", "bench.voucher_export", "--export",
                                     url, layout, format_], capture_output=True, text=True,
                                    check=True)
            result = json.loads(answer.stdout.strip().splitlines()[-1])
            print(f"| voucher export, a year of {args.units:,} units ({vouchers:,} vouchers, "
                  f"{vouchers * 2:,} lines) | {layout} {format_} | {result['seconds']} s | "
                  f"peak RSS {result['rss_peak_mb']} MB (at start {result['rss_before_mb']} "
                  f"MB), file {result['file_mb']} MB |", flush=True)
    finally:
        drop_database(name)


if __name__ == "__main__":
    main()
