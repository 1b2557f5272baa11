"""A throwaway PostgreSQL cluster for the tests, and a ``db_url`` fixture over both backends.

``pg_server`` (session scope) runs ``initdb`` into a temporary folder and starts the
server on 127.0.0.1 on a free port, with its unix socket inside that folder, so it never
touches a system cluster. As root it runs the server as the ``postgres`` user (PostgreSQL
refuses to run as root). It is stopped (``pg_ctl stop -m immediate``) and deleted at the
end of the session. Tests skip, saying why, only when no server binary is installed.

``db_url`` is parametrised over ``sqlite`` and ``postgresql``: a fresh, empty database
per test on either backend. Use it with ``init_project(None, db_url=db_url)``.

Import the fixtures into a test module with::

    from tests.pg_helpers import db_url, pg_server  # noqa: F401
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

DB_NAME = "qualcode_test"


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian's /usr/lib/postgresql/N/bin, newest
    first, else wherever they are on PATH."""
    for path in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                       key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
                       reverse=True):
        return Path(path).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    """A running throwaway cluster."""

    port: int
    root: Path
    bin: Path

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, dbname: str = DB_NAME) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        name = name or "qc_" + uuid.uuid4().hex[:16]
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        try:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:  # best effort: the whole cluster goes at the end anyway
            pass


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def start_server() -> PgServer:
    """Start a cluster; raises RuntimeError with the server log if it does not come up."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.skip("no PostgreSQL server binary (initdb) under /usr/lib/postgresql/*/bin or on PATH: "
                    "install Debian's postgresql package (.ci/run does when CI is set)")
    root = Path(tempfile.mkdtemp(prefix="qualcode-pg-"))
    if os.geteuid() == 0:
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, log = root / "data", root / "server.log"
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run(_as_server_user([str(pg_bin / "initdb"), "-D", str(data), "-U", "postgres",
                                    "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]),
                   check=True, capture_output=True, env=env, cwd=root)
    port = _free_port()
    opts = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    r = subprocess.run(_as_server_user([str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(log),
                                        "-o", opts, "-w", "-t", "60", "start"]),
                       capture_output=True, text=True, env=env, cwd=root)
    if r.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {r.stdout}{r.stderr}\n{text}")
    server = PgServer(port=port, root=root, bin=pg_bin)
    deadline = time.monotonic() + 30
    while True:
        try:
            server._admin("SELECT 1")
            break
        except Exception:
            if time.monotonic() > deadline:
                stop_server(server)
                raise
            time.sleep(0.2)
    server._admin(f'CREATE DATABASE "{DB_NAME}"')
    return server


def stop_server(server: PgServer) -> None:
    subprocess.run(_as_server_user([str(server.bin / "pg_ctl"), "-D", str(server.root / "data"),
                                    "-m", "immediate", "-w", "stop"]),
                   capture_output=True, cwd=server.root)
    shutil.rmtree(server.root, ignore_errors=True)


_SERVER: PgServer | None = None


def shared_server() -> PgServer:
    """One cluster per test process, however many modules import the fixture (each
    module that imports a session fixture gets its own copy of it); stopped at exit."""
    global _SERVER
    if _SERVER is None:
        _SERVER = start_server()
        atexit.register(stop_server, _SERVER)
    return _SERVER


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL cluster on loopback for the whole test session."""
    return shared_server()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty database URL: SQLite in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'project.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)
