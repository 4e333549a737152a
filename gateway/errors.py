"""Errors answered on /v1 in OpenAI's shape: {"error": {"message", "type", "param", "code"}}.

The official clients turn the status into their exception types (400 BadRequestError,
401 AuthenticationError, 404 NotFoundError, 429 RateLimitError, 5xx InternalServerError).
Messages stay in English, as OpenAI's do: clients and logs match on them.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return {"error": error}


def invalid_request(message: str, *, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_request")


INVALID_API_KEY = ApiError(
    401,
    "Incorrect API key provided. You can find your API keys in the Tokengate console.",
    code="invalid_api_key",
)


def model_not_found(model: str) -> ApiError:
    message = f"The model `{model[:100]}` does not exist or you do not have access to it."
    return ApiError(404, message, code="model_not_found", param="model")


INSUFFICIENT_BALANCE = ApiError(
    402,
    "Your balance is too low for this request. Top up in the Tokengate console.",
    type="insufficient_quota",
    code="insufficient_quota",
)

PROCESSING_RESTRICTED = ApiError(
    403,
    "Processing of your data is restricted at your request, so API calls are refused.",
    type="permission_error",
    code="processing_restricted",
)

SPENDING_LIMIT_REACHED = ApiError(
    403,
    "This API key has reached its spending limit. Raise it in the Tokengate console.",
    type="insufficient_quota",
    code="spending_limit_reached",
)

NO_CHANNEL_AVAILABLE = ApiError(
    503,
    "No upstream is available for this model right now. Try again shortly.",
    type="server_error",
    code="upstream_unavailable",
)

UPSTREAM_TIMEOUT = ApiError(
    504, "The upstream did not answer in time.", type="server_error", code="upstream_timeout"
)

UPSTREAM_FAILED = ApiError(
    502, "The upstream returned an invalid response.", type="server_error", code="upstream_error"
)
