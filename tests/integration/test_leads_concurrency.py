"""Several leads workers side by side (each its own connection pool, as separate processes
would have) on PostgreSQL: no customer assigned twice, the rotation not broken."""
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from contracts.base import load
from contracts.errors import Conflict
from contracts.leads import ReassignCustomerSchema, RegisterCallSchema, RegisterVisitSchema
from services.leads import domain, handlers
from services.leads.models import Assignment, Customer, ReceptionTurn, Visit
from tests.integration.conftest import Store
from tests.integration.test_leads_registration import office_with, outbox, visit

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
            return register(uow, cmd, handlers.find_office(uow.session, office["id"]))

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


def test_two_managers_reassigning_one_customer_at_once_record_one_reassignment(
        database_urls, stores, monkeypatch):
    store = stores["leads"]
    office_id, (a, b, c) = office_with(store, ["甲", "乙", "丙"])
    customer = visit(store, office_id)["customer"]
    assert customer["consultant_id"] == a
    workers = [Store("leads", database_urls["leads"]) for _ in range(2)]
    # both have read the customer (still a's) before either writes
    both_read = threading.Barrier(2, timeout=10)
    can_take_new = domain.can_take_new

    def after_reading(target):
        both_read.wait()
        return can_take_new(target)

    monkeypatch.setattr(domain, "can_take_new", after_reading)

    def reassign(i):
        cmd = load(ReassignCustomerSchema(), {
            "customer_id": customer["id"], "consultant_id": (b, c)[i], "reason": "客户要求换人",
            "decided_by": f"manager-{i}"})
        try:
            with workers[i]() as uow:
                return handlers.reassign_customer(uow, cmd)
        except Conflict as exc:
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(reassign, range(2)))
    for worker in workers:
        worker.engine.dispose()

    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(lost) == 1, results
    assert str(customer["id"]) in lost[0].details["customer_id"][0]
    with store() as uow:
        moves = uow.session.execute(select(Assignment.from_consultant_id,
                                           Assignment.to_consultant_id).where(
            Assignment.customer_id == customer["id"])).all()
        owner = uow.session.get(Customer, customer["id"]).consultant_id
    assert [tuple(m) for m in moves] == [(a, won[0]["customer"]["consultant_id"])]
    assert owner == won[0]["customer"]["consultant_id"]
    assert len([e for e in outbox(store, customer["id"]) if e["type"] == "lead_reassigned"]) == 1
