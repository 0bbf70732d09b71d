"""Rows stored before input was checked are repaired by each service's migration: no NUL,
control character or lone surrogate is left in a text or JSON column (PostgreSQL)."""
import uuid

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from infra.migrations import DATABASE_OWNERS, alembic_config
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.integration

REPAIR_REVISIONS = {"leads": "leads_0012", "inventory": "inventory_0010",
                    "transactions": "transactions_0010", "complaints": "complaints_0004",
                    "archive": "archive_0004", "gateway": "gateway_0006"}


@pytest.fixture
def old_leads_database():
    """A leads database at the revision before the repair."""
    name = f"anchang_repair_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    command.upgrade(alembic_config("leads", url), "leads_0011")
    yield url
    drop_database(name)


def test_every_service_has_a_repair_migration():
    # finance began after text was checked at the schema: it never stored a bad row
    assert set(REPAIR_REVISIONS) == set(DATABASE_OWNERS) - {"finance"}
    for owner, revision in REPAIR_REVISIONS.items():
        assert ScriptDirectory.from_config(alembic_config(owner)).get_revision(revision), owner


def test_the_leads_migration_repairs_text_and_json_columns(old_leads_database):
    engine = create_engine(old_leads_database)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO offices (id, code, name, region_code, turn_seq, alternate_groups, "
            "recall_days) VALUES (1, 'o-1', E'洛阳\\x01案场\\x1b', 'ly', 0, false, 30)"))
        connection.execute(text(
            "INSERT INTO consultants (id, office_id, name, status, rotation_order, duty_group, "
            "kind) VALUES (1, 1, '王五', 'available', 1, 1, 'sales')"))
        # PostgreSQL's json keeps \u0000 and a lone \ud800 as escapes: how a customer became
        # unreadable; a real surrogate pair (an emoji) stays
        connection.execute(text(
            "INSERT INTO customers (id, code, name, mobile, office_id, consultant_id, channel, "
            "visit_count, call_count, registered_at, profile, archive) VALUES (1, 'ly-zs001', "
            "E'张三\\x07', '13800138000', 1, 1, 'other', 1, 0, now(), "
            "CAST(:profile AS json), CAST(:archive AS json))"),
            {"profile": '{"address": "西工区\\u0000中州路", "residence_area": "x\\ud800y", '
                        '"notes": "好\\ud83d\\ude00\\n下次\\t再来"}',
             "archive": '{"company\\u0001": ["a\\u001fb"]}'})
    command.upgrade(alembic_config("leads", old_leads_database), "head")
    with engine.connect() as connection:
        office = connection.execute(text("SELECT name FROM offices")).scalar_one()
        customer = connection.execute(text(
            "SELECT name, profile, archive FROM customers")).mappings().one()
    engine.dispose()
    assert office == "洛阳案场"
    assert customer["name"] == "张三"
    assert customer["profile"] == {"address": "西工区中州路", "residence_area": "xy",
                                   "notes": "好\U0001F600\n下次\t再来"}
    assert customer["archive"] == {"company": ["ab"]}
