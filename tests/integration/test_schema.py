from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.db import Base, db


def test_migrations_match_models_with_no_difference(app) -> None:  # type: ignore[no-untyped-def]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
