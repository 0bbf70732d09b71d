"""Idempotency keys on PostgreSQL: the gateway's table of keys (claim, replay, a key reused with
another request, a key still in flight, expiry) and the transactions service's own uniqueness
per key, which settles a retry whose first answer was lost (the gateway gave up with 504)."""
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from contracts import transactions as schemas
from contracts.base import load
from contracts.errors import Conflict, IdempotencyKeyReused, InvalidInput
from gateway import idempotency
from gateway.models import IdempotencyKey
from infra.database import handle_once, utcnow
from services.transactions import handlers, sales
from services.transactions.models import Deposit, Payment, Receipt
from tests.integration.test_transactions_sales import (ID_NUMBER, confirmed_order, deposit,
                                                       new_project, reserved)

pytestmark = pytest.mark.integration


def key() -> str:
    return f"key-{uuid.uuid4()}"


def claim(store, user_id, the_key, fingerprint, now=None):
    with store.session_factory() as session:
        return idempotency.claim(session, user_id, the_key, fingerprint, "POST",
                                 "/api/v1/deposits", now)


def test_the_gateway_answers_a_key_once_replays_it_and_refuses_it_for_another_request(stores):
    store = stores["gateway"]
    the_key = key()
    outcome, row_id = claim(store, 1, the_key, "a" * 64)
    assert outcome == "run"
    with pytest.raises(Conflict) as in_flight:  # a second request while the first is answered
        claim(store, 1, the_key, "a" * 64)
    assert idempotency.HEADER in in_flight.value.details
    with pytest.raises(IdempotencyKeyReused) as reused:
        claim(store, 1, the_key, "b" * 64)
    assert idempotency.HEADER in reused.value.details
    with store.session_factory() as session:
        idempotency.remember(session, row_id, 201, '{"id": 7}')
    assert claim(store, 1, the_key, "a" * 64) == ("replay", (201, '{"id": 7}'))
    assert claim(store, 2, the_key, "c" * 64)[0] == "run"  # keys belong to their user


def test_an_error_frees_the_key_and_concurrent_claims_let_one_run(stores):
    store = stores["gateway"]
    the_key = key()
    _, row_id = claim(store, 3, the_key, "a" * 64)
    with store.session_factory() as session:
        idempotency.release(session, row_id)
    assert claim(store, 3, the_key, "d" * 64)[0] == "run"  # free again, for any request

    contested = key()

    def attempt(_):
        try:
            return claim(store, 4, contested, "e" * 64)[0]
        except Conflict:
            return "409"
    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["409"] * 7 + ["run"]


def test_keys_are_kept_a_day_then_forgotten_and_an_abandoned_one_is_taken_over(stores):
    store = stores["gateway"]
    the_key, now = key(), utcnow()
    _, row_id = claim(store, 5, the_key, "a" * 64, now=now)
    with store.session_factory() as session:
        idempotency.remember(session, row_id, 201, "{}")
        row = session.get(IdempotencyKey, row_id)
        assert row.expires_at - now >= timedelta(hours=24)
    day_later = now + timedelta(hours=24, seconds=1)
    with store.session_factory() as session:
        assert idempotency.forget_expired(session, now + timedelta(hours=23)) >= 0
        assert session.get(IdempotencyKey, row_id) is not None
        idempotency.forget_expired(session, day_later)
        assert session.get(IdempotencyKey, row_id) is None

    abandoned = key()  # the gateway process died while answering it
    claim(store, 6, abandoned, "a" * 64, now=now)
    with pytest.raises(Conflict):
        claim(store, 6, abandoned, "a" * 64, now=now + timedelta(seconds=5))
    later = now + idempotency.stale_after() + timedelta(seconds=1)
    assert claim(store, 6, abandoned, "a" * 64, now=later)[0] == "run"


def deposits_under(store, the_key) -> int:
    with store() as uow:
        return uow.session.scalar(select(func.count()).select_from(Deposit).where(
            Deposit.idempotency_key == the_key))


def test_a_deposit_retried_under_its_key_is_taken_once(stores):
    store = stores["transactions"]
    project, the_key = new_project(), f"9:{key()}"
    first = deposit(store, project, idempotency_key=the_key)
    again = deposit(store, project, idempotency_key=the_key)
    assert again == first and deposits_under(store, the_key) == 1
    with pytest.raises(IdempotencyKeyReused) as other:
        deposit(store, project, amount="30000.00", idempotency_key=the_key)
    assert "idempotency_key" in other.value.details
    assert deposits_under(store, the_key) == 1
    assert deposit(store, project)["id"] != first["id"]  # no key: every call is a deposit

    raced = f"9:{key()}"  # the retry reaches the service while the first try still runs
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: deposit(store, project, idempotency_key=raced),
                                range(6)))
    assert len({answer["id"] for answer in answers}) == 1
    assert deposits_under(store, raced) == 1


def test_a_payment_retried_under_its_key_is_recorded_once_with_one_receipt(stores):
    store = stores["transactions"]
    form = confirmed_order(store, new_project())
    the_key = f"9:{key()}"

    def pay(amount="1000.00"):
        cmd = load(schemas.RecordPaymentSchema(), {
            "order_form_id": form["id"], "amount": amount, "purpose": "down_payment",
            "recorded_by": "finance-li", "idempotency_key": the_key})
        with store() as uow:
            return sales.record_payment(uow, cmd)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: pay(), range(4)))
    assert len({answer["id"] for answer in answers}) == 1
    assert len({answer["receipt"]["number"] for answer in answers}) == 1
    with pytest.raises(IdempotencyKeyReused):
        pay("2000.00")
    with store() as uow:
        payment_id = uow.session.scalar(select(Payment.id).where(
            Payment.idempotency_key == the_key))
        assert uow.session.scalar(select(func.count()).select_from(Receipt).where(
            Receipt.payment_id == payment_id)) == 1
        assert sales.amount_paid(uow.session, form["id"]) == Decimal("21000.00")


def test_a_deposit_that_named_no_project_gets_the_units_from_inventorys_answer(stores):
    store = stores["transactions"]
    with pytest.raises(InvalidInput) as required:  # a new deposit always names its project
        load(schemas.TakeDepositSchema(), {"unit_id": 1, "customer_id": 5, "consultant_id": 3,
                                           "amount": "20000.00"})
    assert "project_id" in required.value.details
    project = new_project()
    with store() as uow:  # a deposit of before: the project was the client's to give
        old = Deposit(unit_id=1, customer_id=5, consultant_id=3, project_id=None,
                      amount=Decimal("20000.00"), kind="small", status="pending",
                      received_at=utcnow(), customer_name="张三", customer_id_number=ID_NUMBER)
        uow.session.add(old)
        uow.commit()
        view = handlers.deposit_view(old)
    handle_once(store, reserved(view, project_id=project), handlers.on_unit_reserved)
    with store() as uow:
        assert handlers.get_deposit(uow.session, view["id"])["project_id"] == project
        assert sales.get_deposit_order_form(uow.session, view["id"])["project_id"] == project
