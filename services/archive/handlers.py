"""Archive use cases: file every domain event into its unit's dossier; log every read."""
from sqlalchemy import and_, insert, or_, select
from sqlalchemy.exc import IntegrityError

from contracts.envelope import REGISTRY
from contracts.errors import NotFound
from infra.database import insert_into, utcnow
from services.archive.models import Dossier, Document, DossierRead


def file_event(uow, event) -> None:
    dossier_id = _dossier_for(uow, event) if event["unit_id"] is not None else None
    data = REGISTRY[f"{event['source']}.{event['type']}"].validator.dump(event["data"])
    uow.session.execute(insert_into(Document.__table__), {
        "event_id": str(event["event_id"]), "dossier_id": dossier_id,
        "unit_id": event["unit_id"], "customer_id": event["customer_id"],
        "project_id": event["project_id"], "source": event["source"], "type": event["type"],
        "occurred_at": event["occurred_at"], "data": data, "filed_at": utcnow()})


def _dossier_for(uow, event) -> int:
    """The id of the unit's dossier, opened now when it has none."""
    session = uow.session
    find = select(Dossier.id).where(Dossier.unit_id == event["unit_id"])
    dossier_id = session.scalar(find)
    if dossier_id is not None:
        return dossier_id
    try:
        with session.begin_nested():
            dossier_id = session.execute(
                insert(Dossier).returning(Dossier.id),
                {"unit_id": event["unit_id"], "project_id": event["project_id"],
                 "opened_at": utcnow()}).scalar_one()
    except IntegrityError:  # opened by a concurrent event of the same unit
        return session.scalar(find)
    uow.emit("dossier_opened", {"dossier_id": dossier_id}, project_id=event["project_id"],
             unit_id=event["unit_id"], customer_id=event["customer_id"])
    return dossier_id


def read_dossier(uow, query) -> dict:
    """The unit's timeline in order, with the earlier history (visits, registration) of every
    customer who appears in it. The read is logged before anything is returned."""
    session = uow.session
    dossier = session.scalar(select(Dossier).where(Dossier.unit_id == query["unit_id"]))
    if dossier is None:
        raise NotFound(f"no dossier for unit {query['unit_id']}", {"unit_id": ["no dossier"]})
    session.add(DossierRead(dossier_id=dossier.id, reader=query["reader"],
                            purpose=query["purpose"], read_at=utcnow()))
    uow.commit()
    customer_ids = sorted(set(session.scalars(
        select(Document.customer_id).where(Document.dossier_id == dossier.id,
                                           Document.customer_id.is_not(None)))))
    documents = session.scalars(
        select(Document).where(or_(
            Document.dossier_id == dossier.id,
            and_(Document.dossier_id.is_(None), Document.customer_id.in_(customer_ids))))
        .order_by(Document.occurred_at, Document.id)).all()
    return {"id": dossier.id, "unit_id": dossier.unit_id, "project_id": dossier.project_id,
            "opened_at": dossier.opened_at, "customer_ids": customer_ids,
            "entries": [{"event_id": d.event_id, "type": d.type, "source": d.source,
                         "occurred_at": d.occurred_at, "customer_id": d.customer_id,
                         "unit_id": d.unit_id, "data": d.data} for d in documents]}
