"""Alembic, per service: each service keeps its own migrations folder and database.

One environment (infra/alembic) serves them all; each owner's revisions live in its own
`migrations/` folder and its database has its own `alembic_version`.
"""
import importlib

from alembic import command, context
from alembic.config import Config
from sqlalchemy import engine_from_config, pool

from infra.config import REPO_ROOT, database_url

DATABASE_OWNERS = ("leads", "inventory", "transactions", "complaints", "archive", "finance",
                   "gateway")


def migrations_dir(owner: str):
    base = REPO_ROOT / "gateway" if owner == "gateway" else REPO_ROOT / "services" / owner
    return base / "migrations"


def owner_metadata(owner: str):
    module = "gateway.models" if owner == "gateway" else f"services.{owner}.models"
    return importlib.import_module(module).metadata


def alembic_config(owner: str, url: str | None = None) -> Config:
    if owner not in DATABASE_OWNERS:
        raise ValueError(f"unknown database owner {owner}")
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "infra" / "alembic"))
    cfg.set_main_option("version_locations", str(migrations_dir(owner)))
    cfg.set_main_option("owner", owner)
    cfg.set_main_option("sqlalchemy.url", (url or database_url(owner)).replace("%", "%%"))
    return cfg


def upgrade(owner: str, url: str | None = None) -> None:
    command.upgrade(alembic_config(owner, url), "head")


def run_migrations(metadata) -> None:
    """Body of infra/alembic/env.py."""
    cfg = context.config
    if context.is_offline_mode():
        context.configure(url=cfg.get_main_option("sqlalchemy.url"), target_metadata=metadata,
                          literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(cfg.get_section(cfg.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
