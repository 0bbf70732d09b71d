import pytest
from sqlalchemy import update
from sqlalchemy.orm import sessionmaker

from infra.database import UnitOfWork, make_engine, utcnow
from infra.migrations import owner_metadata


class Store:
    """A service's database as its handlers see it: a unit-of-work factory (no relay)."""

    def __init__(self, owner, url, role=None):
        # bursts of up to 50 threads; connections beyond 5 close when returned, so the
        # server's 100-connection limit is not used up by idle pools. Without `role` the
        # tests' superuser, to reach behind a service's back; with it, as the service acts.
        self.engine = make_engine(url, pool_size=5, max_overflow=50, role=role)
        self.metadata = owner_metadata(owner)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.owner = owner

    def __call__(self, correlation_id=None):
        return UnitOfWork(self.session_factory, self.metadata, self.owner, None, correlation_id)


@pytest.fixture(scope="module")
def stores(database_urls):
    stores = {owner: Store(owner, url) for owner, url in database_urls.items()}
    yield stores
    for store in stores.values():
        outbox = store.metadata.tables.get("outbox")
        if outbox is not None:  # these tests publish nothing; the e2e services must not either
            with store.engine.begin() as connection:
                connection.execute(update(outbox).where(outbox.c.published_at.is_(None))
                                   .values(published_at=utcnow()))
        store.engine.dispose()
