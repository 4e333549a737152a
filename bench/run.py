"""`make bench`: the gateway against a bare Django passthrough (the floor), in one run.

    python -m bench.run [--smoke] [--soak] [--peer litellm] [--database-url URL] [--redis-url URL]

Starts a fake upstream, the gateway in production mode (one uvicorn worker, pinned to one
core where possible, access log off) and the floor, then measures added latency at
concurrency 1, throughput at concurrency 32 and 128, streaming (time to first token, gaps
between chunks, concurrent paced streams) and the gateway worker's memory, prints a table
and writes bench/results.json. Every gateway request goes through the full path (key,
limits, hold, upstream, settlement, usage log); afterwards the ledger and the usage log are
checked against the requests the clients saw succeed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MODEL = "bench-model"
CHUNKS, GAP_MS = 20, 20
BODY = json.dumps({"model": MODEL, "messages": [{"role": "user", "content": "Say hello."}]})
STREAM_BODY = json.dumps(
    {"model": MODEL, "messages": [{"role": "user", "content": "Count."}], "stream": True}
)


@dataclass
class Plan:
    """How much load each phase puts on; --smoke makes it tiny so the suite can run it."""

    latency_requests: int = 2000
    throughput_seconds: float = 10.0
    stream_requests: int = 200
    concurrent_streams: int = 500
    soak_seconds: float = 0.0
    profile: str = ""  # a file for py-spy's collapsed stacks of the gateway at c=32


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- Processes --------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    key: str = "sk-unused"  # what the server expects in Authorization

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the worker so far (steadier than wall time on a busy box)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory of the worker (uvicorn runs the app in this process)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def pinned(command: list[str], core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


def start_server(name: str, app: str, env: dict[str, str], *, core: int) -> Server:
    port = free_port()
    command = [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--no-access-log", "--log-level", "warning", "--loop", "uvloop"]
    command += ["--http", "httptools"]
    process = subprocess.Popen(pinned(command, core), cwd=ROOT, env=env)
    server = Server(name, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{name} did not start")


@contextmanager
def running(servers: list[Server]) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            if server.process.poll() is None:
                server.process.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.process.kill()


# --- The gateway's database and configuration -------------------------------------------


def gateway_env(database_url: str, redis_url: str) -> dict[str, str]:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "API_KEY_PEPPER": secrets.token_urlsafe(24),
        "FIELD_ENCRYPTION_KEYS": f"bench:{key}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url or "memory://",
        "UPSTREAM_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "DATABASE_CONN_MAX_AGE": "600",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout


def fresh_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    if parts.scheme.startswith("postgres"):
        name = parts.path.lstrip("/")
        admin = database_url.replace(parts.path, "/postgres", 1)
        for statement in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        ):
            subprocess.run(["psql", "-q", admin, "-c", statement], check=True)
    elif parts.scheme == "sqlite":
        Path(parts.path).unlink(missing_ok=True)


def flush_redis(redis_url: str) -> None:
    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()


def prepare_gateway(env: dict[str, str], upstream: Server) -> str:
    """A user with plenty of balance, a channel to the fake upstream, a price and a key."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "create_user", "--email", "bench@example.com")
    manage(
        env, "credit", "--email", "bench@example.com", "--amount", "1000000", "--reason", "bench"
    )
    manage(
        env,
        "create_channel",
        "--name",
        "bench",
        "--provider",
        "compatible",
        "--models",
        MODEL,
        "--api-key",
        "sk-upstream",
        "--base-url",
        upstream.base,
    )
    manage(env, "set_price", "--model", MODEL, "--input", "0.10", "--output", "0.20")
    output = manage(env, "create_api_token", "--email", "bench@example.com", "--name", "bench")
    return output.strip().splitlines()[-1]


LEDGER_CHECK = """
import json
from billing.ledger import find_mismatches
from billing.models import LedgerEntry, Wallet
from gateway.models import UsageLog
print(json.dumps({
    "charges": LedgerEntry.objects.filter(kind="charge").count(),
    "usage_logs_ok": UsageLog.objects.filter(status_code=200).count(),
    "usage_logs": UsageLog.objects.count(),
    "mismatched_wallets": len(find_mismatches()),
    "negative_balances": Wallet.objects.filter(balance__lt=0).count(),
}))
"""


def ledger_check(env: dict[str, str]) -> dict[str, int]:
    result: dict[str, int] = json.loads(manage(env, "shell", "--no-imports", "-c", LEDGER_CHECK))
    return result


# --- Load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    def count(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.ok += 1
        else:
            self.errors += 1


def raw_request(base: str, key: str, body: str) -> bytes:
    parts = urlsplit(base)
    head = (
        f"POST {parts.path}/chat/completions HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{parts.port}\r\n"
        f"Authorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body.encode()


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """One request on a kept-alive connection; the status (the body is read and dropped)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status


async def closed_loop(
    base: str, key: str, *, connections: int, seconds: float = 0, count: int = 0
) -> Tally:
    """`connections` clients, each sending its next request when the last one is answered,
    for `seconds` or until `count` requests were sent.

    Every request is awaited to its end, so the count of successes is exact.
    """
    tally = Tally()
    request = raw_request(base, key, BODY)
    parts = urlsplit(base)
    deadline = time.monotonic() + seconds
    remaining = [count]

    def more() -> bool:
        if count:
            remaining[0] -= 1
            return remaining[0] >= 0
        return time.monotonic() < deadline

    async def client() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while more():
                started = time.perf_counter()
                status = await exchange(reader, writer, request)
                tally.count(status, time.perf_counter() - started)
        finally:
            writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return tally


@dataclass
class StreamTally:
    ok: int = 0
    errors: int = 0
    lost: int = 0
    first_token: list[float] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)


async def one_stream(client: httpx.AsyncClient, base: str, key: str, tally: StreamTally) -> None:
    started = time.perf_counter()
    seen, last = [], None
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    try:
        async with client.stream(
            "POST", f"{base}/chat/completions", content=STREAM_BODY, headers=headers
        ) as response:
            if response.status_code != 200:
                tally.errors += 1
                return
            async for line in response.aiter_lines():
                if not line.startswith("data: {"):
                    continue
                now = time.perf_counter()
                event = json.loads(line[6:])
                choices = event.get("choices") or []
                content = choices[0].get("delta", {}).get("content") if choices else None
                if not content:
                    continue
                seen.append(int(content.strip("<>")))
                if last is None:
                    tally.first_token.append(now - started)
                else:
                    tally.gaps.append(now - last)
                last = now
    except httpx.HTTPError:
        tally.errors += 1
        return
    if seen == list(range(CHUNKS)):
        tally.ok += 1
    else:
        tally.lost += 1


async def streams(base: str, key: str, *, count: int, concurrency: int) -> StreamTally:
    tally = StreamTally()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        pending = iter(range(count))

        async def worker() -> None:
            for _ in pending:
                await one_stream(client, base, key, tally)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


# --- The run --------------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


async def measure(
    plan: Plan,
    upstream: Server,
    floor: Server,
    defaults: Server,
    gateway: Server,
    peer: Server | None,
) -> dict[str, Any]:
    targets = {"upstream": upstream, "floor": floor, "floor-defaults": defaults}
    targets["gateway"] = gateway
    if peer:
        targets["litellm"] = peer
    results: dict[str, Any] = {"rss_mb": {"idle": round(gateway.rss_mb(), 1)}}
    successes = 0

    # Warm every path (connections, caches) before measuring.
    for server in targets.values():
        await closed_loop(server.base, server.key, connections=4, count=100)
    successes += 100

    latency = {}
    for name, server in targets.items():
        tally = await closed_loop(
            server.base, server.key, connections=1, count=plan.latency_requests
        )
        latency[name] = {
            "p50_ms": ms(percentile(tally.latencies, 0.5)),
            "p99_ms": ms(percentile(tally.latencies, 0.99)),
            "errors": tally.errors,
        }
        if name == "gateway":
            successes += tally.ok
    for name in targets.keys() - {"upstream"}:
        for mark in ("p50_ms", "p99_ms"):
            added = latency[name][mark] - latency["upstream"][mark]
            latency[name][f"added_{mark}"] = round(added, 3)
    results["latency_c1"] = latency

    throughput: dict[str, Any] = {}
    for connections in (32, 128):
        row: dict[str, Any] = {}
        for name, server in targets.items():
            if name == "upstream":
                continue
            if name == "gateway" and connections == 128:
                sampler = asyncio.ensure_future(sample_rss(gateway, plan.throughput_seconds))
            if name == "gateway" and connections == 32 and plan.profile:
                profiler = profile(gateway, plan.profile, plan.throughput_seconds)
            cpu_before = server.cpu_seconds()
            tally = await closed_loop(
                server.base, server.key, connections=connections, seconds=plan.throughput_seconds
            )
            cpu_per_request = (server.cpu_seconds() - cpu_before) / max(tally.ok, 1)
            row[name] = {
                "cpu_ms_per_request": ms(cpu_per_request),
                "rps": round(tally.ok / plan.throughput_seconds, 1),
                "errors": tally.errors,
                "statuses": tally.statuses,
                "p50_ms": ms(percentile(tally.latencies, 0.5)),
                "p99_ms": ms(percentile(tally.latencies, 0.99)),
            }
            if name == "gateway":
                successes += tally.ok
                if connections == 32 and plan.profile:
                    profiler.wait()
                if connections == 128:
                    results["rss_mb"]["under_load"] = round(await sampler, 1)
        row["gateway_vs_floor"] = round(row["gateway"]["rps"] / max(row["floor"]["rps"], 1), 2)
        ratio = row["gateway"]["rps"] / max(row["floor-defaults"]["rps"], 1)
        row["gateway_vs_floor_defaults"] = round(ratio, 2)
        if "litellm" in row:
            ratio = row["gateway"]["rps"] / max(row["litellm"]["rps"], 0.1)
            row["gateway_vs_litellm"] = round(ratio, 1)
        throughput[f"c{connections}"] = row
    results["throughput"] = throughput

    streaming: dict[str, Any] = {}
    for name, server in targets.items():
        one = await streams(server.base, server.key, count=plan.stream_requests, concurrency=1)
        streaming[name] = {
            "ttft_p50_ms": ms(percentile(one.first_token, 0.5)),
            "ttft_p99_ms": ms(percentile(one.first_token, 0.99)),
            "gap_p99_ms": ms(percentile(one.gaps, 0.99)),
            "lost": one.lost,
            "errors": one.errors,
        }
        if name == "gateway":
            successes += one.ok + one.lost
    for name in targets.keys() - {"upstream"}:
        for mark in ("ttft_p50_ms", "ttft_p99_ms", "gap_p99_ms"):
            added = streaming[name][mark] - streaming["upstream"][mark]
            streaming[name][f"added_{mark}"] = round(added, 3)
    many = plan.concurrent_streams
    for name, server in (("upstream", upstream), ("gateway", gateway)):
        crowd = await streams(server.base, server.key, count=many, concurrency=many)
        streaming[f"concurrent_{name}"] = {
            "streams": many,
            "complete": crowd.ok,
            "lost_or_reordered": crowd.lost,
            "errors": crowd.errors,
            "gap_p99_ms": ms(percentile(crowd.gaps, 0.99)),
            "gap_max_ms": ms(max(crowd.gaps, default=0.0)),
        }
        if name == "gateway":
            successes += crowd.ok + crowd.lost
    results["streaming"] = streaming
    results["rss_mb"]["after"] = round(gateway.rss_mb(), 1)

    if plan.soak_seconds:
        before = gateway.rss_mb()
        tally = await closed_loop(
            gateway.base, gateway.key, connections=32, seconds=plan.soak_seconds
        )
        successes += tally.ok
        after = gateway.rss_mb()
        results["soak"] = {
            "seconds": plan.soak_seconds,
            "requests": tally.ok,
            "errors": tally.errors,
            "rss_before_mb": round(before, 1),
            "rss_after_mb": round(after, 1),
            "growth_percent": round((after - before) / before * 100, 2),
        }
    results["gateway_successes"] = successes
    return results


def profile(server: Server, output: str, seconds: float) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    command = [py_spy, "record", "--pid", str(server.process.pid), "--format", "raw"]
    command += ["--duration", str(int(seconds)), "--rate", "200", "--output", output]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def sample_rss(server: Server, seconds: float) -> float:
    peak, deadline = 0.0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, server.rss_mb())
        await asyncio.sleep(0.5)
    return peak


def table(results: dict[str, Any]) -> str:
    latency, throughput, streaming = (
        results["latency_c1"],
        results["throughput"],
        results["streaming"],
    )
    names = [name for name in ("floor", "floor-defaults", "gateway", "litellm") if name in latency]
    lines = [f"{'':34}" + "".join(f"{name:>16}" for name in names)]

    def row(label: str, values: list[Any]) -> None:
        lines.append(f"{label:34}" + "".join(f"{value!s:>16}" for value in values))

    row("added latency c=1 p50 (ms)", [latency[n]["added_p50_ms"] for n in names])
    row("added latency c=1 p99 (ms)", [latency[n]["added_p99_ms"] for n in names])
    for level in ("c32", "c128"):
        row(f"throughput {level} (req/s)", [throughput[level][n]["rps"] for n in names])
        row(f"errors {level}", [throughput[level][n]["errors"] for n in names])
        row(
            f"CPU per request {level} (ms)",
            [throughput[level][n]["cpu_ms_per_request"] for n in names],
        )
    row("added TTFT p50 (ms)", [streaming[n]["added_ttft_p50_ms"] for n in names])
    row("added TTFT p99 (ms)", [streaming[n]["added_ttft_p99_ms"] for n in names])
    row("added chunk gap p99 (ms)", [streaming[n]["added_gap_p99_ms"] for n in names])
    lines.append("")
    for level in ("c32", "c128"):
        lines.append(
            f"gateway / floor at {level}: {throughput[level]['gateway_vs_floor']} "
            f"(bare Django), {throughput[level]['gateway_vs_floor_defaults']} "
            "(Django with startproject's apps and middleware)"
        )
        if "gateway_vs_litellm" in throughput[level]:
            lines.append(f"gateway / litellm at {level}: {throughput[level]['gateway_vs_litellm']}")
    concurrent, direct = streaming["concurrent_gateway"], streaming["concurrent_upstream"]
    lines.append(
        f"{concurrent['streams']} concurrent paced streams (a chunk every {GAP_MS} ms): "
        f"{concurrent['complete']} complete, {concurrent['lost_or_reordered']} lost/reordered, "
        f"{concurrent['errors']} errors; chunk gap p99 {concurrent['gap_p99_ms']} ms through "
        f"the gateway, {direct['gap_p99_ms']} ms straight from the upstream"
    )
    rss = results["rss_mb"]
    lines.append(
        f"gateway RSS (MB): idle {rss['idle']}, under load {rss.get('under_load')}, "
        f"after {rss['after']}"
    )
    if "soak" in results:
        soak = results["soak"]
        lines.append(
            f"soak {soak['seconds']} s: {soak['requests']} requests, {soak['errors']} errors, "
            f"RSS {soak['rss_before_mb']} -> {soak['rss_after_mb']} MB "
            f"({soak['growth_percent']} %)"
        )
    check = results["ledger"]
    lines.append(
        f"ledger: {results['gateway_successes']} successful gateway requests, "
        f"{check['charges']} charges, {check['usage_logs_ok']} usage logs, "
        f"{check['mismatched_wallets']} wallets off their ledger, "
        f"{check['negative_balances']} negative balances"
    )
    return "\n".join(lines)


def start_peer(peer: str, upstream: Server) -> Server:
    if peer != "litellm":
        raise SystemExit(f"unknown peer {peer}")
    litellm = shutil.which("litellm") or os.environ.get("LITELLM_BIN")
    if not litellm:
        raise SystemExit("litellm is not installed (pip install 'litellm[proxy]' in a venv)")
    config = Path(tempfile.mkdtemp()) / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        "      model: openai/bench-upstream\n"
        f"      api_base: {upstream.base}\n"
        "      api_key: sk-upstream\n"
    )
    port = free_port()
    env = {**os.environ, "LITELLM_MASTER_KEY": "sk-bench-litellm"}
    command = [litellm, "--config", str(config), "--port", str(port), "--num_workers", "1"]
    process = subprocess.Popen(pinned(command, 0), env=env, stdout=subprocess.DEVNULL)
    server = Server("litellm", port, process, key="sk-bench-litellm")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.5)
    raise SystemExit("litellm did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="a few hundred requests only")
    parser.add_argument("--soak", action="store_true", help="add a 10-minute soak")
    parser.add_argument("--peer", choices=["litellm"], help="add a peer gateway's column")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/tokengate_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--profile", default="", help="py-spy stacks of the gateway at c=32")
    options = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    plan = Plan()
    if options.smoke:
        plan = Plan(
            latency_requests=50, throughput_seconds=1, stream_requests=10, concurrent_streams=20
        )
    if options.soak:
        plan.soak_seconds = 600
    plan.profile = options.profile

    fresh_database(options.database_url)
    flush_redis(options.redis_url)
    env = gateway_env(options.database_url, options.redis_url)
    upstream_env = {**os.environ, "BENCH_CHUNKS": str(CHUNKS), "BENCH_GAP_MS": str(GAP_MS)}
    upstream = start_server("upstream", "bench.upstream:app", upstream_env, core=1)
    servers = [upstream]
    with running(servers):
        key = prepare_gateway(env, upstream)
        gateway = start_server("gateway", "config.asgi:application", env, core=0)
        gateway.key = key
        servers.append(gateway)
        floor_env = {**os.environ, "BENCH_UPSTREAM": upstream.base}
        floor = start_server("floor", "bench.floor:application", floor_env, core=0)
        defaults_env = {**floor_env, "BENCH_FLOOR": "django-defaults"}
        defaults = start_server("floor-defaults", "bench.floor:application", defaults_env, core=0)
        servers += [floor, defaults]
        peer = start_peer(options.peer, upstream) if options.peer else None
        if peer:
            servers.append(peer)
        results = asyncio.run(measure(plan, upstream, floor, defaults, gateway, peer))
        results["ledger"] = ledger_check(env)
    results["plan"] = plan.__dict__
    Path(options.output).write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    check = results["ledger"]
    if not (
        check["charges"] == check["usage_logs_ok"] == results["gateway_successes"]
        and check["mismatched_wallets"] == check["negative_balances"] == 0
    ):
        raise SystemExit("ledger check failed")


if __name__ == "__main__":
    main()
