"""/readyz follows PostgreSQL and Redis going away and coming back.

The shared servers cannot be stopped, so these tests start their own: a redis-server on a
free port and a throwaway PostgreSQL cluster (initdb, pg_ctl) in a temporary directory, then
a real uvicorn server pointed at both. Skipped where the server binaries are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: object, *, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert REDIS_SERVER
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_until(lambda: answers(self.port))

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class Postgres:
    """A private cluster; as root, its files belong to `postgres` (initdb refuses root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="tokengate-readyz-")
        self.data = os.path.join(self.directory, "data")
        bin_dir = PG_BINS[-1]
        self.initdb, self.pg_ctl = f"{bin_dir}/initdb", f"{bin_dir}/pg_ctl"
        # The cluster's owner must reach its directory under /tmp.
        os.chmod(self.directory, 0o755)  # noqa: S103
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.run(self.initdb, "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")

    def run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            self.pg_ctl, "-D", self.data, "-o", options, "-w", "-l", f"{self.data}.log", "start"
        )

    def stop(self) -> None:
        self.run(self.pg_ctl, "-D", self.data, "-m", "fast", "-w", "stop")


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def redis_server() -> Iterator[Redis]:
    if not REDIS_SERVER:
        pytest.skip("redis-server is not installed")
    server = Redis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[Postgres]:
    if not PG_BINS or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("PostgreSQL server binaries are not installed")
    server = Postgres()
    server.start()
    yield server
    try:
        server.stop()
    finally:
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def readyz(redis_server: Redis, postgres_server: Postgres) -> Iterator[str]:
    """A uvicorn server on the private PostgreSQL and Redis; yields its /readyz URL."""
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO")}
    env |= {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{postgres_server.port}/postgres",
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{redis_server.port}/1",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "uvicorn", "config.asgi:application", "--port", str(port)]
    server = subprocess.Popen([*command, "--no-access-log"], cwd=ROOT, env=env)
    try:
        wait_until(lambda: answers(port))
        yield f"http://127.0.0.1:{port}/readyz"
    finally:
        server.terminate()
        server.wait(timeout=10)


def state(url: str) -> tuple[int, dict[str, str]]:
    response = httpx.get(url, timeout=10)
    return response.status_code, response.json()


def test_readyz_goes_unhealthy_when_redis_stops_and_recovers_when_it_returns(
    readyz: str, redis_server: Redis
):
    assert state(readyz) == (200, {"database": "ok", "redis": "ok", "broker": "ok"})

    redis_server.stop()
    assert state(readyz) == (
        503,
        {"database": "ok", "redis": "unavailable", "broker": "unavailable"},
    )

    redis_server.start()
    assert state(readyz) == (200, {"database": "ok", "redis": "ok", "broker": "ok"})


def test_readyz_goes_unhealthy_when_postgresql_stops_and_recovers_when_it_returns(
    readyz: str, postgres_server: Postgres
):
    assert state(readyz)[0] == 200

    postgres_server.stop()
    assert state(readyz) == (503, {"database": "unavailable", "redis": "ok", "broker": "ok"})

    postgres_server.start()
    assert state(readyz) == (200, {"database": "ok", "redis": "ok", "broker": "ok"})
