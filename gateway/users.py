"""User administration and sessions (admins, through the API): create, change role, offices
and projects, reset a password, deactivate; every change is audited (`audit_log`), and every
change that affects a session holds at once in every gateway worker (`auth.bump_generation`).
"""
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from contracts.base import Id, StrictSchema
from contracts.errors import InvalidInput, NotFound
from gateway import auth
from gateway.models import AuditEntry, User

USERNAME = validate.Regexp(r"^[A-Za-z0-9_.@-]{2,50}$",
                           error="2–50 letters, digits, or . _ @ -")


class CreateUserSchema(StrictSchema):
    username = fields.String(required=True, validate=USERNAME)
    password = fields.String(required=True, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(auth.ROLES))
    consultant_id = Id(allow_none=True, metadata={"description": "the user's leads consultant "
                                                                  "(or call agent) id"})
    office_ids = fields.List(Id(), load_default=list)
    project_ids = fields.List(Id(), load_default=list,
                              metadata={"description": "empty: not limited to projects"})
    channel_id = Id(allow_none=True)


class UpdateUserSchema(StrictSchema):
    """Only the fields given change."""
    role = fields.String(validate=validate.OneOf(auth.ROLES))
    consultant_id = Id(allow_none=True)
    office_ids = fields.List(Id())
    project_ids = fields.List(Id())
    channel_id = Id(allow_none=True)


class PasswordResetSchema(StrictSchema):
    password = fields.String(required=True, validate=validate.Length(max=200))


class DeactivationSchema(StrictSchema):
    """No fields; an empty body."""


class SessionsEndedSchema(Schema):
    user_id = fields.Integer()
    sessions_ended = fields.Integer()


class OwnPasswordSchema(StrictSchema):
    current_password = fields.String(required=True, validate=validate.Length(max=200))
    new_password = fields.String(required=True, validate=validate.Length(max=200))


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    role = fields.String(metadata={"enum": list(auth.ROLES)})
    consultant_id = fields.Integer(allow_none=True)
    office_ids = fields.List(fields.Integer())
    project_ids = fields.List(fields.Integer())
    channel_id = fields.Integer(allow_none=True)
    active = fields.Boolean()


class UserListSchema(Schema):
    users = fields.List(fields.Nested(UserSchema))


class AuditQuery(StrictSchema):
    subject = fields.String(validate=validate.Length(max=100),
                            metadata={"description": "e.g. user:7, customer:12"})
    user_id = fields.Integer(validate=validate.Range(min=1), metadata={"description": "who"})
    action = fields.String(validate=validate.Length(max=50))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class AuditEntrySchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    user_id = fields.Integer(allow_none=True)
    username = fields.String()
    action = fields.String()
    subject = fields.String()
    purpose = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    details = fields.Dict()


class AuditListSchema(Schema):
    entries = fields.List(fields.Nested(AuditEntrySchema))


def as_dict(user: User) -> dict:
    return UserSchema().dump(user)


def _user(session, user_id) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found", {"user_id": ["no such user"]})
    return user


def create(session, admin, cmd, address=None) -> dict:
    auth.check_password_policy(cmd["username"], cmd["password"])
    user = auth.create_user(session, cmd["username"], cmd["password"], cmd["role"],
                            cmd.get("consultant_id"), cmd["project_ids"], cmd["office_ids"],
                            cmd.get("channel_id"))
    auth.audit(session, admin.id, admin.username, "user.created", f"user:{user.id}",
               address=address, details={k: v for k, v in cmd.items() if k != "password"})
    return as_dict(user)


def update(session, admin, user_id, changes, address=None) -> dict:
    user = _user(session, user_id)
    before = {name: getattr(user, name) for name in changes}
    for name, value in changes.items():
        setattr(user, name, value)
    if changes:
        auth.bump_generation(session)  # cached sessions take the new role and scope at once
        auth.audit(session, admin.id, admin.username, "user.changed", f"user:{user.id}",
                   address=address, details={"before": before, "after": changes})
    session.flush()
    return as_dict(user)


def reset_password(session, admin, user_id, password, address=None) -> dict:
    """A new password; the user's sessions end (they log in with the new one)."""
    user = _user(session, user_id)
    auth.check_password_policy(user.username, password)
    user.password_hash = auth.hash_password(password)
    ended = auth.revoke(session, user_id=user.id)
    auth.audit(session, admin.id, admin.username, "user.password_reset", f"user:{user.id}",
               address=address, details={"sessions_ended": ended})
    return as_dict(user)


def change_own_password(session, me, current_password, new_password, address=None) -> None:
    """The user's own change; their other sessions end, this one too (log in again)."""
    user = _user(session, me.id)
    if not auth.verify_password(current_password, user.password_hash):
        raise InvalidInput("the current password is wrong",
                           {"current_password": ["wrong password"]})
    auth.check_password_policy(user.username, new_password)
    user.password_hash = auth.hash_password(new_password)
    ended = auth.revoke(session, user_id=user.id)
    auth.audit(session, me.id, me.username, "user.password_changed", f"user:{user.id}",
               address=address, details={"sessions_ended": ended})


def deactivate(session, admin, user_id, address=None) -> dict:
    """The user can no longer log in, and every session of theirs ends now."""
    user = _user(session, user_id)
    if user.id == admin.id:
        raise InvalidInput("an admin does not deactivate themselves",
                           {"user_id": ["your own account"]})
    user.active = False
    ended = auth.revoke(session, user_id=user.id)
    auth.audit(session, admin.id, admin.username, "user.deactivated", f"user:{user.id}",
               address=address, details={"sessions_ended": ended})
    return as_dict(user)


def revoke_sessions(session, admin, user_id, address=None) -> dict:
    user = _user(session, user_id)
    ended = auth.revoke(session, user_id=user.id)
    auth.audit(session, admin.id, admin.username, "sessions.revoked", f"user:{user.id}",
               address=address, details={"sessions_ended": ended})
    return {"user_id": user.id, "sessions_ended": ended}


def log_out(session, me, token_hash, address=None) -> None:
    auth.revoke(session, token_hash=token_hash)
    auth.audit(session, me.id, me.username, "session.ended", f"user:{me.id}", address=address)


def list_users(session) -> dict:
    return {"users": [as_dict(user) for user in session.scalars(select(User).order_by(User.id))]}


def get(session, user_id) -> dict:
    return as_dict(_user(session, user_id))


def audit_entries(session, query) -> dict:
    statement = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(query["limit"])
    for name in ("subject", "user_id", "action"):
        if name in query:
            statement = statement.where(getattr(AuditEntry, name) == query[name])
    return {"entries": AuditEntrySchema(many=True).dump(session.scalars(statement))}
