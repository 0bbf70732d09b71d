"""Column types, the messaging tables every service database has (outbox, inbox and dead
letters), and the log of reads of personal data a service that holds some keeps."""
from datetime import timezone

from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, JSON, LargeBinary, MetaData,
                        String, Table, Text, text)
from sqlalchemy.types import TypeDecorator

# BigInteger ids that are still autoincrement on SQLite
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out on every engine (SQLite keeps no offset of its own)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times must be timezone-aware")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def add_messaging_tables(metadata: MetaData) -> None:
    outbox = Table(
        "outbox", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("routing_key", String(100), nullable=False),
        Column("payload", JSON, nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("published_at", UTCDateTime()),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text),
    )
    Index("ix_outbox_unpublished", outbox.c.id,
          postgresql_where=outbox.c.published_at.is_(None),
          sqlite_where=outbox.c.published_at.is_(None))
    Table(
        "processed_events", metadata,
        Column("event_id", String(36), primary_key=True),
        Column("routing_key", String(100), nullable=False),
        Column("processed_at", UTCDateTime(), nullable=False),
    )
    Table(
        "dead_letters", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("fingerprint", String(64), nullable=False, unique=True),  # sha256 of the body
        Column("event_id", String(36), index=True),
        Column("routing_key", String(200)),
        Column("content_type", String(100)),
        Column("content_encoding", String(50)),
        Column("body", LargeBinary, nullable=False),
        Column("reason", Text, nullable=False),
        Column("status", String(10), nullable=False, index=True),  # dead | replayed
        Column("deaths", Integer, nullable=False, server_default=text("1")),
        Column("first_dead_at", UTCDateTime(), nullable=False),
        Column("last_dead_at", UTCDateTime(), nullable=False),
        Column("replays", Integer, nullable=False, server_default=text("0")),
        Column("replayed_at", UTCDateTime()),
    )


def add_read_log_table(metadata: MetaData) -> Table:
    """`personal_data_reads`: every read of a record with personal data (contact details, ID
    numbers): who, when, what, and why where the caller said (infra.read_log)."""
    return Table(
        "personal_data_reads", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("read_at", UTCDateTime(), nullable=False, index=True),
        Column("kind", String(30), nullable=False),  # customer, order_form, contract, …
        Column("subject_id", BigInteger, nullable=False),
        Column("reader", String(100), nullable=False),
        Column("reader_id", Integer),
        Column("reader_role", String(30)),
        Column("purpose", String(500)),
        Index("ix_personal_data_reads_subject", "kind", "subject_id"),
    )
