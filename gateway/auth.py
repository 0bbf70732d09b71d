"""Users, roles and bearer tokens."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from cachetools import TTLCache
from sqlalchemy import select

from contracts.errors import Conflict
from gateway.models import Token, User
from infra.database import utcnow

# the roles of the sales office, from the seeds
ROLES = ("consultant", "sales_manager", "call_agent", "finance", "customer_service",
         "archivist", "legal", "general_manager", "admin",
         # who sign the change forms of 第3篇: 销售统计员, 工程部, 审算人员
         "sales_statistician", "engineering", "cost_review",
         # 行政人事部: routes complaints to the handling department, holds to account (第4篇)
         "administration")
MANAGERS = ("sales_manager", "general_manager", "admin")


class Unauthenticated(Exception):
    pass


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str
    consultant_id: int | None = None
    project_ids: list = field(default_factory=list)
    channel_id: int | None = None  # an agency's or the own team's channel (inventory)

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2 ** 14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2 ** 14, r=8, p=1)
    return hmac.compare_digest(candidate.hex(), digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session, username, password, role, consultant_id=None, project_ids=()) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role}")
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username} exists already", {"username": ["already used"]})
    user = User(username=username, password_hash=hash_password(password), role=role,
                consultant_id=consultant_id, project_ids=list(project_ids), active=True)
    session.add(user)
    session.flush()
    return user


def issue_token(session, username, password, ttl_hours: int) -> dict:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or not verify_password(password, user.password_hash):
        raise Unauthenticated("wrong username or password")
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=ttl_hours)
    session.add(Token(token_hash=_token_hash(token), user_id=user.id, expires_at=expires_at))
    return {"token": token, "token_type": "Bearer", "expires_at": expires_at.isoformat(),
            "role": user.role}


class TokenCache:
    """Valid tokens seen in the last `seconds`, so that most requests skip the database.

    A token's own expiry is checked on every request; a user deactivated (or a token deleted)
    keeps access for at most `seconds`. Unknown tokens are never cached."""

    def __init__(self, seconds: float = 30, size: int = 10_000):
        self._entries = TTLCache(maxsize=size, ttl=seconds)

    def get(self, token_hash: str):
        return self._entries.get(token_hash)

    def put(self, token_hash: str, user: "CurrentUser", expires_at) -> None:
        self._entries[token_hash] = (user, expires_at)


def authenticate(session_factory, authorization_header: str | None,
                 cache: TokenCache | None = None) -> CurrentUser:
    """The user behind a bearer token; `session_factory()` opens a session only on a miss."""
    scheme, _, token = (authorization_header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("a bearer token is required")
    token_hash = _token_hash(token.strip())
    cached = cache.get(token_hash) if cache is not None else None
    if cached is None:
        with session_factory() as session:
            row = session.execute(
                select(User, Token.expires_at).join(Token, Token.user_id == User.id)
                .where(Token.token_hash == token_hash)).first()
            if row is None or not row.User.active:
                raise Unauthenticated("the token is unknown or expired")
            user = row.User
            cached = (CurrentUser(user.id, user.username, user.role, user.consultant_id,
                                  list(user.project_ids or []), user.channel_id),
                      row.expires_at)
        if cache is not None:
            cache.put(token_hash, *cached)
    user, expires_at = cached
    if expires_at <= utcnow():
        raise Unauthenticated("the token is unknown or expired")
    return user


def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else "****"


def can_see_contact(user: CurrentUser, visible_to) -> bool:
    """Full contact details only for the people the leads service lists for the customer (their
    consultant and their office's managers, by leads consultant id); general managers and
    admins see every office."""
    return user.role in ("general_manager", "admin") or (
        user.consultant_id is not None and user.consultant_id in (visible_to or ()))
