"""Connections to PostgreSQL: pools sized per service, a refusal for too many connections
answered as such (503 too_many_connections), not as a database that is away, and a pooled
connection the server dropped while it sat idle replaced before it is used."""
import json
import uuid
from types import SimpleNamespace

import psycopg2.extensions
import pytest
from nameko.exceptions import RemoteError, serialize
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from gateway.api import api
from gateway.models import metadata as gateway_metadata
from infra import database
from infra.database import make_engine
from infra.dependencies import Database

from tests.conftest import _admin_engine


@pytest.fixture
def limited_url(database_urls):
    """The gateway's test database through a role PostgreSQL lets hold one connection."""
    role = f"anchang_limited_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    url = make_url(database_urls["gateway"])
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
        connection.execute(text(f'GRANT CONNECT ON DATABASE "{url.database}" TO "{role}"'))
    yield url.set(username=role).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                                f"WHERE usename = '{role}'"))
        connection.execute(text(f'REVOKE CONNECT ON DATABASE "{url.database}" FROM "{role}"'))
        connection.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def refused_connection(url):
    """The error PostgreSQL answers when a second connection is one too many."""
    holder = make_engine(url)
    second = make_engine(url)
    with holder.connect():
        try:
            with second.connect():
                pass
        except Exception as exc:
            return exc
        finally:
            second.dispose()
    holder.dispose()
    raise AssertionError("PostgreSQL accepted a connection beyond the role's limit")


def answer(error):
    @api
    def handler(_self, _request):
        raise error
    response = handler(None, None)
    return response.status_code, json.loads(response.get_data())["error"]


def test_the_gateways_database_refusing_more_connections_says_so(limited_url):
    status, error = answer(refused_connection(limited_url))
    assert status == 503
    assert error["code"] == "too_many_connections"
    assert "too many connections" in error["message"]


def test_a_services_database_refusing_more_connections_says_so(limited_url):
    refused = serialize(refused_connection(limited_url))  # as it crosses RPC
    status, error = answer(RemoteError(refused["exc_type"], refused["value"]))
    assert status == 503
    assert error["code"] == "too_many_connections"


def test_a_process_whose_own_pool_stays_full_says_too_many_connections(database_urls):
    engine = create_engine(database_urls["gateway"], pool_size=1, max_overflow=0,
                           pool_timeout=0.2)
    with engine.connect():
        try:
            with engine.connect():
                pass
        except Exception as exc:
            full = exc
    engine.dispose()
    status, error = answer(full)
    assert (status, error["code"]) == (503, "too_many_connections")
    crossed = serialize(full)
    status, error = answer(RemoteError(crossed["exc_type"], crossed["value"]))
    assert (status, error["code"]) == (503, "too_many_connections")


def test_a_database_that_is_away_is_still_unreachable_not_busy():
    engine = make_engine("postgresql+psycopg2://postgres@127.0.0.1:1/none")
    try:
        with engine.connect():
            pass
    except Exception as exc:
        away = exc
    engine.dispose()
    assert answer(away) == (503, {"code": "database_unavailable", "message": (
        "the gateway's database is not reachable; try again shortly"), "fields": {}})


def test_each_service_sizes_its_pool_from_the_environment(monkeypatch, database_urls):
    import psycogreen.eventlet
    monkeypatch.setattr(psycogreen.eventlet, "patch_psycopg", lambda: None)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_urls["gateway"])
    monkeypatch.setenv("GATEWAY_DB_POOL_SIZE", "3")
    monkeypatch.setenv("GATEWAY_DB_MAX_OVERFLOW", "1")
    provider = Database(gateway_metadata, publishes_events=False)
    provider.container = SimpleNamespace(service_name="gateway",
                                         config={"AMQP_URI": "memory://", "max_workers": 10})
    provider.setup()
    try:
        assert (provider.engine.pool.size(), provider.engine.pool._max_overflow) == (3, 1)
    finally:
        provider.engine.dispose()
    monkeypatch.delenv("GATEWAY_DB_POOL_SIZE")
    monkeypatch.delenv("GATEWAY_DB_MAX_OVERFLOW")
    provider.setup()
    try:  # small by default: six processes stay far below PostgreSQL's 100
        assert provider.engine.pool.size() + provider.engine.pool._max_overflow <= 8
    finally:
        provider.engine.dispose()


def backend_of(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def terminate(pid: int) -> None:
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_dropped_while_idle_in_the_pool_is_replaced_before_use(
        database_urls, monkeypatch):
    engine = make_engine(database_urls["gateway"], pool_size=1, max_overflow=0)
    try:
        dropped = backend_of(engine)
        terminate(dropped)  # as a restart of the database would, while the pool sat idle
        monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.0)
        assert backend_of(engine) != dropped  # pinged, found gone, replaced: no error
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged_again(database_urls):
    statements = []

    class Counting(psycopg2.extensions.cursor):
        def execute(self, query, params=None):
            statements.append(query)
            return super().execute(query, params)
    engine = make_engine(database_urls["gateway"], pool_size=1, max_overflow=0)
    event.listen(engine, "connect", lambda dbapi_connection, _record: setattr(
        dbapi_connection, "cursor_factory", Counting))
    try:
        backend_of(engine)
        statements.clear()
        backend_of(engine)
    finally:
        engine.dispose()
    assert statements == ["SELECT pg_backend_pid()"]  # no round trip before it
