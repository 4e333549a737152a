"""Tokengate settings: one module, every value from the environment with an embedded default.

With no environment at all it runs on SQLite, a local-memory cache and a file-system Celery
broker, so `make run` needs no server. `DJANGO_ENV=production` refuses to start without the
secrets listed in `PRODUCTION_SECRETS`; `DATABASE_URL`, `REDIS_URL` and `CELERY_BROKER_URL`
switch to PostgreSQL and Redis. The README's configuration table documents every variable.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DJANGO_ENV = env("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

PRODUCTION_SECRETS = ("SECRET_KEY", "API_KEY_PEPPER", "FIELD_ENCRYPTION_KEYS", "ALLOWED_HOSTS")
if PRODUCTION:
    missing = [name for name in PRODUCTION_SECRETS if not env(name)]
    if missing:
        raise ImproperlyConfigured(
            f"DJANGO_ENV=production needs these environment variables: {', '.join(missing)}."
        )

# Development-only values: production refuses to start without real ones (above).
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-secret-key-do-not-use-in-production-0123456789")
API_KEY_PEPPER = env("API_KEY_PEPPER", "dev-only-insecure-api-key-pepper")


def parse_field_encryption_keys(value: str) -> dict[str, bytes]:
    """Parse `keyid:base64-of-32-bytes,...`; the first key encrypts, every key decrypts."""
    keys: dict[str, bytes] = {}
    for item in value.split(","):
        key_id, separator, encoded = item.strip().partition(":")
        if not separator or not key_id or key_id in keys:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS must be comma-separated 'keyid:base64' items "
                "with distinct key ids."
            )
        try:
            secret = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {key_id!r} is not base64."
            ) from error
        if len(secret) != 32:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes (AES-256)."
            )
        keys[key_id] = secret
    return keys


FIELD_ENCRYPTION_KEYS = parse_field_encryption_keys(
    env(
        "FIELD_ENCRYPTION_KEYS",
        "dev:" + base64.b64encode(b"dev-only-insecure-aes-256-key!!!").decode(),
    )
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The console's public address, for links in emails sent from background jobs.
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    # Our apps come first so their templates and translations override the libraries'.
    "accounts",
    "gateway",
    "billing",
    "privacy",
    # Django's admin on our site class: sign-in through allauth, MFA for staff.
    "accounts.apps.TokengateAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth's sessions page formats times with it.
    "django.contrib.humanize",
    "servestatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "corsheaders",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "allauth.socialaccount.providers.github",
    "allauth.usersessions",
    "allauth.mfa",
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "privacy.middleware.GlobalPrivacyControlMiddleware",
    "privacy.middleware.PageViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "privacy.context_processors.policy_banner",
                "privacy.context_processors.cookie_banner",
                "billing.context_processors.balance_notice",
                "config.navigation.console_navigation",
            ],
        },
    },
]

# Database: SQLite by default (WAL so the web server and Celery can share it), PostgreSQL
# (or anything dj-database-url understands) from DATABASE_URL.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache (also allauth's rate limits): Redis when REDIS_URL is set, so every worker shares it.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Falls back to process memory while Redis is down (config/cache.py).
            "BACKEND": "config.cache.RedisWithLocalFallback",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tokengate",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# bcrypt (cost 12, Django's BCryptSHA256PasswordHasher.rounds) as the privacy policy promises;
# PBKDF2 stays only to verify and upgrade hashes made by other tools.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: email is the login, verification is mandatory, signup asks for the age
# confirmation (accounts.forms.SignupForm). https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupForm"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Tokengate] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Social sign-ups still go through our signup form, so the age gate applies to them too.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {
    "google": {"SCOPE": ["profile", "email"], "AUTH_PARAMS": {"access_type": "online"}},
    "github": {"SCOPE": ["user:email"]},
}
# Providers are configured from the environment here, or as Social applications in admin.
for _provider in ("google", "github"):
    _client_id = env(f"{_provider.upper()}_CLIENT_ID")
    if _client_id:
        SOCIALACCOUNT_PROVIDERS[_provider]["APPS"] = [
            {"client_id": _client_id, "secret": env(f"{_provider.upper()}_CLIENT_SECRET")}
        ]
USERSESSIONS_TRACK_ACTIVITY = False
# Staff MFA: TOTP apps with recovery codes. https://docs.allauth.org/en/latest/mfa/configuration.html
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tokengate"
# Staff reach admin only with an activated authenticator and a session confirmed with it.
ADMIN_REQUIRE_MFA = env_bool("ADMIN_REQUIRE_MFA", PRODUCTION)

# Sessions last at most 30 days ("remember me"), as the privacy policy promises.
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Security headers; HTTPS settings come on in production and follow the proxy settings.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
if env("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (env("SECURE_PROXY_SSL_HEADER"), "https")
USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SECURE = PRODUCTION
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("ja", "日本語"),
    ("vi", "Tiếng Việt"),
    ("fr", "Français"),
    ("ru", "Русский"),
]
# Our catalogs first; then django-allauth's strings in Vietnamese, which allauth does not ship.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "accounts" / "allauth_locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Data exports: outside MEDIA_ROOT, so no URL serves them except the owner's download.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VAR_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# ServeStatic serves static files from the ASGI app (WhiteNoise has no ASGI support).
SERVESTATIC_USE_FINDERS = not PRODUCTION
SERVESTATIC_AUTOREFRESH = not PRODUCTION

# Email: the console backend unless an SMTP host is configured (Django 6.1 MAILERS).
if env("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env("EMAIL_HOST"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Tokengate <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tokengate console API",
    "DESCRIPTION": (
        "The signed-in user's API keys, usage logs and balance. It authenticates with the "
        "console's session cookie; writes need the CSRF token in `X-CSRFToken`."
    ),
    # The session is the console's own, not a credential API clients manage: not in the schema.
    "AUTHENTICATION_WHITELIST": [],
    "VERSION": "1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/console",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["config.api.only_the_console_api"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api.document_errors",
    ],
}

# Celery: Redis (or any broker URL) in production; a file-system broker under var/ by
# default, so a worker and beat run with no server. The beat schedule lives here, in code.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "celery-broker"
    _broker_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "control_folder": str(_broker_dir / "control"),
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=17),
    },
    "expire-stale-holds": {
        "task": "billing.tasks.expire_stale_holds",
        "schedule": crontab(minute="*/5"),
    },
    "expire-abandoned-orders": {
        "task": "billing.tasks.expire_abandoned_orders",
        "schedule": crontab(minute=23),
    },
    "privacy-request-reminders": {
        "task": "privacy.tasks.send_deadline_reminders",
        "schedule": crontab(hour=7, minute=3),
    },
    "retention": {
        "task": "privacy.tasks.run_retention",
        "schedule": crontab(hour=2, minute=41),
    },
    "reconcile-wallets": {
        "task": "billing.tasks.reconcile_wallets",
        "schedule": crontab(hour=4, minute=7),
    },
}

# API keys: `sk-` + 48 base62 characters (285 bits); `last_used_at` is written once a minute.
API_KEY_LAST_USED_RESOLUTION = timedelta(minutes=1)

# Gateway: upstream channels may reach these private ranges (self-hosted models); by default
# only public addresses, so a channel's base URL cannot reach this network (SSRF).
UPSTREAM_ALLOWED_PRIVATE_NETWORKS = env_list("UPSTREAM_ALLOWED_PRIVATE_NETWORKS")
# Largest request body accepted on /v1, in bytes.
GATEWAY_MAX_BODY_BYTES = env_int("GATEWAY_MAX_BODY_BYTES", 8 * 1024 * 1024)
# Output tokens assumed for the hold when a request does not set max_tokens.
GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS = env_int("GATEWAY_DEFAULT_MAX_OUTPUT_TOKENS", 4096)
# A channel that failed (connect error, timeout, 429, 5xx) is skipped for this long.
GATEWAY_CHANNEL_COOLDOWN_SECONDS = env_int("GATEWAY_CHANNEL_COOLDOWN_SECONDS", 30)
# Record the client's IP address in usage logs (off: the policy keeps usage metadata minimal).
USAGE_LOG_CLIENT_IP = env_bool("USAGE_LOG_CLIENT_IP", False)

# Billing: amounts are nano-units of the platform currency (billing/money.py).
PLATFORM_CURRENCY = env("PLATFORM_CURRENCY", "USD")
# A gateway request's hold expires (and is released) if it has not settled by then.
HOLD_TTL = timedelta(seconds=env_int("HOLD_TTL_SECONDS", 15 * 60))
# A top-up order still unpaid after this shows as expired (a late payment is still credited).
TOPUP_ORDER_TTL = timedelta(hours=env_int("TOPUP_ORDER_TTL_HOURS", 48))
# Top-up amounts offered in the console, and the range a user may type, in PLATFORM_CURRENCY.
TOPUP_PRESETS = env_list("TOPUP_PRESETS", "5,10,20,50,100")
TOPUP_MINIMUM = env("TOPUP_MINIMUM", "1")
TOPUP_MAXIMUM = env("TOPUP_MAXIMUM", "10000")
# Payment providers: each one is offered only when all of its secrets are set.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
CREEM_API_KEY = env("CREEM_API_KEY")
CREEM_WEBHOOK_SECRET = env("CREEM_WEBHOOK_SECRET")
# A Creem product priced at 1.00 of the platform currency; a top-up buys that many units.
CREEM_PRODUCT_ID = env("CREEM_PRODUCT_ID")
CREEM_TEST_MODE = env_bool("CREEM_TEST_MODE", not PRODUCTION)
ZPAY_PID = env("ZPAY_PID")
ZPAY_KEY = env("ZPAY_KEY")
ZPAY_SUBMIT_URL = env("ZPAY_SUBMIT_URL", "https://zpayz.cn/submit.php")
# ZPAY charges CNY: how many CNY one unit of the platform currency costs (stored on each order).
ZPAY_EXCHANGE_RATE = env("ZPAY_EXCHANGE_RATE", "7.20")
# Webhook bodies larger than this are refused before parsing.
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 256 * 1024)

# Prometheus /metrics (config/metrics.py): allowed with this bearer token or from these
# networks; with neither set it answers 404. PROMETHEUS_MULTIPROC_DIR (read by
# prometheus_client itself too) makes every worker write its counts there to be summed.
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOWED_NETWORKS = env_list("METRICS_ALLOWED_NETWORKS")
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR")

# Logs: one JSON object per line in production (LOG_FORMAT=text for people), each with the
# request id (config/logs.py). uvicorn's loggers are routed here too, except its access log:
# RequestIdMiddleware logs each console request without the query string (by URL pattern,
# since paths may carry tokens), and /v1 requests are recorded by the usage log alone.
LOG_FORMAT = env("LOG_FORMAT", "json" if PRODUCTION else "text")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'text'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"()": "config.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        **{
            name: {"handlers": ["console"], "propagate": False}
            for name in ("uvicorn", "uvicorn.error")
        },
        # Configuring "uvicorn" would otherwise turn its access log back on (dictConfig
        # re-enables existing child loggers), a line per request whatever --no-access-log says.
        "uvicorn.access": {"handlers": [], "propagate": False},
        # httpx (payment providers) logs every request's URL at INFO.
        "httpx": {"level": "WARNING"},
    },
}
if LOG_FORMAT == "json":
    # Python's warnings become log lines too, so standard error stays one JSON object a line.
    logging.captureWarnings(True)
# Celery logs through the configuration above instead of its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
