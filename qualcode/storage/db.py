"""Opening a project database: URL resolution, SQLite pragmas, migrations, backups.

A project is a database URL. By default that is ``sqlite:///<project>/project.db``; any
SQLAlchemy URL works through ``--db`` / ``QUALCODE_DATABASE_URL``.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from qualcode.errors import DatabaseUnavailable, StorageError

DB_FILENAME = "project.db"
MIGRATIONS = Path(__file__).parent / "migrations"


def project_url(project_dir: str | Path) -> str:
    """The default SQLite URL for a project folder."""
    return f"sqlite:///{Path(project_dir).resolve() / DB_FILENAME}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun by _sqlite_begin
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get("qualcode_readonly"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """Create an engine with the settings qualcode relies on (FKs on, WAL, busy timeout)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StorageError(
            f"{url!r} is not a database URL",
            hint="use a project folder, or a URL such as postgresql+psycopg://user@host/db",
        ) from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own deferred BEGIN lets two writers both read, then one fails to
        # upgrade its lock ("database is locked") however long the busy timeout. We take
        # over transaction control and start write transactions with BEGIN IMMEDIATE, so
        # concurrent coders queue on the busy timeout instead of failing.
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def _alembic_config(engine_conn=None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = engine_conn
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _backup_sqlite(engine: Engine) -> Path | None:
    path = engine.url.database
    if not path or path == ":memory:" or not Path(path).exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = Path(path).with_name(f"{Path(path).stem}.backup-{stamp}{Path(path).suffix}")
    # SQLite's online backup API copies a consistent snapshot, WAL content included.
    src = sqlite3.connect(path)
    dst = sqlite3.connect(backup)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return backup


def migrate(engine: Engine) -> Path | None:
    """Bring the schema to the newest revision. Returns the backup path if one was made.

    An existing SQLite project that is behind gets a backup copy first.
    """
    head = head_revision()
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise StorageError(f"cannot open database: {exc.orig}", hint="check the path and permissions") from None
    if current == head:
        return None
    backup = None
    if current is not None or _has_tables(engine):
        if engine.url.get_backend_name() == "sqlite":
            backup = _backup_sqlite(engine)
    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")
    return backup


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def _driver_words(exc: Exception) -> str:
    """The first line of what the database driver said, without SQLAlchemy's SQL and links."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class Database:
    """An open project database: an engine plus a session factory."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.backup: Path | None = None
        if migrate_schema:
            try:
                self.backup = migrate(self.engine)
            except SQLAlchemyError as exc:
                said = _driver_words(exc)
                denied = "permission denied" in said.lower()
                raise StorageError(
                    f"cannot prepare database {self.safe_url}: {said}",
                    hint=("its tables belong to another database role than the one in this URL: restore or create "
                          "them as that role (docs/teams.md, Backups and restore)") if denied else None) from None
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._read_factory = sessionmaker(
            self.engine.execution_options(qualcode_readonly=True), expire_on_commit=False
        )

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back everything on any error.

        Write sessions take SQLite's write lock at the start (queued by the busy timeout);
        ``readonly=True`` sessions don't, so readers never wait for writers.
        """
        s = (self._read_factory if readonly else self._factory)()
        s.info["readonly"] = readonly  # services must not write (e.g. create a coder) in a reader
        try:
            yield s
            s.commit()
        except (OperationalError, InterfaceError) as exc:  # the server went away, the file is locked...
            try:
                s.rollback()
            except SQLAlchemyError:
                pass  # the connection is gone: nothing was committed
            raise self.unavailable(exc, saving=not readonly) from exc
        except BaseException:
            s.rollback()
            raise
        finally:
            try:
                s.close()
            except SQLAlchemyError:
                pass

    def unavailable(self, exc: DBAPIError, *, saving: bool = True) -> DatabaseUnavailable:
        """A database that could not be reached or written, said for the person at the keyboard
        (walk 36: PostgreSQL stopped while a coder clicked, and the click was lost without a word).
        ``saving``: the unit of work wrote (nothing of it was saved) or only read.

        >>> from sqlalchemy.exc import OperationalError
        >>> db = Database("sqlite://", migrate_schema=False)
        >>> print(db.unavailable(OperationalError("BEGIN", {}, Exception("database is locked"))).for_app())
        The project's database stayed busy (another program or coder held it): nothing was saved. Try again in a moment.
        >>> gone = OperationalError("SELECT", {}, Exception("connection refused"))
        >>> print(db.unavailable(gone, saving=False).for_app())
        The project's database could not be reached (sqlite://: connection refused). Check that the project folder is still there and can be written, then reload this page.
        """
        first = _driver_words(exc)
        lost = ": nothing was saved" if saving else ""
        again = "try again" if saving else "reload this page"
        if "locked" in first or "busy" in first:
            return DatabaseUnavailable("The project's database stayed busy (another program or coder held it)"
                                       + lost, hint="try again in a moment",
                                       app_hint=None if saving else "reload this page in a moment")
        check = ("check that the database server is running (ask whoever runs it)" if self.dialect != "sqlite"
                 else "check that the project folder is still there and can be written")
        return DatabaseUnavailable(f"The project's database could not be reached ({self.safe_url}: {first}){lost}",
                                   hint=f"{check}, then try again", app_hint=f"{check}, then {again}")

    def close(self) -> None:
        self.engine.dispose()
