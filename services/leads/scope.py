"""Managers see their office (issue: privacy): a sales manager's user points at a consultant
record of kind `manager`, whose office is the one they read and act on. General managers and
admins pass no manager and see every office."""
from contracts.errors import Forbidden, NotFound
from services.leads import handlers
from services.leads.models import Consultant


def office(session, manager_id, office_id):
    """The office a request may cover: `office_id` when the manager manages it (or when no
    manager is given), the manager's own office when `office_id` is None."""
    if manager_id is None:
        return office_id
    own = _managed_office(session, manager_id)
    if office_id is not None and office_id != own:
        raise Forbidden("a sales manager sees only their own office", {"office_id": [
            f"office {office_id} is not yours: you manage office {own}"]})
    return own


def customer(session, manager_id, customer_id) -> None:
    """A sales manager reads and acts only on customers of their office."""
    if manager_id is None:
        return
    found = handlers._customer(session, customer_id)
    own = _managed_office(session, manager_id)
    if found.office_id != own:
        raise Forbidden("a sales manager sees only their own office's customers", {
            "office_id": [f"customer {customer_id} is in office {found.office_id}, not in "
                          f"office {own}, which you manage"]})


def consultant(session, manager_id, consultant_id, field="consultant_id") -> None:
    """A sales manager directs and reads only the staff of their office."""
    if manager_id is None:
        return
    found = session.get(Consultant, consultant_id)
    if found is None:
        raise NotFound("unknown consultant", {field: ["unknown consultant"]})
    own = _managed_office(session, manager_id)
    if found.office_id != own:
        raise Forbidden("a sales manager directs only their own office's staff", {
            "office_id": [f"consultant {consultant_id} is in office {found.office_id}, not in "
                          f"office {own}, which you manage"]})


def own_list(acting_consultant_id, consultant_id) -> None:
    """A consultant (acting in their own name) reads only their own customers' list."""
    if acting_consultant_id is not None and acting_consultant_id != consultant_id:
        raise Forbidden("a consultant sees only their own customers",
                        {"consultant_id": [f"consultant {consultant_id} is not you"]})


def registration(session, office_id, manager_id, consultant_id):
    """Visits and calls are registered in one's own office: a sales manager's (the one they
    manage, as `office`), a consultant's when their record is known. Returns the office."""
    found_office = handlers.find_office(session, office_id)
    if manager_id is not None:
        office(session, manager_id, office_id)
        return found_office
    found = None if consultant_id is None else session.get(Consultant, consultant_id)
    if found is not None and found.office_id != office_id:
        raise Forbidden("a consultant registers visitors and callers of their own office only",
                        {"office_id": [f"office {office_id} is not yours: you work in office "
                                       f"{found.office_id}"]})
    return found_office


def _managed_office(session, manager_id) -> int:
    manager = session.get(Consultant, manager_id)
    if manager is None or manager.kind != "manager":
        raise Forbidden("the user is not an office's manager", {"office_id": [
            f"consultant {manager_id} is not an office manager, so no office is yours"]})
    return manager.office_id
