"""The OpenAPI document at /schema/openapi.json, telling the truth about the server that runs.

Litestar builds the operations (paths, parameters, operation ids, tags, summaries); this module
then makes each operation say what the server really does, from what the route is made of:

- request and response bodies: JSON Schema from msgspec itself, for the types the handler decodes
  and returns, so that `forbid_unknown_fields` is `additionalProperties: false` and every `Meta`
  constraint (lengths, `gt`, patterns, formats) is there; bodies that a handler sends as bytes or a
  stream (seat map, availability, CSV, SSE) are described by the route's `Contract.body`, and a body
  a route reads itself (Stripe's signed event) by its `Contract.reads_body`; every string and member
  name of a request says it holds no NUL, which the edge refuses (`lml.platform.http.openapi_nul`);
- errors: every status the route may answer, each an `application/problem+json` with the one
  `Problem` schema (`lml.platform.http.problems` makes them all); the statuses come from the route's
  guards and middleware (`lml.platform.http.contract`), from its inputs (a body may be malformed,
  too large, too slow or invalid; a path names something that may not exist), and from the route;
  a 422's description names the rule a request valid per the schema may still break (`Contract.rule`);
- headers read and sent, bearer security (`security: []` on the routes that need no token).

The document is built once per process, at the first request for it."""

from __future__ import annotations

import typing
from collections.abc import Collection, Iterable, Iterator
from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.response import Response as LitestarResponse
from litestar.routes import HTTPRoute

from lml.platform.domain.errors import FieldError
from lml.platform.http.contract import BEARER, OPT_KEY, Contract, contract_of
from lml.platform.http.openapi_nul import JSON_VALUE, json_value_schema, referenced, without_nul
from lml.platform.http.problems import PROBLEM_JSON, TITLES, TYPE_BASE
from lml.platform.http.rate_limits import RATE_LIMITED, is_exempt

BEARER_SCHEME = "bearer"
_REF = "#/components/schemas/{name}"

TAGS = [
    ("platform", "Liveness and readiness of the process."),
    ("identity", "Accounts, guest sessions, access and refresh tokens, organizations and their members."),
    ("venues", "Operators' venues and their seat-map layouts: drafts, published versions, exports."),
    ("catalog", "Published events and shows, as buyers browse them."),
    ("catalog (operators)", "Operators' events and shows: drafts, prices, on-sale, blocked seats, cancellation."),
    ("seating", "A show's seat map and live availability, and buyers' holds on seats and GA places."),
    ("admission", "Waiting rooms: a buyer joins the line of a show in demand and gets a queue pass."),
    ("ordering", "Orders, tickets and refunds: buyers' orders, operators' refunds and reports."),
    ("payments", "Stripe: the webhook Stripe calls, and operators' view of Stripe's events."),
    ("notifications", "Mail and SMS sent to buyers: what was sent for an order, announcements to a show."),
]


class ZoneConflict(msgspec.Struct, frozen=True):
    zone_id: str
    requested: int | None
    remaining: int | None


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """An RFC 9457 problem: every error the API answers. Extension members beyond these may appear."""

    type: typing.Annotated[str, msgspec.Meta(description="Stable URI of the kind of problem",
                                             examples=[TYPE_BASE + "seats-unavailable"])]
    title: str
    status: typing.Annotated[int, msgspec.Meta(ge=400, le=599)]
    detail: str
    instance: typing.Annotated[str, msgspec.Meta(description="The request's path")]
    request_id: typing.Annotated[str, msgspec.Meta(description="The X-Request-ID of the request")] | msgspec.UnsetType \
        = msgspec.UNSET
    errors: typing.Annotated[list[FieldError], msgspec.Meta(description="Every invalid input, by JSON pointer")] \
        | msgspec.UnsetType = msgspec.UNSET
    conflicts: typing.Annotated[list[str], msgspec.Meta(description="Seats already taken")] \
        | msgspec.UnsetType = msgspec.UNSET
    zone_conflicts: typing.Annotated[list[ZoneConflict], msgspec.Meta(description="GA zones without the places")] \
        | msgspec.UnsetType = msgspec.UNSET


def _header(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"schema": schema, "description": description}


_TEXT = {"type": "string"}
_SECONDS = {"type": "integer", "minimum": 0}

REQUEST_HEADERS: dict[str, dict[str, Any]] = {
    "X-Org-ID": _header({"type": "string", "format": "uuid"}, "The organization the operator acts in"),
    "If-Match": _header({"type": "string", "maxLength": 512},
                        "The hold token (bare or quoted) that fences changes to a hold, or an entity tag"),
    "If-None-Match": _header({"type": "string", "maxLength": 1024},
                             "Entity tags the caller already has: 304 Not Modified when one still matches"),
    "Idempotency-Key": _header({"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
                               "Same key and body: the first answer again (Idempotent-Replayed: true); same key,"
                               " other body: 422; the first still running: 409 with Retry-After"),
    "Last-Event-ID": _header({"type": "string", "maxLength": 200},
                             "The id of the last event received: the stream resumes after it"),
    "X-Queue-Pass": _header({"type": "string", "maxLength": 2048},
                            "The pass from the show's waiting room, while it is on"),
    "Stripe-Signature": _header({"type": "string"}, "Stripe's signature of the raw body"),
}

RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": _header(_TEXT, "Entity tag of the representation"),
    "Location": _header(_TEXT, "Path of the resource created"),
    "Cache-Control": _header(_TEXT, "How long caches may keep the answer"),
    "Retry-After": _header(_SECONDS, "Seconds to wait before trying again"),
    "RateLimit-Limit": _header(_SECONDS, "Requests of the caller's budget for this route"),
    "RateLimit-Remaining": _header(_SECONDS, "Requests left in the budget now"),
    "RateLimit-Reset": _header(_SECONDS, "Seconds until the budget is full again"),
    "Idempotent-Replayed": _header({"type": "string", "enum": ["true"]},
                                   "Present on an answer replayed for a repeated Idempotency-Key"),
    "WWW-Authenticate": _header(_TEXT, "The authentication scheme expected: Bearer"),
    "Content-Disposition": _header(_TEXT, "The file name to save the answer as"),
}

# Headers every answer of a status may carry, whatever the route.
_STATUS_HEADERS = {401: ("WWW-Authenticate",), 409: ("Retry-After",), 429: ("Retry-After",),
                   503: ("Retry-After",)}
_BODY_STATUSES = frozenset({400, 408, 413, 422})


def openapi_config(*, general_limit_exempt: Collection[str]) -> OpenAPIConfig:
    return OpenAPIConfig(
        title="LML (Last Minute Live)",
        version="1",
        description="Live-event ticketing with reserved seating. Errors are RFC 9457 problem documents"
                    " (`application/problem+json`).",
        path="/schema",
        render_plugins=[DocumentPlugin(general_limit_exempt)],
        tags=[Tag(name=name, description=text) for name, text in TAGS],
        components=Components(security_schemes={
            BEARER_SCHEME: SecurityScheme(type="http", scheme="bearer", bearer_format="JWT",
                                          description="An access token from POST /v1/auth/token or /v1/auth/guest"),
        }),
        security=[{BEARER_SCHEME: []}],
        use_handler_docstrings=True,
    )


class DocumentPlugin(JsonRenderPlugin):
    """Serves the document Litestar builds, made truthful by `document` (once per process)."""

    def __init__(self, general_limit_exempt: Collection[str]) -> None:
        super().__init__()
        self._exempt = general_limit_exempt
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = msgspec.json.encode(document(openapi_schema, request.app, self._exempt))
        return self._rendered


def document(schema: dict[str, Any], app: Litestar, general_limit_exempt: Collection[str]) -> dict[str, Any]:
    """`schema` (Litestar's, as a dict; not changed) with every operation told as it runs; the paths
    outside `general_limit_exempt` spend the general rate limit too (`general_rate_limit`)."""
    out = msgspec.json.decode(msgspec.json.encode(schema))
    types: list[Any] = [Problem]
    operations = list(_operations(app, out))
    for _, _, handler, _ in operations:
        types.extend(_types_of(handler))
    _, components = msgspec.json.schema_components(types, ref_template=_REF, schema_hook=_schema_hook)
    # Litestar's own components stay for what only it describes (a query parameter's enum, say);
    # msgspec's describe every body, and win where both name one. Litestar sorts its components by name:
    # a body a route reads itself (`Contract.json_body`) is named among them, as a `data` parameter is,
    # and one it answers with itself (`Contract.json_answer`), as a returned type is.
    litestar = out["components"].get("schemas", {})
    promises = [_contract(handler) for _, _, handler, _ in operations]
    own_bodies = [body for promise in promises for body in (promise.json_body, promise.json_answer)
                  if body is not None]
    _, own = msgspec.json.schema_components(own_bodies, ref_template=_REF, schema_hook=_schema_hook)
    litestar = {name: litestar.get(name) for name in sorted({*litestar, *own})}
    out["components"]["schemas"] = {**litestar, **_without_boolean_items(components)}
    out["components"]["headers"] = RESPONSE_HEADERS
    for path, method, handler, operation in operations:
        limited = RATE_LIMITED if not is_exempt(path, general_limit_exempt) else Contract()
        _document_operation(path, method, handler, operation, limited)
    schemas = out["components"]["schemas"]
    for name in referenced(schemas, [op.get("requestBody", {}) for _, _, _, op in operations]):
        schemas[name] = without_nul(schemas[name])
    schemas[JSON_VALUE] = json_value_schema()
    return out


def _without_boolean_items(node: Any) -> Any:
    """msgspec describes a fixed tuple as `prefixItems` with `items: false`; `minItems`/`maxItems`
    already bound its length, and client generators (openapi-python-client) refuse a boolean schema."""
    if isinstance(node, dict):
        return {key: _without_boolean_items(value) for key, value in node.items()
                if not (key == "items" and value is False and "prefixItems" in node)}
    if isinstance(node, list):
        return [_without_boolean_items(value) for value in node]
    return node


def _operations(
    app: Litestar, schema: dict[str, Any]
) -> Iterator[tuple[str, str, HTTPRouteHandler, dict[str, Any]]]:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        item = schema["paths"].get(route.path_format)
        if item is None:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = item.get(method.lower())
            if operation is not None and handler.resolve_include_in_schema():
                yield route.path_format, method.lower(), handler, operation


def _contract(handler: HTTPRouteHandler) -> Contract:
    found = Contract()
    for guard in handler.resolve_guards():
        # A guard that says nothing of itself checks the bearer token: the only kind of guard here.
        found = found | (contract_of(guard) or BEARER)
    for middleware in handler.resolve_middleware():
        found = found | (contract_of(middleware) or Contract())
    own = handler.opt.get(OPT_KEY)
    return found | own if isinstance(own, Contract) else found


def _request_type(handler: HTTPRouteHandler) -> Any | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return _contract(handler).json_body
    # Litestar keeps a body's msgspec constraints apart (rules across its fields, say): put them back.
    metas = [meta for meta in data.metadata if isinstance(meta, msgspec.Meta)]
    return typing.Annotated[(data.annotation, *metas)] if metas else data.annotation


def _response_type(handler: HTTPRouteHandler) -> Any | None:
    answered = _contract(handler).json_answer
    if answered is not None:
        return answered
    spec = (handler.responses or {}).get(handler.status_code)
    if spec is not None and spec.data_container is not None:
        return spec.data_container  # a handler that sends encoded bytes names their type here
    returned = handler.parsed_fn_signature.return_type
    annotation = returned.annotation
    if annotation is None or annotation is type(None):
        return None
    if returned.is_subclass_of(LitestarResponse):
        annotation = returned.inner_types[0].annotation if returned.inner_types else None
    if annotation in (None, bytes, type(None)) or not _describable(annotation):
        return None
    return annotation


def _schema_hook(kind: type) -> dict[str, Any]:
    if kind is msgspec.Raw:
        return {"description": "A JSON document, sent as stored"}  # e.g. a layout export inside the seat map
    if kind is object:
        return {"description": "Any JSON value"}  # (an empty schema would read as "no schema" to msgspec)
    raise NotImplementedError(kind)


def _describable(annotation: Any) -> bool:
    try:
        msgspec.json.schema(annotation, schema_hook=_schema_hook)
    except (TypeError, ValueError):
        return False
    return True


def _types_of(handler: HTTPRouteHandler) -> Iterator[Any]:
    for found in (_request_type(handler), _response_type(handler)):
        if found is not None:
            yield found
    promise = _contract(handler)
    yield from promise.reads_body.values()
    for body in promise.body.values():
        yield from (kind for kind in (body if isinstance(body, tuple) else (body,)) if not isinstance(kind, dict))


def _body_schema(body: Any) -> dict[str, Any]:
    """A `Contract.body` value: a type, a JSON Schema (dict), or a tuple of them (any of)."""
    if isinstance(body, tuple):
        return {"anyOf": [_body_schema(kind) for kind in body]}
    return dict(body) if isinstance(body, dict) else _schema_of(body)


def _schema_of(annotation: Any) -> dict[str, Any]:
    schema: dict[str, Any] = msgspec.json.schema_components(
        [annotation], ref_template=_REF, schema_hook=_schema_hook)[0][0]
    return schema


def _document_operation(
    path: str, method: str, handler: HTTPRouteHandler, operation: dict[str, Any], general: Contract
) -> None:
    promise = _contract(handler) | general
    request_type = _request_type(handler)
    parameters = operation.get("parameters", [])
    statuses = set(promise.statuses)
    if request_type is not None:
        _put_before_responses(operation, "requestBody", {
            "required": not _optional(request_type),
            "content": {"application/json": {"schema": _schema_of(request_type)}},
        })
        statuses |= _BODY_STATUSES
    if promise.reads_body:
        operation["requestBody"] = {"required": True, "content": {
            media: {"schema": _schema_of(kind)} for media, kind in promise.reads_body.items()}}
        statuses |= _BODY_STATUSES
    for media in operation.get("requestBody", {}).get("content", {}).values():
        media["schema"] = without_nul(media["schema"])  # a body the route describes itself, say
    if any(p["in"] == "path" for p in parameters):
        statuses |= {404, 422}
    if any(p["in"] in ("query", "header") for p in parameters):
        statuses.add(422)
    if path.startswith("/v1/"):
        statuses.add(503)  # a store that does not answer (problems.STORE_OUTAGES)
        if method != "get":
            statuses.add(409)  # the state of what it changes refuses the change (a domain Conflict)

    parameters = [{**p, "schema": without_nul(p["schema"])} if p["in"] in ("path", "query") else p
                  for p in parameters]
    operation["parameters"] = [*parameters, *_header_parameters(promise)] or None
    if operation["parameters"] is None:
        del operation["parameters"]
    operation["security"] = [{BEARER_SCHEME: []}] if promise.bearer else []
    operation.setdefault("description", operation.get("summary", ""))
    operation["responses"] = _responses(handler, operation["responses"], promise, statuses)


def _put_before_responses(operation: dict[str, Any], key: str, value: Any) -> None:
    """`operation[key] = value`, a new key placed where Litestar places it for a `data` parameter."""
    if key in operation or "responses" not in operation:
        operation[key] = value
        return
    items = list(operation.items())
    operation.clear()
    for name, item in items:
        if name == "responses":
            operation[key] = value
        operation[name] = item


def _optional(annotation: Any) -> bool:
    return type(None) in typing.get_args(annotation)


def _header_parameters(promise: Contract) -> Iterator[dict[str, Any]]:
    for name in promise.reads:
        yield {"name": name, "in": "header", "required": name in promise.requires, **REQUEST_HEADERS[name]}


def _headers(names: Iterable[str]) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _responses(handler: HTTPRouteHandler, litestar: dict[str, Any], promise: Contract,
               statuses: set[int]) -> dict[str, Any]:
    success = str(handler.status_code)
    answer = dict(litestar.get(success) or {"description": "OK"})
    body_type = _response_type(handler)
    if promise.body:
        answer["content"] = {media: {"schema": _body_schema(kind)} for media, kind in promise.body.items()}
    elif body_type is not None:
        media = next(iter(answer.get("content") or {}), "") or "application/json"
        answer["content"] = {media: {"schema": _schema_of(body_type)}}
    else:
        answer.pop("content", None)
    answer["headers"] = _headers([*promise.sends, *promise.sends_always])
    responses: dict[str, Any] = {success: answer}
    for status in sorted(statuses):
        if 200 <= status < 300:  # another success (200 for what was there already, say): the same answer
            responses[str(status)] = {**answer, "description": TITLES.get(status, "OK")}
            continue
        if status < 400:
            responses[str(status)] = {"description": TITLES.get(status, "Not modified"),
                                      "headers": _headers([*promise.sends, *promise.sends_always])}
            continue
        responses[str(status)] = {
            "description": _error_description(status, promise),
            "headers": _headers([*_STATUS_HEADERS.get(status, ()), *promise.sends_always]),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return responses


def _error_description(status: int, promise: Contract) -> str:
    title = TITLES.get(status, "Error")
    if status == 422 and promise.rule:
        return f"{title}: the input breaks what the schema states, or a rule it cannot state: {promise.rule}"
    return title
