"""A real PostgreSQL server on loopback: Debian's binaries, a throwaway data directory, a free
port. initdb and postgres refuse to run as root, so as root they run as the `postgres` system user
that Debian's package creates. For the tests (tests/postgres.py) and the room load (tools.room_load).

usage: with postgres_server() as server: ... server.url ... server.stop(); server.start()"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from tools.serve import ServerError, free_port

DATABASE = "rooms"
START_SECONDS = 30


def postgres_bin() -> Path:
    """The bin directory of the newest PostgreSQL installed from Debian's packages."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    if not found:
        raise ServerError("PostgreSQL is not installed: install Debian's `postgresql` package "
                          "(apt-get install -y postgresql); scripts/test.sh does")

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parents[1].name
        return tuple(int(p) for p in number.split(".") if p.isdigit())

    return Path(max(found, key=version)).parent


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _accepts(port: int) -> bool:
    import psycopg
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                             connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def _pg_ctl(bin_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), *args]), capture_output=True, text=True,
                          timeout=START_SECONDS + 10)


def _stop(bin_dir: Path, data: Path) -> None:
    # fast shutdown: pooled clients are disconnected rather than waited for
    stopped = _pg_ctl(bin_dir, "stop", "-D", str(data), "-m", "fast", "-w", "-t", "10")
    pid_file = data / "postmaster.pid"
    if stopped.returncode != 0 and pid_file.exists():
        try:
            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass


class Server:
    """A running PostgreSQL server on a loopback port; `stop` and `start` it again (the same data)."""

    def __init__(self, bin_dir: Path, data: Path, log: Path, port: int):
        self.bin_dir, self.data, self.log, self.port = bin_dir, data, log, port
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"
        self.running = False

    def start(self) -> None:
        # pg_ctl rather than a child process: runuser does not pass signals on to the server
        options = (f"-k {self.data} -h 127.0.0.1 -p {self.port} -F "
                   "-c synchronous_commit=off -c full_page_writes=off")
        start = _pg_ctl(self.bin_dir, "start", "-D", str(self.data), "-l", str(self.log), "-o", options,
                        "-w", "-t", str(START_SECONDS))
        self.running = True
        if start.returncode != 0:
            raise ServerError(f"PostgreSQL did not start on port {self.port}:\n{start.stderr[-1000:]}\n"
                              f"{_tail(self.log)}")
        deadline = time.monotonic() + START_SECONDS
        while not _accepts(self.port):
            if time.monotonic() > deadline:
                raise ServerError(f"PostgreSQL does not accept connections on port {self.port}:\n"
                                  f"{_tail(self.log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        _stop(self.bin_dir, self.data)
        self.running = False


@contextmanager
def postgres_server():
    """A fresh server with an empty database, stopped and removed at the end; ServerError if it
    cannot start."""
    import psycopg
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="rooms-pg-"))
    data = root / "data"
    log = root / "server.log"
    data.mkdir()
    if os.geteuid() == 0:
        for path in (root, data):
            shutil.chown(path, "postgres", "postgres")
    server = None
    try:
        init = subprocess.run(
            _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                          "--no-sync", "-E", "UTF8"]),
            capture_output=True, text=True, timeout=60)
        if init.returncode != 0:
            raise ServerError(f"initdb failed ({init.returncode}):\n{init.stdout[-2000:]}\n"
                              f"{init.stderr[-2000:]}")
        server = Server(bin_dir, data, log, free_port())
        server.start()
        with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        yield server
    finally:
        if server is not None and server.running:
            server.stop()
        elif server is not None:
            _stop(bin_dir, data)
        shutil.rmtree(root, ignore_errors=True)
