"""Users, roles and bearer tokens: the password policy, login throttling, revocation."""
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache, partial

from cachetools import TTLCache

from sqlalchemy import create_engine, delete, event, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from contracts.errors import Conflict, InvalidInput
from gateway.models import AuditEntry, AuthGeneration, LoginThrottle, Token, User
from infra.database import _set_role, utcnow

# the roles of the sales office, from the seeds
ROLES = ("consultant", "sales_manager", "call_agent", "finance", "customer_service",
         "archivist", "legal", "general_manager", "admin",
         # who sign the change forms of 第3篇: 销售统计员, 工程部, 审算人员
         "sales_statistician", "engineering", "cost_review",
         # 行政人事部: routes complaints to the handling department, holds to account (第4篇)
         "administration")
MANAGERS = ("sales_manager", "general_manager", "admin")


PASSWORD_MIN_LENGTH = 10


class Unauthenticated(Exception):
    pass


class TooManyAttempts(Exception):
    """Logins refused for a while after too many failures (429 with Retry-After)."""
    code = "too_many_attempts"

    def __init__(self, message, retry_after: int, details=None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.details = details or {}


@dataclass(frozen=True)
class LoginLimits:
    """Failures allowed per user name and per address within `seconds`; past them, logins
    from there wait out `seconds` from the last failure."""
    per_user: int = 5
    per_address: int = 20
    seconds: int = 300


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str
    consultant_id: int | None = None
    project_ids: list = field(default_factory=list)
    channel_id: int | None = None  # an agency's or the own team's channel (inventory)
    office_ids: list = field(default_factory=list)  # a sales manager's: from leads

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


@cache
def _dummy_hash() -> str:
    """What an unknown user name's password is checked against, so that a login for a name
    that does not exist costs the same scrypt as one for a name that does."""
    return hash_password(secrets.token_urlsafe(16))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_policy(username: str, password: str) -> None:
    """At least PASSWORD_MIN_LENGTH characters, 4 different ones, and neither the user name
    nor containing it (case aside); InvalidInput naming `password` lists what is missing."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"at least {PASSWORD_MIN_LENGTH} characters")
    if username and username.casefold() in password.casefold():
        problems.append("must not be or contain the user name")
    if len(set(password)) < 4:
        problems.append("at least 4 different characters")
    if problems:
        raise InvalidInput("the password does not meet the policy", {"password": problems})


def check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role}", {"role": [f"one of {', '.join(ROLES)}"]})


def create_user(session, username, password, role, consultant_id=None, project_ids=(),
                office_ids=(), channel_id=None) -> User:
    check_role(role)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username} exists already", {"username": ["already used"]})
    user = User(username=username, password_hash=hash_password(password), role=role,
                consultant_id=consultant_id, project_ids=list(project_ids),
                office_ids=list(office_ids), channel_id=channel_id, active=True)
    session.add(user)
    session.flush()
    return user


def issue_token(session, username, password, ttl_hours: int, address: str | None = None,
                limits: LoginLimits = LoginLimits()) -> dict:
    """A new token for a right user name and password. Refused with TooManyAttempts while the
    name or the address is blocked; an unknown or inactive name costs the same time as a
    wrong password. The caller commits even when this raises: failures are counted."""
    keys = [f"user:{username.casefold()[:100]}"] + ([f"address:{address}"] if address else [])
    _refuse_while_blocked(session, keys)
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    stored = user.password_hash if user is not None else _dummy_hash()
    if not verify_password(password, stored) or user is None:
        _count_failure(session, keys[0], limits.per_user, limits.seconds)
        if address:
            _count_failure(session, keys[1], limits.per_address, limits.seconds)
        audit(session, None, username[:50], "login.failed", f"user:{username[:90]}",
              address=address)
        raise Unauthenticated("wrong username or password")
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(hours=ttl_hours)
    session.add(Token(token_hash=_token_hash(token), user_id=user.id, expires_at=expires_at))
    return {"token": token, "token_type": "Bearer", "expires_at": expires_at.isoformat(),
            "role": user.role, "consultant_id": user.consultant_id}


def _refuse_while_blocked(session, keys) -> None:
    now = utcnow()
    blocked = session.scalars(select(LoginThrottle.blocked_until).where(
        LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now)).all()
    if blocked:
        retry_after = max(1, math.ceil((max(blocked) - now).total_seconds()))
        raise TooManyAttempts(f"too many failed logins; try again in {retry_after} s",
                              retry_after, {"username": ["too many failed logins"]})


def _count_failure(session, key, limit, seconds) -> None:
    """One more failure for `key` (a row shared by every gateway worker); the window restarts
    after `seconds` without a block, and reaching `limit` blocks for `seconds`."""
    now = utcnow()
    window_start = now - timedelta(seconds=seconds)
    row = LoginThrottle.__table__
    for _ in range(3):
        restarted = session.execute(update(row).where(
            row.c.key == key, row.c.window_started_at <= window_start,
            row.c.blocked_until.is_(None) | (row.c.blocked_until <= now))
            .values(failures=1, window_started_at=now, blocked_until=None)).rowcount
        if not restarted:
            counted = session.execute(update(row).where(row.c.key == key)
                                      .values(failures=row.c.failures + 1)).rowcount
            if not counted:
                try:
                    with session.begin_nested():
                        session.execute(insert(row).values(key=key, failures=1,
                                                           window_started_at=now))
                except IntegrityError:
                    continue  # another worker inserted it first: count on its row
        session.execute(update(row).where(row.c.key == key, row.c.failures >= limit)
                        .values(blocked_until=now + timedelta(seconds=seconds)))
        return


def revoke(session, token_hash: str | None = None, user_id: int | None = None) -> int:
    """Delete one token or all of a user's, and bump the generation in the same transaction:
    every gateway worker forgets its cached tokens before the next request."""
    statement = delete(Token)
    statement = (statement.where(Token.token_hash == token_hash) if token_hash is not None
                 else statement.where(Token.user_id == user_id))
    count = session.execute(statement).rowcount
    bump_generation(session)
    return count


def bump_generation(session) -> None:
    """Cached tokens of every worker are read again: a user's role, scope or activity changed,
    or a token was revoked."""
    session.execute(update(AuthGeneration).where(AuthGeneration.id == 1)
                    .values(generation=AuthGeneration.generation + 1))


def audit(session, user_id, username, action, subject, purpose=None, address=None,
          details=None) -> None:
    """One row of the audit log: who (`user_id`, `username`), what (`action` on `subject`),
    why (`purpose`), from where, and when (now)."""
    session.execute(insert(AuditEntry).values(
        occurred_at=utcnow(), user_id=user_id, username=username, action=action,
        subject=subject, purpose=purpose, address=address, details=details or {}))


class TokenCache:
    """Valid tokens seen in the last `seconds`, each with the generation (AuthGeneration) it
    was read under, so that most requests skip the join of tokens and users.

    A token's own expiry is checked on every request; an entry of an older generation is
    read again, so a revocation, deactivation or role change holds at once in every worker.
    Unknown tokens are never cached."""

    def __init__(self, seconds: float = 30, size: int = 10_000):
        self._entries = TTLCache(maxsize=size, ttl=seconds)

    def get(self, token_hash: str, generation: int):
        entry = self._entries.get(token_hash)
        if entry is None or entry[2] != generation:
            return None
        return entry[:2]

    def put(self, token_hash: str, user: "CurrentUser", expires_at, generation: int) -> None:
        self._entries[token_hash] = (user, expires_at, generation)


GENERATION = select(AuthGeneration.generation).where(AuthGeneration.id == 1)


class GenerationReader:
    """The generation, read on connections of its own: kept open, in autocommit (no
    transaction to begin or roll back) and without the pool's ping before each use, since the
    read is its own check: a connection found dropped is replaced and the read made again,
    once. A request with a cached token costs this one round trip."""

    def __init__(self, url: str, role: str | None = None, connections: int = 2):
        self.engine = create_engine(url, pool_size=connections, max_overflow=0,
                                    pool_recycle=1800, isolation_level="AUTOCOMMIT")
        if role:
            event.listen(self.engine, "connect", partial(_set_role, role))

    def __call__(self) -> int:
        for attempt in range(2):
            try:
                with self.engine.connect() as connection:
                    return connection.scalar(GENERATION) or 0
            except DBAPIError as error:
                if attempt or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")


def authenticate(session_factory, authorization_header: str | None,
                 cache: TokenCache | None = None, generation=None) -> CurrentUser:
    """The user behind a bearer token. Each request reads the one-row generation (by
    `generation()` when given, else in the session); the token and its user are read only on
    a cache miss or after a revocation anywhere."""
    scheme, _, token = (authorization_header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("a bearer token is required")
    token_hash = _token_hash(token.strip())
    cached = None
    if cache is not None and generation is not None:
        cached = cache.get(token_hash, generation())
    if cached is None:
        cached = _read_token(session_factory, token_hash, cache)
    user, expires_at = cached
    if expires_at <= utcnow():
        raise Unauthenticated("the token is unknown or expired")
    return user


def _read_token(session_factory, token_hash, cache):
    with session_factory() as session:
        generation = session.scalar(GENERATION) or 0
        cached = cache.get(token_hash, generation) if cache is not None else None
        if cached is None:
            row = session.execute(
                select(User, Token.expires_at).join(Token, Token.user_id == User.id)
                .where(Token.token_hash == token_hash)).first()
            if row is None or not row.User.active:
                raise Unauthenticated("the token is unknown or expired")
            cached = (current_user(row.User), row.expires_at)
            if cache is not None:
                cache.put(token_hash, *cached, generation)
    return cached


def token_hash_of(authorization_header: str) -> str:
    return _token_hash(authorization_header.partition(" ")[2].strip())


def current_user(user: User) -> CurrentUser:
    return CurrentUser(user.id, user.username, user.role, user.consultant_id,
                       list(user.project_ids or []), user.channel_id, list(user.office_ids or []))


def mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else "****"


def can_see_contact(user: CurrentUser, visible_to) -> bool:
    """Full contact details only for the people the leads service lists for the customer (their
    consultant and their office's managers, by leads consultant id); general managers and
    admins see every office."""
    return user.role in ("general_manager", "admin") or (
        user.consultant_id is not None and user.consultant_id in (visible_to or ()))
