"""Database access: the declarative base, engines for SQLite and PostgreSQL, transactions.

Every command runs inside `Database.transaction()`: one transaction that commits when the
block ends and rolls back on any exception, so nothing is ever half-saved.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timezone
from typing import Iterator

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by engine and workflow tables (one schema, one migration chain)."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every backend (SQLite stores no zone, so we restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Tindak stores aware UTC only")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def make_engine(url: str, *, writer: bool = True, **kwargs) -> Engine:
    """Create an SQLAlchemy engine tuned for Tindak on SQLite or PostgreSQL.

    On SQLite a `writer` engine starts its transactions with BEGIN IMMEDIATE; a reader's
    transactions are plain snapshots that never wait for writers (WAL).
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine, "BEGIN IMMEDIATE" if writer else "BEGIN")
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _tune_sqlite(engine: Engine, begin: str) -> None:
    # pysqlite's own transaction handling defers BEGIN and so lets two writers read the same
    # version and deadlock on upgrade; BEGIN IMMEDIATE takes the write lock up front instead.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(begin)


class Database:
    """One database: an engine plus a session factory."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL reads and writes share one pool; SQLite reads get their own non-locking one
        self.read_engine = (make_engine(url, writer=False, **engine_kwargs)
                            if self.engine.dialect.name == "sqlite" else self.engine)
        self.read_sessionmaker = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back whole."""
        with self.sessionmaker() as session:
            with session.begin():
                yield session

    def session(self) -> Session:
        """A session for reading (the caller closes it); it never blocks a writer."""
        return self.read_sessionmaker()

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()

