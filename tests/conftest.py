"""Shared fixtures: fresh PostgreSQL databases and a private RabbitMQ vhost per test run.

Integration and e2e tests use the real broker and database (DESIGN.md); nothing is mocked.
"""
import os
import shutil
import subprocess
import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from kombu import Connection
from sqlalchemy import create_engine, text

from infra.migrations import DATABASE_OWNERS, upgrade

PG_SERVER = os.environ.get("ANCHANG_TEST_PG", "postgresql+psycopg2://postgres@127.0.0.1:5432")
AMQP_BASE = os.environ.get("ANCHANG_TEST_AMQP", "pyamqp://guest:guest@127.0.0.1:5672")
RUN_ID = uuid.uuid4().hex[:8]


def office_today() -> date:
    """Today where the offices are (Asia/Shanghai): the day the services count in, which is
    already tomorrow for a machine on UTC after 16:00."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _admin_engine(server: str = PG_SERVER):
    return create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")


def create_database(name: str, server: str = PG_SERVER) -> str:
    """A fresh database on `server` (the machine's PostgreSQL unless told); its URL."""
    engine = _admin_engine(server)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


def drop_database(name: str, server: str = PG_SERVER) -> None:
    engine = _admin_engine(server)
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_urls():
    """One migrated PostgreSQL database per owner, fresh for this run."""
    urls = {}
    for owner in DATABASE_OWNERS:
        urls[owner] = create_database(f"anchang_test_{RUN_ID}_{owner}")
        upgrade(owner, urls[owner])
    yield urls
    for owner in DATABASE_OWNERS:
        drop_database(f"anchang_test_{RUN_ID}_{owner}")


def create_vhost(name: str) -> str:
    """A RabbitMQ vhost of our own, so queues from other runs never interfere; its URI. A
    remote broker (no rabbitmqctl here) is shared through its default vhost."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        return f"{AMQP_BASE}/"
    subprocess.run([rabbitmqctl, "add_vhost", name], check=True, capture_output=True)
    subprocess.run([rabbitmqctl, "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
                   check=True, capture_output=True)
    uri = f"{AMQP_BASE}/{name}"
    with Connection(uri) as connection:
        connection.ensure_connection(max_retries=5)
    return uri


def delete_vhost(name: str) -> None:
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is not None:
        subprocess.run([rabbitmqctl, "delete_vhost", name], capture_output=True)


@pytest.fixture(scope="session")
def amqp_uri():
    vhost = f"anchang-test-{RUN_ID}"
    yield create_vhost(vhost)
    delete_vhost(vhost)
