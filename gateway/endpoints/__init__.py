"""The gateway's hand-written route handlers, one mixin per domain (the route table names
them); `gateway.service.GatewayService` joins them."""

from contracts import scope
from contracts.base import load
from contracts.leads import without_contact_details
from contracts.errors import Forbidden
from gateway import auth
from gateway.routes import ReadPurposeQuery
from infra import config

RPC_TIMEOUT = config.rpc_timeout_seconds()


def private_view(user, customer: dict) -> dict:
    """A customer as `user` may see it: contact details (contracts.leads.CONTACT_DETAILS)
    masked or dropped unless it is their own customer."""
    if auth.can_see_contact(user, customer.get("visible_to", [customer.get("consultant_id")])):
        return customer
    return without_contact_details(customer, auth.mask_mobile)


def read_by(user, request=None, purpose=None) -> dict:
    """The `read_by` and `purpose` a read of personal data carries (contracts.audit.ReadAudit):
    the owning service logs the read under this user; `purpose` from the request's query
    (ReadPurposeQuery) or, for the gateway's own checks, the one given."""
    if request is not None:
        purpose = load(ReadPurposeQuery(), dict(request.args)).get("purpose")
    return {"read_by": {"user_id": user.id, "username": user.username, "role": user.role},
            "purpose": purpose}


def as_consultant(user, payload: dict) -> dict:
    """A consultant acts in their own name; managers and finance may name the consultant."""
    if user.role != "consultant":
        return payload
    payload.setdefault("consultant_id", user.consultant_id)
    if payload["consultant_id"] != user.consultant_id:
        raise Forbidden("a consultant acts only in their own name",
                        {"consultant_id": ["must be your own consultant id"]})
    return payload


def acts_on_every_project(user) -> bool:
    """General managers and admins, and users given no project list, are not limited; a sales
    manager always is, to their office's projects (GatewayService._scoped)."""
    return user.role in scope.EVERY_PROJECT_ROLES or (
        user.role != "sales_manager" and not user.project_ids)


def actor(user) -> dict:
    """The user's scope as the services check it (contracts.scope)."""
    return scope.actor(user.username, user.role, user.consultant_id, user.office_ids,
                       None if acts_on_every_project(user) else user.project_ids)


def check_project(user, project_id) -> None:
    """A user given a list of projects (`project_ids`) acts only on those."""
    if not acts_on_every_project(user) and project_id not in user.project_ids:
        raise Forbidden(f"project {project_id} is not one of your projects",
                        {"project_id": ["not one of your projects"]})


def check_own_customer(service, user, customer_id, field="customer_id") -> None:
    """A consultant holds units and takes deposits only for their own customers (leads says
    whose a customer is); everyone else as their role and projects allow."""
    if user.role != "consultant":
        return
    try:
        whose = service.rpc("leads", "get_customer", {
            "customer_id": customer_id, "actor": actor(user),
            **read_by(user, purpose="whose customer this is")})["consultant_id"]
    except Forbidden:  # another office's customer
        whose = None
    if user.consultant_id is None or whose != user.consultant_id:
        raise Forbidden("a consultant acts only for their own customers",
                        {field: [f"customer {customer_id} is another consultant's"]})
