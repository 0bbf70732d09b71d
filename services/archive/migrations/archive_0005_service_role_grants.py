"""the service's role: records may be read and inserted, never updated, deleted or truncated

Revision ID: archive_0005
Revises: archive_0004
Create Date: 2026-11-30 14:30:00

On PostgreSQL the archive's connections act as their own role (`ARCHIVE_DB_ROLE`,
`anchang_archive` by default; `infra.database.make_engine` sets it on every connection). This
creates that role when it does not exist (NOLOGIN: a login user is made a member of it, or
the tests' superuser `SET ROLE`s to it) and grants it SELECT and INSERT on every table, UPDATE
and DELETE only on the job and messaging tables, and nothing more: no UPDATE, DELETE or
TRUNCATE on any record or log table, so the database refuses them for lack of privilege even
where the trigger of archive_0003 were gone. Tables created later by the same migrating user
get SELECT and INSERT by default, and nothing more unless their migration grants it.

SQLite has no roles: there the trigger of archive_0003 remains what refuses the change.
"""
from typing import Sequence, Union

from alembic import op

from infra import config


revision: str = 'archive_0005'
down_revision: Union[str, Sequence[str], None] = 'archive_0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# as of this revision (models.APPEND_ONLY may grow; a later migration grants its own tables)
RECORDS = ("dossiers", "dossier_numbers", "documents", "dossier_reads", "chain_links",
           "dossier_references", "stored_files", "paper_volumes", "loans", "loan_returns",
           "external_requests", "external_approvals", "project_milestones",
           "inspection_plans", "inspection_findings", "fixity_runs", "calendar_entries")
# what the service itself changes: the verification job's progress, the outbox's published
# marks, the inbox, the dead letters' status
CHANGING = ("verification_runs", "outbox", "processed_events", "dead_letters")


def role() -> str:
    return config.database_role("archive") or config.SERVICE_ROLES["archive"]


def quoted(name: str) -> str:
    return '"%s"' % name.replace('"', '""')


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    name = role()
    literal = name.replace("'", "''")
    # roles belong to the whole server; another database's migration may create it at the
    # same moment, hence the two errors ignored
    op.execute(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{literal}') THEN
                CREATE ROLE {quoted(name)} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$""")
    who = quoted(name)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {who}")
    for table in RECORDS + CHANGING:
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC, {who}")
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {who}")
    for table in CHANGING:
        op.execute(f"GRANT UPDATE, DELETE ON {table} TO {who}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT ON TABLES "
               f"TO {who}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES "
               f"TO {who}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    who = quoted(role())
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {who}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {who}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {who}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {who}")
    # the role stays: it is the server's, and other databases may grant to it
