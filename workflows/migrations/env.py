"""Alembic environment: one migration chain for the engine's and the domain's tables."""
from alembic import context
from alembic.util import CommandError

import engine.models  # noqa: F401  (registers the engine tables)
import workflows.coordination_thread  # noqa: F401  (coordination requests and thread)
import workflows.models  # noqa: F401  (registers the domain tables)
import workflows.sla  # noqa: F401  (SLA policies, their history, calendar exceptions)
from engine.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from engine.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise CommandError("no database: set sqlalchemy.url (workflows.schema.alembic_config does)")
        with make_engine(url).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
