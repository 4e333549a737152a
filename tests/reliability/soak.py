"""A bounded soak: several production workers, one PostgreSQL, one Redis, a faulty upstream.

Run by `make soak` (not collected by pytest). For SOAK_SECONDS (default 300) clients at
moderate concurrency send chat completions, streamed and not, to `make serve`-style uvicorn
workers with production settings. The fake upstreams inject timeouts, 500s, 429s with
Retry-After, connection resets, mid-stream stalls and cuts, in-band errors and missing usage.
At the end it asserts zero 500s and zero ledger drift, and prints the figures.

Needs PostgreSQL and Redis: SOAK_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/tokengate_soak, dropped and re-created) and
SOAK_REDIS_URL / SOAK_BROKER_URL (default Redis dbs 5 and 4, flushed first).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import logging
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "3"))
CONCURRENCY = int(os.environ.get("SOAK_CONCURRENCY", "16"))
DATABASE_URL = os.environ.get(
    "SOAK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tokengate_soak"
)
REDIS_URL = os.environ.get("SOAK_REDIS_URL", "redis://127.0.0.1:6379/5")
BROKER_URL = os.environ.get("SOAK_BROKER_URL", "redis://127.0.0.1:6379/4")
MODEL = "soak-model"
USERS = 6


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = free_port()
ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
    "API_KEY_PEPPER": "soak-pepper",
    "FIELD_ENCRYPTION_KEYS": "soak:" + base64.b64encode(os.urandom(32)).decode(),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": DATABASE_URL,
    "DATABASE_CONN_MAX_AGE": "60",
    "REDIS_URL": REDIS_URL,
    "CELERY_BROKER_URL": BROKER_URL,
    "UPSTREAM_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
    "GATEWAY_CHANNEL_COOLDOWN_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
# The fake upstream cuts some streams on purpose; uvicorn would log each one as an error.
logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)

from tests.fakes.upstream import FakeUpstream, Reply  # noqa: E402


class FaultyUpstream(FakeUpstream):
    """Answers each request with a fault drawn at random, or a normal completion."""

    FAULTS: list[tuple[float, Reply]] = [
        (0.05, Reply(delay=3.0)),  # read timeout (channels wait 2 s)
        (0.05, Reply(status=500)),
        (0.05, Reply(status=429, headers={"retry-after": "1"})),
        (0.04, Reply(chunks=6, gap=3.0)),  # stalls mid-stream
        (0.04, Reply(chunks=6, fail_after_chunks=2)),  # cut mid-stream
        (0.03, Reply(body={"error": {"message": "overloaded", "type": "server_error"}})),
        (0.06, Reply(usage=None)),  # no usage: billed by a local count
    ]

    def next_reply(self) -> Reply:
        draw = random.random()
        for chance, reply in self.FAULTS:
            if draw < chance:
                return reply
            draw -= chance
        return Reply(chunks=4)


class ResettingServer:
    """Accepts connections and resets them (TCP RST) after reading the request."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"

    def serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                with contextlib.suppress(OSError):
                    conn.recv(65536)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def __enter__(self) -> ResettingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.listener.close()


def run(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, env=os.environ)


def fresh_services() -> None:
    import psycopg
    import redis

    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    for url in (REDIS_URL, BROKER_URL):
        redis.Redis.from_url(url).flushdb()


def set_up(faulty: str, healthy: str, resetting: str) -> list[str]:
    """Users with keys and balances (one nearly empty), a price, three channels."""
    import django

    django.setup()
    from accounts.models import ApiToken
    from accounts.services import create_user
    from billing import ledger
    from billing.models import Price
    from billing.money import to_nanos
    from gateway.models import Channel

    Price.objects.create(
        model=MODEL, input_per_million=to_nanos("1"), output_per_million=to_nanos("2")
    )
    channel = {"provider": "openai", "served_models": [MODEL], "read_timeout": 2, "api_key": "k"}
    Channel.objects.create(name="faulty", base_url=faulty, priority=10, **channel)
    Channel.objects.create(name="resets", base_url=resetting, priority=5, **channel)
    Channel.objects.create(name="healthy", base_url=healthy, priority=0, **channel)
    keys = []
    for number in range(USERS):
        user = create_user(email=f"soak{number}@example.com")
        amount = to_nanos("0.002") if number == 0 else to_nanos("1000")
        ledger.adjust_balance(
            user_id=user.pk,
            amount=amount,
            reason="soak",
            actor_id=None,
            idempotency_key=f"s{number}",
        )
        keys.append(ApiToken.objects.issue(user=user, name="soak")[1])
    return keys


class Figures:
    def __init__(self) -> None:
        self.statuses: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []
        self.server_errors: list[str] = []

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(share * (len(ordered) - 1))] if ordered else 0.0


async def client(keys: list[str], deadline: float, figures: Figures) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}/v1", timeout=30) as http:
        while time.monotonic() < deadline:
            key = random.choice(keys)
            stream = random.random() < 0.5
            body: dict[str, Any] = {
                "model": MODEL,
                "messages": [{"role": "user", "content": "soak " * random.randint(1, 40)}],
                "max_tokens": random.choice([16, 64, 256, None]),
                "stream": stream,
            }
            started = time.monotonic()
            try:
                async with http.stream(
                    "POST",
                    "/chat/completions",
                    json=body,
                    headers={"Authorization": f"Bearer {key}"},
                ) as response:
                    text = (await response.aread()).decode(errors="replace")
            except httpx.HTTPError as error:
                figures.statuses[f"client:{type(error).__name__}"] += 1
                continue
            figures.latencies.append(time.monotonic() - started)
            status = response.status_code
            label = str(status)
            if status == 200 and stream and not text.rstrip().endswith("data: [DONE]"):
                label = "200 (stream ended with an error event)"
            figures.statuses[label] += 1
            if status == 500:
                figures.server_errors.append(text[:300])


def verify(figures: Figures, elapsed: float) -> list[str]:
    from django.db.models import Count, Sum

    from billing import ledger
    from billing.models import Hold, LedgerEntry, Wallet
    from gateway.models import UsageLog

    problems = []
    mismatches = ledger.find_mismatches()
    if mismatches:
        problems.append(f"ledger drift in {len(mismatches)} wallets: {mismatches[:3]}")
    if Wallet.objects.filter(balance__lt=0).exists() or Wallet.objects.filter(held__lt=0).exists():
        problems.append("a negative balance or hold")
    open_holds = Hold.objects.filter(status=Hold.Status.OPEN).count()
    if open_holds:
        problems.append(f"{open_holds} holds still open")
    charges = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE)
    charged = -(charges.aggregate(total=Sum("amount"))["total"] or 0)
    logged = UsageLog.objects.aggregate(total=Sum("cost"))["total"] or 0
    if charged != logged:
        problems.append(f"charges {charged} differ from usage logs {logged}")
    if charges.count() != charges.values("request_id").distinct().count():
        problems.append("a request was charged twice")
    settled = Hold.objects.filter(status=Hold.Status.SETTLED).count()
    if settled != charges.count():
        problems.append(f"{settled} settled holds but {charges.count()} charges")
    if UsageLog.objects.count() != Hold.objects.count():
        problems.append("a request without exactly one usage log")
    if figures.server_errors:
        problems.append(
            f"{len(figures.server_errors)} answers were 500: {figures.server_errors[:3]}"
        )
    total = sum(figures.statuses.values())
    print(f"soak: {elapsed:.0f} s, {WORKERS} workers, {CONCURRENCY} clients")
    print(f"requests: {total} ({total / elapsed:.1f}/s)")
    print("statuses: " + json.dumps(dict(sorted(figures.statuses.items()))))
    print(f"latency: p50 {figures.percentile(0.5):.3f} s, p95 {figures.percentile(0.95):.3f} s")
    print(f"usage logs: {UsageLog.objects.count()}, charges: {charges.count()}, charged: {charged}")
    holds = dict(Hold.objects.values_list("status").annotate(count=Count("id")))
    print("holds: " + json.dumps(holds))
    print(f"ledger drift: {len(mismatches)} wallets; 500s: {len(figures.server_errors)}")
    return problems


def wait_until_serving() -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the workers did not start")


def main() -> int:
    fresh_services()
    run("migrate", "--noinput", "-v", "0")
    server: subprocess.Popen[bytes] | None = None
    with FaultyUpstream() as faulty, FakeUpstream() as healthy, ResettingServer() as resetting:
        keys = set_up(faulty.base_url, healthy.base_url, resetting.base_url)
        try:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(PORT),
                    "--workers",
                    str(WORKERS),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                    "--timeout-graceful-shutdown",
                    "30",
                ],
                cwd=ROOT,
                env=os.environ,
                start_new_session=True,
            )
            wait_until_serving()
            figures = Figures()
            started = time.monotonic()
            deadline = started + SECONDS

            async def clients() -> None:
                await asyncio.gather(*(client(keys, deadline, figures) for _ in range(CONCURRENCY)))

            asyncio.run(clients())
            elapsed = time.monotonic() - started
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
    problems = verify(figures, elapsed)
    for problem in problems:
        print(f"FAIL: {problem}")
    print("soak: OK" if not problems else "soak: FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
