"""A PostgreSQL server of the tests' own: initdb in a temporary directory,
pg_ctl on a free loopback port, removed at the end.

The cluster tests stop and restart their database; doing that to the
machine's server would take it away from everything else that uses it. This
one listens on 127.0.0.1 only, with its socket inside its own directory, and
trusts its connections (no password to hand around): it holds nothing but the
tests' conversations and lives for one test run.

initdb refuses to run as root, so as root every command runs as the
``postgres`` user (``runuser``), which then owns the directory.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional

HOST = "127.0.0.1"
SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The binaries are missing or the server cannot be started."""


def find_binary(name: str) -> str:
    """``name`` on PATH, else in the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise PostgresUnavailable(
        f"{name} is not installed (PATH, /usr/lib/postgresql/*/bin); apt-get install postgresql"
    )


class PrivatePostgres:
    """One server: ``start()``, then ``stop``/``restart``/``start`` at will,
    ``remove()`` at the end (stops it and deletes its directory)."""

    def __init__(self, port: int) -> None:
        self.host, self.port = HOST, port
        self.initdb = find_binary("initdb")
        self.pg_ctl = find_binary("pg_ctl")
        self.as_user: List[str] = []
        self.owner: Optional[pwd.struct_passwd] = None
        if os.geteuid() == 0:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(  # noqa: B904  (the missing user is the whole story)
                    "running as root, and initdb refuses root: "
                    "a 'postgres' user is needed to run it as"
                )
            self.as_user = [shutil.which("runuser") or "/usr/sbin/runuser", "-u", "postgres", "--"]
        # Not under pytest's temporary directory: that one is private to the
        # user running pytest, and the server may run as another.
        self.directory = Path(tempfile.mkdtemp(prefix="nhsmail-pg-"))
        self.data = self.directory / "data"
        self.socket_dir = self.directory / "socket"
        self.log = self.directory / "server.log"
        self.socket_dir.mkdir()
        if self.owner is not None:
            for path in (self.directory, self.socket_dir):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)

    # --- commands ---------------------------------------------------------------
    def _run(self, command: List[str], seconds: float = 120) -> None:
        try:
            result = subprocess.run(
                self.as_user + command,
                capture_output=True,
                text=True,
                timeout=seconds,
                cwd=self.directory,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PostgresUnavailable(f"{' '.join(command[:2])}: {error}") from error
        if result.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(command)} failed ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()[-1500:]}\n{self.log_tail()}"
            )

    def _options(self) -> str:
        return (
            f"-p {self.port} -c listen_addresses={self.host} "
            f"-c unix_socket_directories='{self.socket_dir}'"
        )

    def _pg_ctl(self, action: str, *extra: str, seconds: float = 120) -> None:
        self._run(
            [self.pg_ctl, action, "-D", str(self.data), "-w", "-t", str(int(seconds)), *extra],
            seconds=seconds + 10,
        )

    def log_tail(self, characters: int = 1500) -> str:
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    # --- the server's life -----------------------------------------------------------
    def start(self, seconds: float = 120) -> "PrivatePostgres":
        """initdb on first use, then start and wait until it accepts connections."""
        if not self.data.exists():
            self._run(
                [
                    self.initdb,
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                seconds=seconds,
            )
        self._pg_ctl("start", "-l", str(self.log), "-o", self._options(), seconds=seconds)
        self.wait_until_accepting(seconds)
        return self

    def stop(self, seconds: float = 60) -> None:
        """Fast shutdown: open connections are cut, as when a database goes away."""
        self._pg_ctl("stop", "-m", "fast", seconds=seconds)

    def restart(self, seconds: float = 120) -> None:
        self._pg_ctl(
            "restart", "-m", "fast", "-l", str(self.log), "-o", self._options(), seconds=seconds
        )
        self.wait_until_accepting(seconds)

    def running(self) -> bool:
        result = subprocess.run(
            self.as_user + [self.pg_ctl, "status", "-D", str(self.data)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return result.returncode == 0

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def wait_until_accepting(self, seconds: float = 60) -> None:
        import psycopg2

        deadline = time.monotonic() + seconds
        while True:
            try:
                self.connect().close()
                return
            except psycopg2.OperationalError as error:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(  # noqa: B904  (the message carries the error)
                        f"not accepting connections after {seconds:.0f}s: "
                        f"{error}\n{self.log_tail()}"
                    )
                time.sleep(0.2)

    def connect(self, dbname: str = "postgres", user: str = SUPERUSER):
        import psycopg2

        return psycopg2.connect(
            host=self.host, port=self.port, dbname=dbname, user=user, connect_timeout=5
        )

    def remove(self) -> None:
        """Stops the server if it runs and deletes its directory."""
        try:
            if self.data.exists() and self.running():
                self.stop()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def machine_postmaster_started(host: str = HOST, port: int = 5432) -> Optional[str]:
    """When the machine's PostgreSQL started (``pg_postmaster_start_time()``),
    None when nothing accepts connections there. Tests compare it before and
    after: a server stopped or restarted meanwhile has another start time."""
    import psycopg2

    try:
        connection = psycopg2.connect(
            host=host,
            port=port,
            dbname="postgres",
            user=os.environ.get("PGADMIN", SUPERUSER),
            password=os.environ.get("PGADMIN_PASSWORD") or None,
            connect_timeout=5,
        )
    except psycopg2.OperationalError:
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_postmaster_start_time()")
            return str(cursor.fetchone()[0])
    finally:
        connection.close()
