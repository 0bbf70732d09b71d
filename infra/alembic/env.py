from alembic import context

from infra.migrations import owner_metadata, run_migrations

run_migrations(owner_metadata(context.config.get_main_option("owner")))
