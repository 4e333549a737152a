"""Structured logs: one JSON object per line, each carrying the id of the request it is about.

The id lives in a context variable: the `/v1` wrapper in config/asgi.py and
`RequestIdMiddleware` (console) start one per request and return it as `X-Request-Id`;
threads started with sync_to_async inherit it. Nothing logs prompts or responses; as a
second line of defence every formatted line has API keys and email addresses masked.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse


@dataclass
class RequestInfo:
    request_id: str
    # The public model name, once the gateway has read the request (for metrics labels).
    model: str = ""


requests_logger = logging.getLogger("tokengate.requests")
current_request: ContextVar[RequestInfo | None] = ContextVar("current_request", default=None)


class RandomIds:
    """128-bit random ids from one os.urandom call per 4,096 ids.

    os.urandom releases the GIL, and getting it back while another thread runs (the
    gateway's settlement thread) cost the event loop 0.1 to 0.3 ms per id (bench/README.md).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.lock = threading.Lock()
        self.pool = b""
        self.offset = 0

    def next(self) -> str:
        with self.lock:
            if self.offset == len(self.pool):
                self.pool, self.offset = os.urandom(16 * 4096), 0
            start, self.offset = self.offset, self.offset + 16
        return self.pool[start : start + 16].hex()


random_ids = RandomIds()
os.register_at_fork(after_in_child=random_ids.reset)  # a forked child never reuses ids


def new_request_id() -> str:
    return f"req_{random_ids.next()}"


def start_request() -> RequestInfo:
    info = RequestInfo(request_id=new_request_id())
    current_request.set(info)
    return info


def request_id() -> str:
    """This request's id; a fresh one when no request was started (a direct call)."""
    info = current_request.get()
    return info.request_id if info else new_request_id()


SECRETS = (
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-[redacted]"),
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email redacted]"),
)


def redact(text: str) -> str:
    for pattern, replacement in SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        info = current_request.get()
        record.request_id = info.request_id if info else ""
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class RequestIdMiddleware:
    """Console requests: a request id for their logs, returned as X-Request-Id, and one log
    line each. The line names the URL pattern, not the path: paths carry tokens (exports,
    unsubscribe and password-reset links)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        info = start_request()
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-Id"] = info.request_id
        match = request.resolver_match
        requests_logger.info(
            "%s /%s %s %.0fms",
            request.method,
            match.route if match else "(no route)",
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response
