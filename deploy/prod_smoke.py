"""`make prod-smoke`: Tokengate as production runs it, on this machine, checked end to end.

Starts two uvicorn servers on two ports (production settings, PostgreSQL and Redis), a Celery
worker, a Celery beat and a fake OpenAI-compatible upstream on loopback, then checks with the
official `openai` client and a browser-like httpx client that:

- both servers share one balance: more concurrent requests than it affords, spread over both,
  and exactly the affordable ones succeed; the balance ends at zero and matches its ledger;
- both servers share a key's requests-per-minute limit;
- /metrics sums both servers' counts (prometheus_client multiprocess mode);
- a key disabled in Django admin stops working on both servers at once;
- a data export requested in the console is built by the worker and downloads;
- beat schedules the retention job, the worker runs it and old usage logs go.

It uses its own database (dropped and created here) and Redis databases 11 (cache) and 10
(broker), and stops every process it started, also when a check fails.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import openai
import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "SMOKE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tokengate_smoke"
)
REDIS_SERVER = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379")
CACHE_DB, BROKER_DB = 11, 10
MODEL = "smoke-model"
MAX_TOKENS = 10
AFFORDABLE, ATTEMPTED = 6, 16
RPM_LIMIT = 4
PASSWORD = secrets.token_urlsafe(16)
METRICS_TOKEN = secrets.token_urlsafe(24)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], *, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"Timed out after {timeout:.0f}s waiting for {what}.")


def ready(server: str) -> bool:
    return httpx.get(f"{server}/readyz").status_code == 200


def step(message: str) -> None:
    print(f"prod-smoke: {message}", flush=True)


def production_env(workdir: Path) -> dict[str, str]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return {
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "API_KEY_PEPPER": secrets.token_urlsafe(32),
        "FIELD_ENCRYPTION_KEYS": f"smoke:{key}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback: no TLS proxy in front here.
        "SECURE_SSL_REDIRECT": "off",
        "SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": f"{REDIS_SERVER}/{CACHE_DB}",
        "CELERY_BROKER_URL": f"{REDIS_SERVER}/{BROKER_DB}",
        "UPSTREAM_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "VAR_DIR": str(workdir / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_LEVEL": "INFO",
    }


def reset_database(*, create: bool) -> None:
    parts = urlsplit(DATABASE_URL)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            connection.execute(f'CREATE DATABASE "{name}"')


def reset_redis() -> None:
    for number in (CACHE_DB, BROKER_DB):
        client = redis.Redis.from_url(f"{REDIS_SERVER}/{number}")
        client.flushdb()
        client.close()


class Processes:
    """Every process the smoke starts, each in its own process group, stopped together."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir, self.env = workdir, env
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, command: list[str], **env: str) -> None:
        log = open(self.workdir / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=ROOT,
            env={**os.environ, **self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running.append((name, process))

    def check_alive(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}.")

    def stop(self) -> None:
        for _name, process in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _name, process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def show_logs(self) -> None:
        for name, _process in self.running:
            lines = (self.workdir / f"{name}.log").read_text(errors="replace").splitlines()
            print(f"--- last lines of {name} ---", *lines[-25:], sep="\n", file=sys.stderr)


class Browser:
    """A browser session over plain HTTP. Production cookies are Secure, which httpx will not
    send back over HTTP, so this client keeps them itself."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = self.client.request(method, path, headers={"cookie": cookie}, **options)
        self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            name, _equals, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return response

    def post_form(self, path: str, fields: dict[str, Any]) -> httpx.Response:
        """Post a form the way a browser does: GET the page for its CSRF token first."""
        page = self.request("GET", path)
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path} ({page.status_code})"
        return self.request("POST", path, data={**fields, "csrfmiddlewaretoken": found[1]})


def seed(upstream_url: str) -> dict[str, Any]:
    """Users, keys, a price and a channel, written with the ORM (Django set up here too)."""
    from datetime import timedelta

    from allauth.mfa.totp.internal.auth import TOTP
    from django.utils import timezone

    from accounts import services
    from accounts.models import ApiToken
    from billing import ledger
    from billing.models import Price
    from billing.money import to_nanos
    from gateway.models import Channel, UsageLog

    ops = services.create_user(email="ops@smoke.example", password=PASSWORD, superuser=True)
    # Staff need a second factor in production: ops has an authenticator app.
    totp_secret = base64.b32encode(secrets.token_bytes(20)).decode()
    TOTP.activate(ops, totp_secret)
    buyer = services.create_user(email="buyer@smoke.example", password=PASSWORD)
    rich = services.create_user(email="rich@smoke.example", password=PASSWORD)
    # Input is free and the fake reports exactly max_tokens of output, so a request costs
    # exactly its hold: the buyer can afford AFFORDABLE requests, whatever their timing.
    price = Price.objects.create(model=MODEL, input_per_million=0, output_per_million=to_nanos("1"))
    cost = MAX_TOKENS * price.output_per_million // 1_000_000
    ledger.adjust_balance(
        user_id=buyer.pk, amount=AFFORDABLE * cost, reason="smoke", actor_id=None,
        idempotency_key="smoke-buyer",
    )  # fmt: skip
    ledger.adjust_balance(
        user_id=rich.pk, amount=to_nanos("10"), reason="smoke", actor_id=None,
        idempotency_key="smoke-rich",
    )  # fmt: skip
    Channel.objects.create(
        name="fake", provider="compatible", base_url=upstream_url, api_key="sk-upstream-smoke",
        served_models=[MODEL], read_timeout=30,
    )  # fmt: skip
    UsageLog.objects.create(
        request_id="smoke-ancient", user=rich, endpoint="chat", model=MODEL, status_code=200,
        latency_ms=1, created_at=timezone.now() - timedelta(days=400),
    )  # fmt: skip
    _token, buyer_key = ApiToken.objects.issue(user=buyer, name="buyer")
    _limited, limited_key = ApiToken.objects.issue(user=rich, name="limited", rpm_limit=RPM_LIMIT)
    doomed, doomed_key = ApiToken.objects.issue(user=rich, name="doomed")
    return {
        "totp_secret": totp_secret,
        "buyer": buyer,
        "buyer_key": buyer_key,
        "limited_key": limited_key,
        "doomed": doomed,
        "doomed_key": doomed_key,
    }


def chat(base_url: str, key: str) -> int:
    """One chat completion; its HTTP status."""
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=60)
    try:
        client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hello"}], max_tokens=MAX_TOKENS
        )
    except openai.APIStatusError as error:
        return error.status_code
    return 200


def check_shared_balance(servers: list[str], data: dict[str, Any]) -> None:
    from django.db.models import Sum

    from billing.models import LedgerEntry, Wallet

    targets = [servers[number % 2] for number in range(ATTEMPTED)]
    with ThreadPoolExecutor(max_workers=ATTEMPTED) as pool:
        statuses = list(pool.map(lambda base: chat(base, data["buyer_key"]), targets))
    wallet = Wallet.objects.get(pk=data["buyer"].pk)
    ledger_sum = LedgerEntry.objects.filter(wallet=wallet).aggregate(total=Sum("amount"))["total"]
    assert statuses.count(200) == AFFORDABLE, statuses
    assert statuses.count(402) == ATTEMPTED - AFFORDABLE, statuses
    assert (wallet.balance, wallet.held, ledger_sum) == (0, 0, 0), (wallet.balance, wallet.held)
    step(
        f"balance shared: {AFFORDABLE} of {ATTEMPTED} concurrent requests over both servers "
        "succeeded, the rest got 402; balance 0 = ledger sum, nothing held"
    )


def check_shared_rate_limit(servers: list[str], data: dict[str, Any]) -> None:
    # Fixed one-minute windows: start early in a window so the burst stays inside one.
    if time.time() % 60 > 50:
        time.sleep(61 - time.time() % 60)
    statuses = [chat(servers[number % 2], data["limited_key"]) for number in range(2 * RPM_LIMIT)]
    assert statuses == [200] * RPM_LIMIT + [429] * RPM_LIMIT, statuses
    step(f"rate limit shared: {RPM_LIMIT} requests per minute over both servers, then 429")


def check_metrics(servers: list[str]) -> None:
    from prometheus_client.parser import text_string_to_metric_families

    headers = {"authorization": f"Bearer {METRICS_TOKEN}"}
    response = httpx.get(f"{servers[0]}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.status_code
    counts = {
        sample.labels["status"]: sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "tokengate_gateway_requests_total" and sample.labels["model"] == MODEL
    }
    assert counts.get("402") == ATTEMPTED - AFFORDABLE, counts
    assert counts.get("429") == RPM_LIMIT, counts
    assert httpx.get(f"{servers[1]}/metrics", timeout=30).status_code == 403
    step("metrics: one scrape counts the requests of both servers")


def check_admin_disables_key(servers: list[str], data: dict[str, Any]) -> None:
    assert [chat(server, data["doomed_key"]) for server in servers] == [200, 200]
    admin = Browser(servers[1])
    from tests.fakes.totp import totp_code

    login = admin.post_form(
        "/accounts/login/", {"login": "ops@smoke.example", "password": PASSWORD}
    )
    assert login.status_code == 302, login.status_code
    second = admin.post_form(
        "/accounts/2fa/authenticate/", {"code": totp_code(data["totp_secret"])}
    )
    assert second.status_code == 302, second.status_code
    changelist = "/admin/accounts/apitoken/"
    fields = {"action": "disable_keys", "_selected_action": data["doomed"].pk, "index": 0}
    assert admin.post_form(changelist, fields).status_code == 302
    disabled_at = time.monotonic()
    wait_for(
        "the disabled key to be refused on both servers",
        lambda: [chat(server, data["doomed_key"]) for server in servers] == [401, 401],
        timeout=2,
    )
    delay = time.monotonic() - disabled_at
    step(f"admin: a disabled key was refused on both servers {delay:.1f}s later")


def check_export(servers: list[str], data: dict[str, Any]) -> None:
    from privacy.models import DataExport

    console = Browser(servers[0])
    login = console.post_form(
        "/accounts/login/", {"login": "buyer@smoke.example", "password": PASSWORD}
    )
    assert login.status_code == 302, login.status_code
    requested = console.post_form("/privacy/requests/", {"regime": "gdpr", "kind": "access"})
    assert requested.status_code == 302, requested.status_code
    export = wait_for(
        "the worker to build the export",
        lambda: DataExport.objects.filter(user=data["buyer"]).exclude(archive="").first(),
    )
    download = console.request("GET", f"/privacy/exports/{export.token}/")
    assert download.status_code == 200, download.status_code
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert "README.txt" in names, names
    step(f"export: requested in the console, built by the worker, downloaded ({len(names)} files)")


def check_scheduled_purge() -> None:
    from gateway.models import UsageLog
    from privacy.models import RetentionRun

    wait_for(
        "beat and the worker to run the retention job",
        lambda: (
            RetentionRun.objects.filter(finished_at__isnull=False).exists()
            and not UsageLog.objects.filter(request_id="smoke-ancient").exists()
        ),
    )
    step("purge: beat scheduled the retention job, the worker removed the expired usage log")


def check_json_logs(workdir: Path) -> None:
    for name in ("web1", "web2"):
        lines = (workdir / f"{name}.log").read_text().splitlines()
        other = [line for line in lines if line.strip() and not line.startswith("{")]
        assert not other, other[:3]
        entries = [json.loads(line) for line in lines if line.strip()]
        requests = [entry for entry in entries if entry["logger"] == "tokengate.requests"]
        assert requests and all(entry["request_id"].startswith("req_") for entry in requests)
    step("logs: by default every line a production server writes is JSON, with request ids")


@contextmanager
def fake_upstream() -> Iterator[str]:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.upstream import FakeUpstream, Reply

    usage = {"prompt_tokens": 5, "completion_tokens": MAX_TOKENS, "total_tokens": 5 + MAX_TOKENS}
    # A short delay keeps the concurrent requests' holds open at the same time.
    with FakeUpstream(default=Reply(delay=0.3, usage=usage)) as upstream:
        yield upstream.base_url


def main() -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tokengate-smoke-") as directory:
        workdir = Path(directory)
        (workdir / "metrics").mkdir()
        env = production_env(workdir)
        reset_database(create=True)
        reset_redis()
        # This process uses the same settings (for the ORM), but only its warnings are news.
        os.environ.update({**env, "LOG_LEVEL": "WARNING"})
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        step(f"database migrated and static files collected ({time.monotonic() - started:.0f}s)")

        processes = Processes(workdir, env)
        try:
            with fake_upstream() as upstream_url:
                data = seed(upstream_url)
                ports = [free_port(), free_port()]
                servers = [f"http://127.0.0.1:{port}" for port in ports]
                for number, port in enumerate(ports, 1):
                    processes.start(
                        f"web{number}",
                        [sys.executable, "-m", "uvicorn", "config.asgi:application",
                         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
                    )  # fmt: skip
                celery = [sys.executable, "-m", "celery", "-A", "config"]
                processes.start(
                    "worker",
                    [*celery, "worker", "--loglevel=INFO", "--concurrency=2",
                     "--without-gossip", "--without-mingle"],
                )  # fmt: skip
                processes.start(
                    "beat",
                    [*celery, "beat", "--loglevel=INFO", f"--schedule={workdir / 'beat'}"],
                    DJANGO_SETTINGS_MODULE="deploy.smoke_settings",
                )
                for server in servers:
                    wait_for(f"{server}/readyz", partial(ready, server))
                processes.check_alive()
                up = time.monotonic() - started
                step(f"two web servers, a worker and beat are up ({up:.0f}s)")

                checks: list[Callable[[], None]] = [
                    partial(check_shared_balance, servers, data),
                    partial(check_shared_rate_limit, servers, data),
                    partial(check_metrics, servers),
                    partial(check_admin_disables_key, servers, data),
                    partial(check_export, servers, data),
                    check_scheduled_purge,
                    processes.check_alive,
                    partial(check_json_logs, workdir),
                ]
                for check in checks:
                    check()
        except BaseException:
            processes.show_logs()
            raise
        finally:
            processes.stop()
            from django.db import connections

            connections.close_all()
            reset_database(create=False)
    step(f"done in {time.monotonic() - started:.0f}s")
    # The closing line CI reads, like a test runner's.
    step(f"{len(checks)} passed, 0 failed")


if __name__ == "__main__":
    main()
