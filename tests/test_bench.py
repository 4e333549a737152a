"""The benchmark must not rot: a smoke run of `make bench` (a few hundred requests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def test_a_smoke_run_of_the_benchmark_checks_the_ledger_and_writes_results(tmp_path: Path):
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme.startswith("postgres"):
        # Its own database beside the suite's, on the same server; Redis db 1 as `make bench`.
        parts = urlsplit(database_url)
        bench_database = parts._replace(path=f"{parts.path}_bench").geturl()
        redis_url = "redis://127.0.0.1:6379/1" if os.environ.get("REDIS_URL") else ""
    else:
        bench_database, redis_url = f"sqlite:///{tmp_path / 'bench.sqlite3'}", ""
    output = tmp_path / "results.json"

    command = [sys.executable, "-m", "bench.run", "--smoke", "--output", str(output)]
    command += ["--database-url", bench_database, "--redis-url", redis_url]
    run = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(output.read_text())
    ledger = results["ledger"]
    assert ledger["charges"] == ledger["usage_logs_ok"] == results["gateway_successes"] > 0
    assert ledger["mismatched_wallets"] == ledger["negative_balances"] == 0
    assert results["throughput"]["c32"]["gateway"]["errors"] == 0
    concurrent = results["streaming"]["concurrent_gateway"]
    assert concurrent["complete"] == results["plan"]["concurrent_streams"]
    assert "gateway / floor at c32" in run.stdout
