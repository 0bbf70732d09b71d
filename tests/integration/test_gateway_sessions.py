"""Users and sessions against the gateway's real database. Two TokenCaches stand for two
gateway workers (processes) sharing that database: a revocation, deactivation or role change
made through one holds at once in the other, though both had the token cached."""
import hashlib
import uuid
from types import SimpleNamespace

import pytest
from sqlalchemy import delete, select, text

from contracts.errors import Conflict, InvalidInput
from gateway import auth, users
from gateway.models import AuditEntry, LoginThrottle
from gateway.service import GatewayService

LIMITS = auth.LoginLimits(per_user=3, per_address=5, seconds=60)


@pytest.fixture
def gateway_db(stores):
    store = stores["gateway"]
    with store.engine.begin() as connection:
        connection.execute(delete(LoginThrottle))
    return store


def run(store, fn, *args, commit_on_error=False):
    with store() as uow:
        try:
            result = fn(uow.session, *args)
        except Exception:
            if commit_on_error:
                uow.commit()
            raise
        uow.commit()
        return result


def name(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def admin(gateway_db):
    username = name("admin")
    user = run(gateway_db, auth.create_user, username, "office-keys-2026", "admin")
    return auth.CurrentUser(user.id, username, "admin")


def log_in(store, username, password, address="10.0.0.1"):
    token = run(store, auth.issue_token, username, password, 12, address, LIMITS,
                commit_on_error=True)
    return f"Bearer {token['token']}"


def create(store, admin, **fields):
    cmd = {"username": name(), "password": "sand-table-0931", "role": "consultant",
           "office_ids": [1], "project_ids": [], **fields}
    return run(store, users.create, admin, cmd), cmd


def test_logout_holds_at_once_in_every_worker(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    bearer = log_in(gateway_db, cmd["username"], cmd["password"])
    worker_a, worker_b = auth.TokenCache(), auth.TokenCache()
    me = auth.authenticate(gateway_db.session_factory, bearer, worker_a)
    assert auth.authenticate(gateway_db.session_factory, bearer, worker_b) == me
    assert me.office_ids == [1]

    run(gateway_db, users.log_out, me, auth.token_hash_of(bearer))
    for worker in (worker_a, worker_b):
        with pytest.raises(auth.Unauthenticated):
            auth.authenticate(gateway_db.session_factory, bearer, worker)


def test_deactivation_ends_every_session_at_once_and_logins_stop(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    sessions = [log_in(gateway_db, cmd["username"], cmd["password"]) for _ in range(2)]
    worker = auth.TokenCache()
    for bearer in sessions:
        auth.authenticate(gateway_db.session_factory, bearer, worker)

    assert run(gateway_db, users.deactivate, admin, created["id"])["active"] is False
    for bearer in sessions:
        with pytest.raises(auth.Unauthenticated):
            auth.authenticate(gateway_db.session_factory, bearer, worker)
    with pytest.raises(auth.Unauthenticated):
        log_in(gateway_db, cmd["username"], cmd["password"])


def test_a_role_and_scope_change_reaches_cached_sessions_at_once(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    bearer = log_in(gateway_db, cmd["username"], cmd["password"])
    worker = auth.TokenCache()
    assert auth.authenticate(gateway_db.session_factory, bearer, worker).role == "consultant"
    run(gateway_db, users.update, admin, created["id"],
        {"role": "sales_manager", "office_ids": [2, 3], "project_ids": [7]})
    me = auth.authenticate(gateway_db.session_factory, bearer, worker)
    assert (me.role, me.office_ids, me.project_ids) == ("sales_manager", [2, 3], [7])


def test_a_password_reset_keeps_the_policy_and_ends_the_sessions(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    bearer = log_in(gateway_db, cmd["username"], cmd["password"])
    with pytest.raises(InvalidInput) as refused:
        run(gateway_db, users.reset_password, admin, created["id"], cmd["username"] + "-new1")
    assert "password" in refused.value.details
    run(gateway_db, users.reset_password, admin, created["id"], "show-flat-7788")
    with pytest.raises(auth.Unauthenticated):
        auth.authenticate(gateway_db.session_factory, bearer, auth.TokenCache())
    log_in(gateway_db, cmd["username"], "show-flat-7788")


def test_creating_a_user_keeps_the_policy_and_refuses_a_taken_name(gateway_db, admin):
    with pytest.raises(InvalidInput):
        create(gateway_db, admin, password="short")
    created, cmd = create(gateway_db, admin)
    with pytest.raises(Conflict):
        create(gateway_db, admin, username=cmd["username"])


def test_every_administration_step_is_audited_with_who_when_what(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    user_id = created["id"]
    run(gateway_db, users.update, admin, user_id, {"role": "finance"})
    run(gateway_db, users.reset_password, admin, user_id, "show-flat-7788")
    run(gateway_db, users.revoke_sessions, admin, user_id)
    run(gateway_db, users.deactivate, admin, user_id)
    entries = run(gateway_db, users.audit_entries, {"subject": f"user:{user_id}", "limit": 10})
    entries = entries["entries"][::-1]
    assert [e["action"] for e in entries] == [
        "user.created", "user.changed", "user.password_reset", "sessions.revoked",
        "user.deactivated"]
    assert all(e["user_id"] == admin.id and e["username"] == admin.username
               and e["occurred_at"] for e in entries)
    assert entries[1]["details"] == {"before": {"role": "consultant"},
                                     "after": {"role": "finance"}}
    assert "password" not in entries[0]["details"]


def test_logins_are_throttled_per_user_name_across_workers(gateway_db, admin):
    created, cmd = create(gateway_db, admin)
    for attempt in range(LIMITS.per_user):
        with pytest.raises(auth.Unauthenticated):  # each through a fresh session: any worker
            log_in(gateway_db, cmd["username"], "wrong-password", f"10.1.0.{attempt}")
    with pytest.raises(auth.TooManyAttempts) as blocked:
        log_in(gateway_db, cmd["username"], cmd["password"], "10.1.0.99")  # even the right one
    assert 0 < blocked.value.retry_after <= LIMITS.seconds
    other, other_cmd = create(gateway_db, admin)
    log_in(gateway_db, other_cmd["username"], other_cmd["password"])  # others are not blocked


def test_logins_are_throttled_per_address(gateway_db, admin):
    for _ in range(LIMITS.per_address):
        with pytest.raises(auth.Unauthenticated):
            log_in(gateway_db, name("nobody"), "wrong-password", "10.2.0.1")
    created, cmd = create(gateway_db, admin)
    with pytest.raises(auth.TooManyAttempts):
        log_in(gateway_db, cmd["username"], cmd["password"], "10.2.0.1")
    log_in(gateway_db, cmd["username"], cmd["password"], "10.2.0.2")


def test_an_unknown_name_costs_the_same_password_hash_as_a_known_one(gateway_db, admin,
                                                                     monkeypatch):
    created, cmd = create(gateway_db, admin)
    auth._dummy_hash()  # made once per process, before the first login
    calls = []
    real_scrypt = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real_scrypt(*a, **k))
    for username in (cmd["username"], name("nobody")):
        with pytest.raises(auth.Unauthenticated):
            log_in(gateway_db, username, "wrong-password", "10.3.0.1")
    assert calls == [1, 1]
    with gateway_db.session_factory() as session:
        failed = session.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "login.failed", AuditEntry.address == "10.3.0.1")).all()
    assert len(failed) == 2


def test_the_token_check_reads_without_a_transaction_of_its_own(gateway_db, admin):
    """Each request's token check is one SELECT in autocommit: no BEGIN and ROLLBACK round
    trips around it (each statement is its own transaction, so now() moves between two)."""
    worker = SimpleNamespace(db=SimpleNamespace(engine=gateway_db.engine))
    with GatewayService._read_session(worker) as session:
        first = session.scalar(text("SELECT now()"))
        second = session.scalar(text("SELECT now()"))
    assert first < second
    bearer = log_in(gateway_db, admin.username, "office-keys-2026")
    assert auth.authenticate(lambda: GatewayService._read_session(worker), bearer,
                             auth.TokenCache()).username == admin.username
