"""The archive files events on PostgreSQL: one document per event, one dossier per unit; a
customer's events before any unit go to the customer's own file."""
import json
import random
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, or_, select

from contracts.envelope import parse_event
from infra.database import handle_batch, handle_once
from services.archive.handlers import file_event, filing_order, verify_dossier
from services.archive.models import Document, Dossier

from tests.messaging import valid_event

pytestmark = pytest.mark.integration


def filed(routing_key, **envelope):
    """An event as the consumer hands it over: through JSON and the envelope schema."""
    return parse_event(json.loads(json.dumps(valid_event(routing_key, **envelope))))


def test_events_of_a_unit_go_into_one_dossier_opened_once_and_redeliveries_change_nothing(
        stores):
    store = stores["archive"]
    unit_id, customer_id = random.randrange(10**6, 10**9), random.randrange(10**6, 10**9)
    held = filed("inventory.unit_held", project_id=7, unit_id=unit_id, customer_id=customer_id)
    reserved = filed("inventory.unit_reserved", project_id=7, unit_id=unit_id,
                     customer_id=customer_id)
    visit = filed("leads.visit_recorded", customer_id=customer_id)
    for event in (held, held, reserved, visit, visit):  # each of the two repeats is a redelivery
        handle_once(store, event, file_event)

    outbox = store.metadata.tables["outbox"]
    with store() as uow:
        session = uow.session
        dossier = session.execute(select(Dossier.id, Dossier.project_id)
                                   .where(Dossier.unit_id == unit_id)).one()
        customer_file = session.execute(select(Dossier.id, Dossier.kind)
                                         .where(Dossier.customer_id == customer_id)).one()
        documents = session.execute(
            select(Document.event_id, Document.dossier_id, Document.type, Document.data)
            .where(Document.customer_id == customer_id).order_by(Document.id)).all()
        opened = session.scalars(select(outbox.c.payload).where(
            outbox.c.routing_key == "archive.dossier_opened")).all()
        inbox = session.scalar(select(func.count()).select_from(
            store.metadata.tables["processed_events"]).where(
            store.metadata.tables["processed_events"].c.event_id.in_(
                [str(e["event_id"]) for e in (held, reserved, visit)])))
    assert dossier.project_id == 7
    assert [(d.event_id, d.dossier_id, d.type) for d in documents] == [
        (str(held["event_id"]), dossier.id, "unit_held"),
        (str(reserved["event_id"]), dossier.id, "unit_reserved"),
        (str(visit["event_id"]), customer_file.id, "visit_recorded")]
    assert customer_file.kind == "customer"  # the customer's papers before any unit
    assert documents[2].data == json.loads(json.dumps(valid_event(
        "leads.visit_recorded")["data"]))  # stored as published
    assert [p["data"]["dossier_id"] for p in opened if p["unit_id"] == unit_id] == [dossier.id]
    assert inbox == 3


@contextmanager
def counting(engine, event_name):
    """Counts `event_name` on `engine` inside the block: "commit" for the transactions
    committed, "before_cursor_execute" for the statements sent (an executemany once)."""
    counted = []

    def count(*_):
        counted.append(1)
    event.listen(engine, event_name, count)
    try:
        yield counted
    finally:
        event.remove(engine, event_name, count)


def test_a_batch_files_its_events_in_one_commit_once_each_and_skips_what_was_filed(stores):
    store = stores["archive"]
    unit_id = random.randrange(10**6, 10**9)
    customer_id = random.randrange(10**6, 10**9)
    received = filed("transactions.deposit_received", project_id=7, unit_id=unit_id,
                     customer_id=customer_id)
    reserved = filed("inventory.unit_reserved", project_id=7, unit_id=unit_id,
                     customer_id=customer_id)
    visit = filed("leads.visit_recorded", customer_id=customer_id)
    handle_once(store, received, file_event)  # filed before: a redelivery in the batch
    with counting(store.engine, "commit") as commits:
        handle_batch(store, [received, visit, reserved, visit], file_event,
                     order=filing_order)
    assert len(commits) == 1
    with store() as uow:
        documents = uow.session.execute(
            select(Document.event_id, Document.type).where(
                Document.customer_id == customer_id).order_by(Document.id)).all()
    # the unit's dossier first (filing order), each event once
    assert [(d.event_id, d.type) for d in documents] == [
        (str(received["event_id"]), "deposit_received"),
        (str(reserved["event_id"]), "unit_reserved"),
        (str(visit["event_id"]), "visit_recorded")]


def test_a_batch_with_an_event_that_fails_leaves_nothing_filed(stores):
    store = stores["archive"]
    customer_id = random.randrange(10**6, 10**9)
    good = filed("leads.visit_recorded", customer_id=customer_id)
    bad = filed("leads.visit_recorded", customer_id=customer_id)
    bad["type"] = "no_such_event"  # no schema: file_event raises KeyError
    with pytest.raises(KeyError):
        handle_batch(store, [good, bad], file_event, order=filing_order)
    inbox = store.metadata.tables["processed_events"]
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(inbox).where(
            inbox.c.event_id.in_([str(good["event_id"]), str(bad["event_id"])]))) == 0
        assert uow.session.scalar(select(func.count()).select_from(Document).where(
            Document.customer_id == customer_id)) == 0
    handle_batch(store, [good], file_event)  # applied alone afterwards: filed
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Document).where(
            Document.customer_id == customer_id)) == 1


def test_batches_filed_at_once_over_the_same_dossiers_in_any_order_all_commit(stores):
    """Two batches naming the same dossiers in opposite orders: filed by dossier they lock
    them in the same order, so neither waits for the other in a circle (no deadlock)."""
    store = stores["archive"]
    units = [random.randrange(10**6, 10**9) for _ in range(6)]
    batches = [[filed("inventory.unit_held", project_id=7, unit_id=unit) for unit in units]
               for _ in range(4)]
    batches = [batch if n % 2 else batch[::-1] for n, batch in enumerate(batches)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda batch: handle_batch(store, batch, file_event,
                                                 order=filing_order), batches))
    with store() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Document).where(
            Document.unit_id.in_(units))) == 24


def test_a_batch_chains_each_dossier_on_from_its_head_with_its_statements_per_dossier(stores):
    """A batch looks each dossier up and locks it once and files its documents and links
    together: the statements grow with the dossiers, not the events, and every chain stays
    whole, the batch's links following the links filed before it."""
    store = stores["archive"]
    unit_id = random.randrange(10**6, 10**9)
    new_unit = unit_id + 1  # filed after the first unit's events: they go in before it opens
    customer_id = random.randrange(10**6, 10**9)
    handle_once(store, filed("inventory.unit_held", project_id=7, unit_id=unit_id), file_event)
    batch = ([filed("transactions.payment_received", project_id=7, unit_id=unit_id)
              for _ in range(20)]
             + [filed("leads.visit_recorded", customer_id=customer_id) for _ in range(15)]
             + [filed("inventory.unit_held", project_id=7, unit_id=new_unit)
                for _ in range(15)])
    random.shuffle(batch)
    with counting(store.engine, "before_cursor_execute") as statements:
        handle_batch(store, batch, file_event, order=filing_order)
    # the inbox; per dossier found: find and lock, head; per dossier opened: find, its row (a
    # unit's announced in the outbox, a customer's file numbered and linked); the documents
    # and their links before each opening and at the commit: 16, where filing event by event
    # took five or more per event
    assert len(statements) <= 16
    with store() as uow:
        dossiers = uow.session.scalars(select(Dossier.id).where(or_(
            Dossier.unit_id.in_([unit_id, new_unit]), Dossier.customer_id == customer_id))
        ).all()
        results = [verify_dossier(uow, dossier_id, None) for dossier_id in dossiers]
        order = uow.session.scalars(select(Document.event_id).where(
            Document.unit_id == unit_id, Document.type == "payment_received")
            .order_by(Document.id)).all()
    assert sorted(r["links"] for r in results) == [15, 16, 21]  # the customer's number too
    assert all(r["ok"] for r in results), results
    assert order == [str(e["event_id"]) for e in batch
                     if e["unit_id"] == unit_id]  # a dossier's events keep their order
