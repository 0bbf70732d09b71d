"""Several leads workers side by side (each its own connection pool, as separate processes
would have) on PostgreSQL: no customer assigned twice, the rotation not broken."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from contracts.base import load
from contracts.leads import RegisterCallSchema, RegisterVisitSchema
from services.leads import handlers
from services.leads.models import Customer, ReceptionTurn, Visit
from tests.integration.conftest import Store

pytestmark = pytest.mark.integration
WORKERS = 4


def test_workers_side_by_side_assign_each_customer_once_and_keep_the_rotation(database_urls,
                                                                            stores):
    workers = [Store("leads", database_urls["leads"]) for _ in range(WORKERS)]
    with workers[0]() as uow:
        office = handlers.create_office(uow, {"code": "workers", "name": "workers",
                                              "region_code": "ly"})
    staff = []
    for name in ("甲", "乙", "丙", "丁"):
        with workers[0]() as uow:
            staff.append(handlers.add_consultant(uow, {"office_id": office["id"],
                                                       "name": name})["id"])
    # 40 new visitors, 8 of them twice at the same moment (once by visit, once by call), and
    # one number arriving 6 times
    contacts = [("visit", f"1370000{n:04d}") for n in range(40)]
    contacts += [("call", f"1370000{n:04d}") for n in range(8)]
    contacts += [("visit", "13799999999")] * 6
    start = threading.Barrier(len(contacts))

    def register(i):
        kind, number = contacts[i]
        schema = RegisterVisitSchema() if kind == "visit" else RegisterCallSchema()
        cmd = load(schema, {"office_id": office["id"], "name": "张三", "mobile": number})
        start.wait()
        with workers[i % WORKERS]() as uow:
            register = handlers.register_visit if kind == "visit" else handlers.register_call
            return register(uow, cmd)

    with ThreadPoolExecutor(max_workers=len(contacts)) as pool:
        results = list(pool.map(register, range(len(contacts))))

    by_number = {}
    for (_, number), result in zip(contacts, results):
        by_number.setdefault(number, set()).add(
            (result["customer"]["id"], result["customer"]["consultant_id"]))
    assert all(len(seen) == 1 for seen in by_number.values())  # one customer, one consultant
    assert sum(not r["returning"] for r in results) == 41
    with workers[0]() as uow:
        customers = uow.session.execute(
            select(Customer.consultant_id, func.count()).where(
                Customer.office_id == office["id"]).group_by(Customer.consultant_id)).all()
        turns = uow.session.scalar(select(func.count()).select_from(Visit).where(
            Visit.office_id == office["id"], Visit.first.is_(True)))
        last_turns = uow.session.scalars(select(ReceptionTurn.turn).where(
            ReceptionTurn.office_id == office["id"])).all()
    # 41 new customers over 4 consultants in strict rotation: 11/10/10/10
    assert sorted(count for _, count in customers) == [10, 10, 10, 11]
    assert turns == 41
    assert len(set(last_turns)) == 4  # every turn handed out once
    codes = Counter(r["customer"]["code"] for r in results if not r["returning"])
    assert len(codes) == 41 and max(codes.values()) == 1
    for worker in workers:
        worker.engine.dispose()
