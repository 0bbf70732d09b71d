"""Who acts, and where: the acting user's scope, carried in the payload of every RPC command
and read that touches a project's units, holds or deals, and checked by the service itself
(an RPC caller is not trusted blindly).

The gateway resolves a user's scope once per token check:
- general managers and admins: every project (`project_ids` null);
- a sales manager (案场经理): the projects their office sells (leads' office → projects), or
  the projects their user is limited to when it names some; none when neither is known;
- everyone else: the projects their user is limited to, every project when it names none;
- a consultant (置业顾问) besides acts only on their own customers' holds and deals
  (`consultant_id`).
"""
from marshmallow import fields, validate

from contracts.base import Id, StrictSchema, load
from contracts.errors import Forbidden, InvalidInput

EVERY_PROJECT_ROLES = ("general_manager", "admin")


class ActorSchema(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=50))
    role = fields.String(required=True, validate=validate.Length(min=1, max=30))
    consultant_id = Id(load_default=None, allow_none=True, metadata={
        "description": "the user's leads consultant (or manager) record"})
    office_ids = fields.List(Id(), load_default=list, metadata={
        "description": "the offices the user works in or manages"})
    project_ids = fields.List(Id(), required=True, allow_none=True, metadata={
        "description": "the projects the user acts on; null for every project"})


def split_actor(payload) -> tuple[dict, dict]:
    """(actor, the rest of the payload): a service takes the acting user's scope out of an RPC
    payload before loading the command or query itself; refused (400 naming `actor`) when it
    is missing or malformed."""
    if not isinstance(payload, dict):
        raise InvalidInput("the request body must be a JSON object", {"_schema": ["not an object"]})
    rest = dict(payload)
    raw = rest.pop("actor", None)
    if raw is None:
        raise InvalidInput("who acts is required: the acting user's scope",
                           {"actor": ["Missing data for required field."]})
    try:
        return load(ActorSchema.shared(), raw), rest
    except InvalidInput as exc:
        raise InvalidInput("the acting user's scope is invalid", {"actor": exc.details}) from None


def actor(username, role, consultant_id=None, office_ids=(), project_ids=None) -> dict:
    """An actor as it travels over RPC."""
    return {"username": username, "role": role, "consultant_id": consultant_id,
            "office_ids": list(office_ids),
            "project_ids": None if project_ids is None else sorted(set(project_ids))}


def every_project(actor: dict) -> bool:
    return actor["project_ids"] is None


def check_project(actor: dict, project_id, field: str = "project_id") -> None:
    """403 naming `field` for a project outside the actor's projects; a record of no known
    project (None, 0) is outside every limited actor's."""
    if actor is None or every_project(actor) or project_id in actor["project_ids"]:
        return
    where = f"project {project_id}" if project_id else "no known project"
    reason = "not one of your projects" if field == "project_id" else \
        f"belongs to {where}, not one of your projects"
    raise Forbidden(f"not your project: {field} belongs to {where}", {field: [reason]})


def check_consultant(actor: dict, consultant_id, field: str = "consultant_id") -> None:
    """A consultant acts only for their own customers: 403 naming `field` otherwise."""
    if actor is None or actor["role"] != "consultant":
        return
    if actor["consultant_id"] is None or consultant_id != actor["consultant_id"]:
        raise Forbidden(f"not your customer: {field} belongs to another consultant",
                        {field: ["belongs to another consultant's customer"]})


def check_record(actor: dict, project_id, consultant_id, field: str) -> None:
    """A hold or a deal: its project in the actor's projects, and a consultant's own."""
    check_consultant(actor, consultant_id, field)
    check_project(actor, project_id, field)
