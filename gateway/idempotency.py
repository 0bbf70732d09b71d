"""`Idempotency-Key` (IETF draft-ietf-httpapi-idempotency-key-header) on the commands that create
money or a hold: a retried click, or a retry after a 504, answers the first result instead of
acting twice.

A route opts in with `Route(idempotent=True)` (gateway/routes.py); `gateway.api.api` runs such a
request through `run_once` when it carries the header. Keys belong to the user who sent them
and are kept at least 24 hours:

- the same key with the same request (method, path, query and canonical JSON body): the first
  successful answer again, status and body, marked `Idempotent-Replayed: true`;
- the same key with another request: 422 naming the header;
- the same key while its first request is still being answered: 409 naming the header;
- an error answer is not remembered: it changed nothing, so the key is free for a retry.

The gateway cannot replay an answer it never got (the service committed after the gateway gave
up with 504): the key also travels to the service (`service_key`), which keeps it with what it
created and answers a retry with the existing record.
"""
import hashlib
import json
import re
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from contracts.errors import Conflict, IdempotencyKeyReused, InvalidInput
from gateway.models import IdempotencyKey
from infra import config
from infra.database import utcnow

HEADER = "Idempotency-Key"
MAX_LENGTH = 200
IN_FLIGHT, ANSWERED = "in_flight", "answered"
# printable ASCII; the draft's form is a quoted sf-string, a bare token is taken as well
_KEY = re.compile(r'^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$')


def key_of(request) -> str | None:
    """The request's key, None when it sent none; 400 naming the header when it is unusable."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key or len(key) > MAX_LENGTH or not _KEY.match(key):
        raise InvalidInput(f"the {HEADER} header is not a usable key",
                           {HEADER: [f"1 to {MAX_LENGTH} printable ASCII characters"]})
    return key


def service_key(user, request) -> str | None:
    """The key as the service keeps it with what the command created: unique per user."""
    key = key_of(request)
    return None if key is None else f"{user.id}:{key}"


@contextmanager
def header_errors():
    """A service's refusal of a reused key names the header the caller sent it in."""
    try:
        yield
    except IdempotencyKeyReused as exc:
        raise IdempotencyKeyReused(exc.message, {HEADER: exc.details.get(
            "idempotency_key", ["already used with a different request"])}) from None


def request_hash(user_id: int, method: str, path: str, query: str, body: bytes) -> str:
    """A fingerprint of the request: JSON bodies compared by content, not by spacing or key
    order; other bodies byte for byte."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"),
                               ensure_ascii=False) if body else ""
    except ValueError:
        canonical = body.hex()
    text = "\n".join((str(user_id), method.upper(), path, query, canonical))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stale_after() -> timedelta:
    """An in-flight key older than this belongs to a gateway process that died mid-request."""
    return timedelta(seconds=3 * config.rpc_timeout_seconds() + 30)


def claim(session, user_id: int, key: str, fingerprint: str, method: str, path: str,
          now: datetime | None = None):
    """Take the key for this request: returns ("run", row id) when the caller answers it, or
    ("replay", (status, body)) when it was answered before. Raises 422 for a key used with
    another request, 409 while its first request is in flight."""
    now = now or utcnow()
    expires = now + timedelta(hours=config.idempotency_key_hours())
    for _ in range(3):  # an expired or abandoned row is taken over; a race is tried again
        row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                          IdempotencyKey.key == key))
        if row is None:
            row = IdempotencyKey(user_id=user_id, key=key, request_hash=fingerprint,
                                 method=method, path=path[:300], status=IN_FLIGHT,
                                 created_at=now, expires_at=expires)
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                continue
            return "run", row.id
        if row.expires_at <= now:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row.id,
                                                         IdempotencyKey.expires_at <= now))
            session.commit()
            continue
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                f"{HEADER} {key!r} was used with another request ({row.method} {row.path})",
                {HEADER: ["already used with a different request; use a new key"]})
        if row.status == ANSWERED:
            return "replay", (row.response_status, row.response_body)
        taken = session.execute(
            update(IdempotencyKey).where(IdempotencyKey.id == row.id,
                                         IdempotencyKey.status == IN_FLIGHT,
                                         IdempotencyKey.created_at < now - stale_after())
            .values(created_at=now, expires_at=expires))
        session.commit()
        if taken.rowcount == 1:
            return "run", row.id
        raise Conflict(f"a request with {HEADER} {key!r} is still being answered",
                       {HEADER: ["the first request with this key is in progress; retry "
                                 "shortly"]})
    raise Conflict(f"{HEADER} {key!r} is contended", {HEADER: ["retry shortly"]})


def remember(session, row_id: int, status: int, body: str) -> None:
    session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row_id).values(
        status=ANSWERED, response_status=status, response_body=body))
    session.commit()


def release(session, row_id: int) -> None:
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id,
                                                 IdempotencyKey.status == IN_FLIGHT))
    session.commit()


def forget_expired(session, now: datetime | None = None) -> int:
    """Delete the keys past their time; the number deleted."""
    deleted = session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.expires_at <= (now or utcnow())))
    session.commit()
    return deleted.rowcount


def run_once(session_factory, user, request, answer) -> Response:
    """Answer `request` (its key already read) through `answer()` at most once per key; a
    successful answer is kept for replay."""
    key = key_of(request)
    fingerprint = request_hash(user.id, request.method, request.path,
                               request.query_string.decode("latin-1"), request.get_data())
    with session_factory() as session:
        outcome, value = claim(session, user.id, key, fingerprint, request.method,
                               request.path)
    if outcome == "replay":
        status, body = value
        return Response(body, status=status, mimetype="application/json",
                        headers={"Idempotent-Replayed": "true"})
    remembered = False
    try:
        response = answer()
        if 200 <= response.status_code < 300:
            with session_factory() as session:
                remember(session, value, response.status_code, response.get_data(as_text=True))
            remembered = True
        return response
    finally:
        if not remembered:
            with session_factory() as session:
                release(session, value)
