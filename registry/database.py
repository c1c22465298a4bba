"""Database wiring: the declarative base, typed column aliases, the engine and the per-request session.

The session's lifecycle belongs to the edge (a request, a CLI command, a test), never to the services: a
service receives a ``Session`` and flushes; the view or command that called it commits once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar

import click
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from sqlalchemy import JSON, BigInteger, DateTime, Engine, MetaData, String, create_engine, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from registry.private_files import PRIVATE_FILE, create_private_file, restrict

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine.

    SQLite has no time zones, so values are stored as naive UTC and handed back aware; a naive datetime
    given to the database is a programming error, not something to guess about.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column; use datetime.now(UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StrEnumType(TypeDecorator[Any]):
    """A ``StrEnum`` stored by value in a VARCHAR; the allowed values are a named CHECK constraint on the
    table (written out in the model, so migrations see it), and reads hand back the enum member."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[enum.StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_class(value).value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.enum_class(value)


MICRO = 10**6


class MicroDecimal(TypeDecorator[Decimal]):
    """An exact decimal with six places, stored as a whole number of millionths in a BIGINT.

    SQLite has no exact decimal type (SQLAlchemy's Numeric goes through floats there), and footprints must
    add up exactly on both engines and sort in SQL; an integer count of millionths does both. CHECK
    constraints on such columns are written in millionths (``MICRO``).
    """

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * MICRO
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than six decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(value) / MICRO).normalize() + Decimal(0)


def in_check(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def enum_check(column: str, enum_class: type[enum.StrEnum]) -> str:
    return in_check(column, (member.value for member in enum_class))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[Mapping[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


# Reusable typed column aliases (Warehouse's habit).
intpk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, server_default=func.now())]


# Seconds a SQLite transaction that wants the write lock waits for the writer ahead of it before it gives up
# ("database is locked", a 503 try-again page). Below gunicorn's default 30 s worker timeout, so a request that
# waits that long is answered rather than killed.
SQLITE_BUSY_TIMEOUT = 20.0
# Requests with these methods only read; they begin deferred so that, in WAL mode, they never queue behind a writer.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Set on ``g`` by the task queue's runner (registry/tasks.py): a periodic job writes, like a CLI command.
JOB_WRITES = "job_writes"


def make_engine(url: str, *, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT, **kwargs: Any) -> Engine:
    # Parameters may hold confidential data; keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, sqlite_busy_timeout)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def begins_as_writer() -> bool:
    """Whether a SQLite transaction starting now takes the write lock at once (``BEGIN IMMEDIATE``).

    SQLite cannot upgrade a reading transaction to a writer once another writer has committed since it began
    (SQLITE_BUSY_SNAPSHOT: "database is locked" at once, whatever the busy timeout), so whatever may write must
    hold the lock from its first statement and queue for it instead: requests with an unsafe method, and CLI
    commands and the task queue's jobs (maintenance that writes). ``flask shell`` is left out, so an idle interactive session never
    blocks the writers; so is code outside Flask (scripts and tests with sessions of their own).
    """
    if has_request_context():
        return request.method not in SAFE_METHODS
    if has_app_context():
        if g.get(JOB_WRITES):
            return True
        command = click.get_current_context(silent=True)
        return command is not None and command.info_name != "shell"
    return False


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """A database file only the registry's user can read; WAL, foreign keys and a busy timeout on every connection;
    and real transactions.

    pysqlite opens transactions lazily and never around SAVEPOINT, which breaks nested transactions and
    rolled-back test sessions; the documented remedy is to take over BEGIN ourselves, which also lets a writer
    begin as one (``begins_as_writer``).
    """
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)

        @event.listens_for(engine, "do_connect")
        def _private_file(*_args: Any) -> None:
            # Before SQLite opens it: the database is made 0600 (or tightened, on an instance made before), and
            # SQLite creates its -wal and -shm files with the database's mode; ones left wider are tightened too.
            create_private_file(path)
            for suffix in ("-wal", "-shm", "-journal"):
                restrict(path.with_name(path.name + suffix), PRIVATE_FILE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer waits its turn at BEGIN IMMEDIATE for the busy timeout; readers stay concurrent (WAL).
        connection.exec_driver_sql("BEGIN IMMEDIATE" if begins_as_writer() else "BEGIN")


class Database:
    """Binds an engine and a session factory to a Flask app; hands out one session per app context."""

    extension_name = "registry.database"

    def init_app(self, app: Flask) -> None:
        from registry.after_commit import register_listeners

        engine = make_engine(app.config["DATABASE_URL"], sqlite_busy_timeout=float(app.config["SQLITE_BUSY_TIMEOUT"]))
        # What waits for a commit (mail, the page cache's generation) or undoes a rollback (uploaded files).
        register_listeners()
        app.extensions[self.extension_name] = _State(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state() -> _State:
        state: _State = current_app.extensions[Database.extension_name]
        return state

    @property
    def engine(self) -> Engine:
        return self._state().engine

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self._state().session_factory()
        session: Session = g.db_session
        return session

    def bind_sessions(self, app: Flask, factory: sessionmaker[Session]) -> None:
        """Let tests hand out sessions joined to an outer transaction that they roll back."""
        app.extensions[self.extension_name].session_factory = factory

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            # An explicit rollback (a no-op after the commit) undoes the side effects of a request that failed
            # before committing (registry.after_commit.on_rollback), e.g. removes the files of uploads whose rows are gone.
            session.rollback()
            session.close()


class _State:
    def __init__(self, engine: Engine, session_factory: sessionmaker[Session]) -> None:
        self.engine = engine
        self.session_factory = session_factory


db = Database()
