"""RFC 9457 problem details: the one place where exceptions become error responses."""

from __future__ import annotations

import functools
import re
from types import CodeType
from typing import Any

import msgspec
import psycopg
import psycopg_pool
import pymongo.errors
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.serialization import decode_json
from litestar.types import Empty, Scope
from litestar.utils.scope.state import ScopeState

from lml.platform.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
    Unauthorized,
    Unavailable,
)
from lml.platform.http.answer import Answer, headers_of, json_answer
from lml.platform.http.request_guard import NulCharacter
from lml.platform.http.validation import collect_field_errors
from lml.platform.logging import get_logger
from lml.platform.redis import REDIS_OUTAGES

PROBLEM_JSON = "application/problem+json"
PROBLEM_JSON_BYTES = PROBLEM_JSON.encode()
TYPE_BASE = "https://lml.dev/problems/"

log = get_logger("lml.problems")

# Base class → HTTP status. A context's own error inherits from one of these.
_STATUS_OF: list[tuple[type[DomainError], int]] = [
    (InvalidInput, 422),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Gone, 410),
    (PreconditionFailed, 412),
    (TooManyRequests, 429),
    (Unavailable, 503),
]

TITLES = {
    304: "Not modified",
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


@functools.cache
def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problem(
    request: Request[Any, Any, Any],
    status: int,
    kind: str,
    detail: str,
    *,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    extensions: dict[str, Any] | None = None,
) -> Response[bytes]:
    """The problem document for this request, encoded once (409s are a hot path in a surge)."""
    document = _problem_document(request.scope, status, kind, detail, title, extensions)
    return Response(content=document, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _problem_document(scope: Scope, status: int, kind: str, detail: str, title: str | None,
                      extensions: dict[str, Any] | None) -> bytes:
    """The standard members win over an extension of the same name, so a context cannot break the shape."""
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": TYPE_BASE + kind,
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": scope["path"],
    }
    if request_id := scope.get("state", {}).get("request_id"):
        body["request_id"] = request_id
    return msgspec.json.encode(body)


def status_of(exc: DomainError) -> int:
    for base, status in _STATUS_OF:
        if isinstance(exc, base):
            return status
    return 400


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[bytes]:
    status, headers, extensions = _domain_problem(exc)
    return problem(request, status, _kebab(type(exc).__name__), exc.detail, headers=headers, extensions=extensions)


def domain_error_answer(scope: Scope, exc: DomainError) -> Answer:
    """`handle_domain_error`'s problem as an `Answer`, for a route that answers a refusal without raising."""
    status, headers, extensions = _domain_problem(exc)
    document = _problem_document(scope, status, _kebab(type(exc).__name__), exc.detail, None, extensions)
    return json_answer(status, document, headers_of(headers.items()), media_type=PROBLEM_JSON_BYTES)


def _domain_problem(exc: DomainError) -> tuple[int, dict[str, str], dict[str, Any]]:
    """The status, headers and extension members of the problem `exc` is."""
    headers: dict[str, str] = {}
    # Any error that knows when to come back says so (429, 503, a request still in flight...).
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(max(1, retry_after))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="lml"'
    extensions = {k: msgspec.to_builtins(v) for k, v in exc.extensions.items()}
    return status_of(exc), headers, extensions


def _body_errors(request: Request[Any, Any, Any], exc: ValidationException) -> list[FieldError]:
    messages: list[dict[str, Any]] = exc.extra if isinstance(exc.extra, list) else []
    body_failed = any(m.get("source") == "body" for m in messages)
    data_param = request.route_handler.parsed_fn_signature.parameters.get("data")
    body = ScopeState.from_scope(request.scope).json
    if body_failed and data_param is not None and body is not Empty:
        errors = collect_field_errors(body, data_param.annotation)
        if errors:
            return errors
    return [
        FieldError("/" + str(m.get("key", "")) if m.get("key") else "/", str(m.get("message", "is invalid")))
        for m in messages
    ]


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[bytes]:
    errors = _body_errors(request, exc)
    detail = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
    errors_out = {"errors": msgspec.to_builtins(errors)}
    return problem(request, 422, "validation-error", detail or "The input is invalid", extensions=errors_out)


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    if status >= 500:
        return handle_unexpected(request, exc)
    title = TITLES.get(status, "Error")
    detail = exc.detail if exc.detail and exc.detail.lower() != title.lower() else title
    kind = title.lower().replace(" ", "-")
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        return handle_serialization_error(request, exc.__cause__)
    if status == 413:
        detail = "The request body is too large"
    headers = dict(exc.headers or {})
    return problem(request, status, kind, detail, headers=headers)


def handle_serialization_error(request: Request[Any, Any, Any], exc: SerializationException) -> Response[bytes]:
    """A body that does not decode is the caller's fault, whether Litestar decoded it for a `data`
    parameter or a handler called `request.json()`; a response that does not encode is ours."""
    if not isinstance(exc.__cause__, (msgspec.DecodeError, UnicodeDecodeError)):
        return handle_unexpected(request, exc)
    return problem(request, 400, "malformed-json", "The request body is not valid JSON")


def handle_undecodable_body(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[bytes]:
    """msgspec refuses a body that is not UTF-8 with a UnicodeDecodeError, which Litestar's decoding of
    a request's JSON lets through unwrapped: the caller's malformed body. One raised anywhere else is ours."""
    if not _raised_in(exc, decode_json.__code__):
        return handle_unexpected(request, exc)
    return problem(request, 400, "malformed-json", "The request body is not valid JSON")


def _raised_in(exc: BaseException, code: CodeType) -> bool:
    frame = exc.__traceback__
    while frame is not None:
        if frame.tb_frame.f_code is code:
            return True
        frame = frame.tb_next
    return False


def handle_recursion_error(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """msgspec gives up on a body nested deeper than it decodes with a RecursionError of its own:
    the caller's fault. Any other recursion is ours."""
    if "while deserializing" not in str(exc):
        return handle_unexpected(request, exc)
    return problem(request, 400, "malformed-json", "The request body is nested too deeply")


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.error("unhandled_error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc)
    return problem(request, 500, "internal-error", "Something went wrong on our side; it has been logged")


def handle_data_error(request: Request[Any, Any, Any], exc: psycopg.DataError) -> Response[bytes]:
    """PostgreSQL's data exceptions are ours (a cast in our SQL, a number we computed too large), save
    one kind: a character that text cannot hold, a NUL above all, which only input carries (our code
    makes none). The request guard refuses NUL at the edge; one that slips past it through some other
    door is still the client's: 422, with a warning so that the door gets found."""
    unstorable = isinstance(exc, _UNSTORABLE_CHARACTER) or (exc.sqlstate is None and "NUL (0x00)" in str(exc))
    if not unstorable:
        return handle_unexpected(request, exc)
    log.warning("unstorable_character_reached_the_database", path=request.url.path, error_type=type(exc).__name__)
    return handle_domain_error(request, NulCharacter([]))


# 22P05 (`\u0000` in jsonb), 22021 (a 0x00 byte); psycopg itself refuses a NUL in a text parameter.
_UNSTORABLE_CHARACTER = (psycopg.errors.UntranslatableCharacter, psycopg.errors.CharacterNotInRepertoire)


# A store that does not answer is an outage to wait out, not a bug: 503 with Retry-After.
STORE_OUTAGES: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    *REDIS_OUTAGES,
    pymongo.errors.ConnectionFailure,
)


def handle_store_outage(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.warning("store_unavailable", path=request.url.path, error_type=type(exc).__name__)
    return handle_domain_error(request, Unavailable(detail="A data store is not answering; try again shortly"))


def exception_handlers() -> dict[type[Exception] | int, Any]:
    return {
        **dict.fromkeys(STORE_OUTAGES, handle_store_outage),
        DomainError: handle_domain_error,
        ValidationException: handle_validation,
        HTTPException: handle_http_exception,
        SerializationException: handle_serialization_error,
        RecursionError: handle_recursion_error,
        UnicodeDecodeError: handle_undecodable_body,
        psycopg.DataError: handle_data_error,
        Exception: handle_unexpected,
    }


