"""Production mode refuses to start without its secrets, and turns on the HTTPS settings."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 60,
    "API_KEY_PEPPER": "pepper",
    "FIELD_ENCRYPTION_KEYS": "k1:" + base64.b64encode(b"k" * 32).decode(),
    "ALLOWED_HOSTS": "gate.example",
}
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'debug': settings.DEBUG, 'hsts': settings.SECURE_HSTS_SECONDS,"
    "'secure_cookies': settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE,"
    "'ssl_redirect': settings.SECURE_SSL_REDIRECT, 'keys': sorted(settings.FIELD_ENCRYPTION_KEYS),"
    "'hosts': settings.ALLOWED_HOSTS, 'cache': settings.CACHES['default']['BACKEND'],"
    "'log_format': settings.LOG_FORMAT, 'admin_mfa': settings.ADMIN_REQUIRE_MFA}))"
)


def load_settings(**overrides: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    for name, value in (PRODUCTION_ENV | overrides).items():
        if value is not None:
            env[name] = value
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_starts_with_its_secrets_and_secure_defaults():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["debug"] is False
    assert loaded["hsts"] >= 31536000
    assert loaded["secure_cookies"] is True
    assert loaded["ssl_redirect"] is True
    assert loaded["hosts"] == ["gate.example"]
    assert loaded["log_format"] == "json"
    assert loaded["admin_mfa"] is True


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "API_KEY_PEPPER", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS"]
)
def test_production_refuses_to_start_without_a_secret(missing: str):
    result = load_settings(**{missing: None})

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_debug():
    result = load_settings(DEBUG="true")

    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


@pytest.mark.parametrize(
    "keys",
    [
        "nokeyid",
        "k1:not base64!",
        "k1:" + base64.b64encode(b"short").decode(),
        "k1:{0},k1:{0}".format(base64.b64encode(b"k" * 32).decode()),
    ],
)
def test_malformed_field_encryption_keys_are_refused(keys: str):
    result = load_settings(FIELD_ENCRYPTION_KEYS=keys)

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_several_field_encryption_keys_are_accepted():
    second = "k2:" + base64.b64encode(b"z" * 32).decode()

    result = load_settings(
        FIELD_ENCRYPTION_KEYS=PRODUCTION_ENV["FIELD_ENCRYPTION_KEYS"] + "," + second
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["keys"] == ["k1", "k2"]


def test_redis_url_selects_the_shared_redis_cache():
    result = load_settings(REDIS_URL="redis://127.0.0.1:6379/15")

    assert json.loads(result.stdout)["cache"] == "config.cache.RedisWithLocalFallback"


def test_log_format_can_be_text_in_production_and_nothing_else():
    assert json.loads(load_settings(LOG_FORMAT="text").stdout)["log_format"] == "text"
    refused = load_settings(LOG_FORMAT="xml")
    assert refused.returncode != 0
    assert "LOG_FORMAT" in refused.stderr
