"""Complaints use cases."""
from contracts.errors import NotFound
from infra.database import utcnow
from services.complaints import domain
from services.complaints.models import Complaint


def file_complaint(uow, cmd) -> dict:
    now = utcnow()
    complaint = Complaint(**cmd, status="filed", filed_at=now, due_at=domain.closure_due(now))
    uow.session.add(complaint)
    uow.session.flush()
    uow.emit("complaint_filed", {"complaint_id": complaint.id, "channel": complaint.channel,
                                 "due_at": complaint.due_at},
             project_id=complaint.project_id, unit_id=complaint.unit_id,
             customer_id=complaint.customer_id)
    uow.commit()
    return complaint_view(complaint)


def get_complaint(session, complaint_id) -> dict:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise NotFound("unknown complaint", {"complaint_id": ["unknown complaint"]})
    return complaint_view(complaint)


def complaint_view(complaint) -> dict:
    return {column: getattr(complaint, column) for column in (
        "id", "complainant_name", "contact", "channel", "content", "customer_id", "unit_id",
        "project_id", "status", "filed_at", "due_at")}
