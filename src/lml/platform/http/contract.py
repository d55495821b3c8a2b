"""What a route promises beyond its handler's types, for the OpenAPI document: the statuses it may
answer, the headers it reads and sends, whether it needs a bearer token.

A platform guard or route middleware carries its own `Contract` (`documented(guard, BEARER)`), so
every route that uses it is documented alike; a route adds what is its own in `opt`:

    @get("/v1/shows/{show_id:str}/seatmap", opt=route_contract(Contract(statuses={304}, reads=("If-None-Match",))))

`lml.platform.http.openapi` folds them into the document. Nothing here changes how a request runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

_ATTRIBUTE = "__lml_contract__"
OPT_KEY = "contract"


@dataclass(frozen=True)
class Contract:
    statuses: frozenset[int] = frozenset()
    # Request headers by name (the catalogue is `lml.platform.http.openapi.REQUEST_HEADERS`); the
    # names in `requires` are required.
    reads: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    # Response headers sent with the success answers (`RESPONSE_HEADERS`); "*" entries go on every answer.
    sends: tuple[str, ...] = ()
    sends_always: tuple[str, ...] = ()
    bearer: bool = False
    # The body of the success answer when the handler returns bytes or a stream: media type → a type,
    # a JSON Schema, or a tuple of them (any of).
    body: dict[str, Any] = field(default_factory=dict)
    # The request body of a route that reads it itself (raw, to check a signature): media type → a type.
    reads_body: dict[str, Any] = field(default_factory=dict)
    # The type of the JSON body a hot route reads itself (`lml.platform.http.json_body`), documented as a
    # `data` parameter of that type is.
    json_body: Any = None
    # The type of the JSON body a hot route answers with itself (`lml.platform.http.answer`), documented
    # as a handler's returned type is.
    json_answer: Any = None
    # What a request the schema calls valid must still meet, that JSON Schema cannot state (what it names
    # exists, a rule across items, a rule against the state): said in the description of the 422.
    rule: str = ""

    def __deepcopy__(self, memo: dict[int, Any]) -> Contract:
        # Immutable; Litestar deep-copies a handler's `opt`, and msgspec.Meta in `body` does not copy.
        return self

    def __or__(self, other: Contract) -> Contract:
        return Contract(
            statuses=self.statuses | other.statuses,
            reads=_merged(self.reads, other.reads),
            requires=_merged(self.requires, other.requires),
            sends=_merged(self.sends, other.sends),
            sends_always=_merged(self.sends_always, other.sends_always),
            bearer=self.bearer or other.bearer,
            body={**self.body, **other.body},
            reads_body={**self.reads_body, **other.reads_body},
            json_body=self.json_body if other.json_body is None else other.json_body,
            json_answer=self.json_answer if other.json_answer is None else other.json_answer,
            rule="; ".join(dict.fromkeys(rule for rule in (self.rule, other.rule) if rule)),
        )


def _merged(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *second]))


def contract(*statuses: int, reads: tuple[str, ...] = (), requires: tuple[str, ...] = (),
             sends: tuple[str, ...] = (), body: dict[str, Any] | None = None,
             reads_body: dict[str, Any] | None = None, json_body: Any = None, json_answer: Any = None,
             rule: str = "") -> Contract:
    return Contract(statuses=frozenset(statuses), reads=reads, requires=requires, sends=sends, body=body or {},
                    reads_body=reads_body or {}, json_body=json_body, json_answer=json_answer, rule=rule)


# A bearer token is needed: 401 without a valid one; 403 when its scope or role does not allow.
BEARER = Contract(statuses=frozenset({401, 403}), bearer=True)
# An operator acting in the organization `X-Org-ID` names (403 when not a member with the role).
OPERATOR = BEARER | Contract(reads=("X-Org-ID",), requires=("X-Org-ID",))


def documented(target: T, promise: Contract) -> T:
    """`target` (a guard or a route middleware factory) with its contract, for the document."""
    setattr(target, _ATTRIBUTE, promise)
    return target


def contract_of(target: object) -> Contract | None:
    found = getattr(target, _ATTRIBUTE, None)
    return found if isinstance(found, Contract) else None


def route_contract(promise: Contract) -> dict[str, Any]:
    """The `opt` of a route handler that adds `promise` to its operation."""
    return {OPT_KEY: promise}
