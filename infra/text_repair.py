"""Repair of text stored before input was checked (contracts.base.text_problem).

Each service's migration calls `repair_text_columns` once: every text and JSON column of
every table loses the characters no record may hold (NUL, control characters other than tab
and newline, lone surrogates). PostgreSQL's `json` keeps such characters as escapes
("\\u0000", "\\ud800"), which is how a customer became unreadable; its text columns can only
hold the control characters. The database narrows the rows to look at where it can; Python
decides exactly (a valid surrogate pair, an emoji, is kept).
"""
import json
import logging

import sqlalchemy as sa

from contracts.base import FORBIDDEN_TEXT, clean_text

log = logging.getLogger(__name__)

# PostgreSQL regular expressions that find every row that may need repair (and a few more)
_PG_TEXT = "[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]"
_PG_JSON = ("\\\\u(000[0-8bcef]|001[0-9a-f]|007f|008[0-9a-f]|009[0-9a-f]|d[89a-f][0-9a-f]{2}|fff[ef])"
            f"|{_PG_TEXT}")
SKIPPED_TABLES = {"alembic_version"}


def clean_value(value):
    """`value` (text or decoded JSON) with every string and key cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_value(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key) if isinstance(key, str) else key: clean_value(item)
                for key, item in value.items()}
    return value


def _needs_repair(value) -> bool:
    if isinstance(value, str):
        return FORBIDDEN_TEXT.search(value) is not None
    if isinstance(value, list):
        return any(_needs_repair(item) for item in value)
    if isinstance(value, dict):
        return any(_needs_repair(key) or _needs_repair(item) for key, item in value.items())
    return False


def _text_columns(inspector, table):
    for column in inspector.get_columns(table):
        kind = column["type"]
        if isinstance(kind, sa.JSON):
            yield column["name"], True
        elif isinstance(kind, (sa.String, sa.Text)) and not isinstance(kind, sa.Enum):
            yield column["name"], False


def repair_text_columns(connection) -> int:
    """Clean every text and JSON column of the database behind `connection`; the number of
    values changed."""
    inspector = sa.inspect(connection)
    postgres = connection.dialect.name == "postgresql"
    changed = 0
    for table in inspector.get_table_names():
        keys = inspector.get_pk_constraint(table).get("constrained_columns") or []
        if table in SKIPPED_TABLES or not keys:
            continue
        for column, is_json in _text_columns(inspector, table):
            changed += _repair_column(connection, table, keys, column, is_json, postgres)
    return changed


def _repair_column(connection, table, keys, column, is_json, postgres) -> int:
    quote = connection.dialect.identifier_preparer.quote
    selected = ", ".join(quote(key) for key in keys)
    where = f"{quote(column)} IS NOT NULL"
    if postgres:
        where += (f" AND {quote(column)}::text ~* '{_PG_JSON}'" if is_json
                  else f" AND {quote(column)} ~ '{_PG_TEXT}'")
    rows = connection.execute(sa.text(
        f"SELECT {selected}, {quote(column)} AS value FROM {quote(table)} WHERE {where}"))
    changes = []
    for row in rows.mappings():
        value = row["value"]
        if is_json and isinstance(value, (str, bytes)):
            value = json.loads(value)
        if _needs_repair(value):
            changes.append(({key: row[key] for key in keys}, clean_value(value)))
    update = sa.text(
        f"UPDATE {quote(table)} SET {quote(column)} = :value WHERE "
        + " AND ".join(f"{quote(key)} = :key_{n}" for n, key in enumerate(keys)))
    if is_json:
        update = update.bindparams(sa.bindparam("value", type_=sa.JSON))
    for key_values, value in changes:
        connection.execute(update, {"value": value, **{f"key_{n}": key_values[key]
                                                       for n, key in enumerate(keys)}})
    if changes:
        log.info("repaired %d values of %s.%s", len(changes), table, column)
    return len(changes)
