"""Each service's migrations build exactly the schema its models describe."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from infra.migrations import DATABASE_OWNERS, owner_metadata

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("owner", DATABASE_OWNERS)
def test_migrated_database_matches_the_models(database_urls, owner):
    engine = create_engine(database_urls[owner])
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, owner_metadata(owner))
    engine.dispose()
    assert differences == []
