"""Reads of personal data (contact details, ID numbers), logged by the service that holds it,
in the transaction of the read: who (`read_by`, as the caller names them; "(not named)"
otherwise), when, what (`kind`, `subject_id`) and why (`purpose`, where the caller gave one).
The queries that read such records take `contracts.audit.ReadAudit`'s fields."""
from sqlalchemy import insert, select

from infra.database import utcnow

NOT_NAMED = "(not named)"


def record(uow, kind: str, subject_id: int, query: dict) -> None:
    """Log one read into the unit of work's `personal_data_reads`; the caller commits."""
    reader = query.get("read_by") or {}
    uow.session.execute(insert(uow.reads).values(
        read_at=utcnow(), kind=kind, subject_id=subject_id,
        reader=reader.get("username") or NOT_NAMED, reader_id=reader.get("user_id"),
        reader_role=reader.get("role"), purpose=query.get("purpose")))


def list_reads(engine, table, kind=None, subject_id=None, limit=100) -> list[dict]:
    """The newest reads first; none where the service keeps no personal data."""
    if table is None:
        return []
    statement = select(table).order_by(table.c.id.desc()).limit(limit)
    if kind is not None:
        statement = statement.where(table.c.kind == kind)
    if subject_id is not None:
        statement = statement.where(table.c.subject_id == subject_id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]
