"""Who may act in which office (contracts.scope): every RPC that reads or changes a customer,
a visit, a follow-up, a call list or an office's staff carries the acting user (`actor`), and
the service checks it here, whatever the caller checked before (an RPC caller is not trusted
blindly).

- general managers and admins: every office;
- a sales manager: the office their manager record (the actor's `consultant_id`) manages;
- consultants and call agents: the office of their own record, and only their own
  customers, reminders and numbers;
- everyone else (finance, customer service …) is bound by projects where the record has one
  (a unit, a deal, a complaint: checked by the service that keeps it); a customer, kept by an
  office, is read by them to find the customer's consultant or name, whatever the office."""
from contracts.errors import Forbidden, NotFound
from contracts.scope import EVERY_PROJECT_ROLES
from services.leads import handlers
from services.leads.models import Consultant

MANAGERS = ("sales_manager",) + EVERY_PROJECT_ROLES
OWN_RECORD_ROLES = ("consultant", "call_agent")


def office(session, actor, office_id):
    """The office a request may cover: `office_id` when it is the actor's (any for the roles
    bound by no office), the actor's own office when `office_id` is None."""
    own = _own_office(session, actor)
    if own is None:
        return office_id
    if office_id is not None and office_id != own:
        raise Forbidden(f"{_who(actor)} sees only their own office", {"office_id": [
            f"office {office_id} is not yours: you {_verb(actor)} office {own}"]})
    return own


def customer(session, actor, customer_id) -> None:
    """A customer is read and acted on within the actor's offices."""
    found = handlers._customer(session, customer_id)
    office(session, actor, found.office_id)


def consultant(session, actor, consultant_id, field="consultant_id") -> None:
    """A manager directs and reads the staff of their office; a consultant or an agent only
    themselves."""
    if actor["role"] not in MANAGERS and consultant_id != actor["consultant_id"]:
        raise Forbidden("a consultant or an agent acts only for themselves",
                        {field: [f"consultant {consultant_id} is not you"]})
    found = session.get(Consultant, consultant_id)
    if found is None:
        raise NotFound("unknown consultant", {field: ["unknown consultant"]})
    office(session, actor, found.office_id)


def registration(session, actor, office_id):
    """Visits and calls are registered in one's own office. Returns the office."""
    found_office = handlers.find_office(session, office_id)
    office(session, actor, office_id)
    return found_office


def manager(actor) -> None:
    """Call lists go into one pool for the company: managers import them."""
    if actor["role"] not in MANAGERS:
        raise Forbidden("only managers import call lists",
                        {"role": [f"one of {', '.join(MANAGERS)} is required"]})


def acting_consultant(actor) -> int | None:
    """Who acts on a customer: a manager for the office (None), anyone else in their own name
    (their own customers only)."""
    if actor["role"] in MANAGERS:
        return None
    return own_record(actor)


def own_record(actor) -> int:
    """The actor's own consultant or agent record; refused when the user has none."""
    if actor["consultant_id"] is None:
        raise Forbidden("the user is not linked to a consultant or an agent",
                        {"consultant_id": ["your user is not a consultant"]})
    return actor["consultant_id"]


def _own_office(session, actor) -> int | None:
    """The one office of a sales manager, consultant or agent; None for the other roles."""
    role = actor["role"]
    if role not in OWN_RECORD_ROLES and role != "sales_manager":
        return None
    record = None if actor["consultant_id"] is None else \
        session.get(Consultant, actor["consultant_id"])
    if role == "sales_manager" and (record is None or record.kind != "manager"):
        raise Forbidden("the user is not an office's manager", {"office_id": [
            "your user is not linked to an office's manager record, so no office is yours"]})
    if record is None:
        raise Forbidden("the user is not linked to a consultant or an agent", {"office_id": [
            "your user names no consultant record, so no office is yours"]})
    return record.office_id


def _who(actor) -> str:
    return "a sales manager" if actor["role"] == "sales_manager" else "a consultant or agent"


def _verb(actor) -> str:
    return "manage" if actor["role"] == "sales_manager" else "work in"


def viewer(actor) -> dict:
    """Who exports: whose mobiles the file shows in full, as on screen, and a consultant's
    export holds only their own customers."""
    fields = {"viewer_consultant_id": actor["consultant_id"],
              "viewer_sees_all": actor["role"] in EVERY_PROJECT_ROLES}
    if actor["role"] == "consultant":
        fields["consultant_id"] = own_record(actor)
    return fields
