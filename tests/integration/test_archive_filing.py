"""The archive files events on PostgreSQL: one document per event, one dossier per unit; a
customer's events before any unit go to the customer's own file."""
import json
import random

import pytest
from sqlalchemy import func, select

from contracts.envelope import parse_event
from infra.database import handle_once
from services.archive.handlers import file_event
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
