"""Setting up a database: schema, reference data, demo data. Each step is idempotent."""
from __future__ import annotations

from engine.db import Database
from workflows import demo, open311, reference_data, schema, sla
from workflows.process import make_process_engine
from workflows.routing import seed_lanes


def initialise(db: Database) -> None:
    """Create or upgrade the schema and add the reference data that is missing."""
    schema.upgrade(db)
    with db.transaction() as session:
        seed_lanes(session)
        reference_data.seed_categories(session)
        sla.seed_defaults(session)


def load_demo(db: Database) -> int:
    """Add the demo organisation and complaints that are missing; returns complaints added."""
    with db.transaction() as session:
        reference_data.seed_demo_organisation(session)
    open311.ensure_demo_key(db)
    engine = make_process_engine(db)
    with db.transaction() as session:
        return demo.seed_demo_complaints(session, engine)
