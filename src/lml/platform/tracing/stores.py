"""Client spans around PostgreSQL statements and Redis commands, inside a trace only
(`spans.child_span`). Statements are recorded as written, with their placeholders: parameters
(passwords, tokens) are never recorded; nor are Redis commands' arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from functools import wraps
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from opentelemetry.util.types import AttributeValue
from psycopg import AsyncClientCursor, AsyncCursor
from psycopg.abc import Params, Query

from lml.platform.tracing.spans import child_span, in_traced_work

TracedClient = TypeVar("TracedClient", aioredis.Redis, aioredis.RedisCluster)


def _statement_span(query: Query) -> AbstractContextManager[Any]:
    if not in_traced_work():
        return nullcontext()
    text = query if isinstance(query, str) else None
    operation = text.lstrip().split(None, 1)[0].upper() if text and text.strip() else "SQL"
    attributes = {"db.system.name": "postgresql", "db.operation.name": operation}
    if text is not None:
        attributes["db.query.text"] = text
    return child_span(operation, attributes=attributes)


def _command_span(command: object, **attributes: AttributeValue) -> AbstractContextManager[Any]:
    if not in_traced_work():
        return nullcontext()
    operation = str(command).upper()
    return child_span(operation, attributes={"db.system.name": "redis", "db.operation.name": operation,
                                             **attributes})


class TracedCursor(AsyncCursor[Any]):
    """The pool's cursors (`cursor_factory`): `conn.execute()` goes through one of these too."""

    async def execute(
        self, query: Query, params: Params | None = None, *, prepare: bool | None = None,
        binary: bool | None = None,
    ) -> TracedCursor:
        with _statement_span(query):
            return await super().execute(cast(Any, query), params, prepare=prepare, binary=binary)

    async def executemany(self, query: Query, params_seq: Iterable[Params], *, returning: bool = False) -> None:
        with _statement_span(query):
            await super().executemany(query, params_seq, returning=returning)


class TracedClientCursor(AsyncClientCursor[Any]):
    """A cursor that binds parameters itself, so that several statements go in one query
    (`Database.run_alone`); traced as `TracedCursor` is."""

    async def execute(
        self, query: Query, params: Params | None = None, *, prepare: bool | None = None,
        binary: bool | None = None,
    ) -> TracedClientCursor:
        with _statement_span(query):
            return await super().execute(cast(Any, query), params, prepare=prepare, binary=binary)


def traced_redis(client: TracedClient) -> TracedClient:
    """`client`, its commands (scripts included) and its pipelines traced. Wrapped on the instance,
    so that whichever client class the factory makes is traced alike."""
    command: Callable[..., Awaitable[Any]] = client.execute_command

    @wraps(command)
    async def execute_command(*args: Any, **options: Any) -> Any:
        with _command_span(args[0] if args else "COMMAND"):
            return await command(*args, **options)

    make_pipeline: Callable[..., Any] = client.pipeline

    @wraps(make_pipeline)
    def pipeline(*args: Any, **kwargs: Any) -> Any:
        pipe = make_pipeline(*args, **kwargs)
        pipe.execute = _traced_pipeline_execute(pipe, pipe.execute)
        return pipe

    client.execute_command = execute_command  # type: ignore[method-assign]
    client.pipeline = pipeline  # type: ignore[method-assign]
    return client


def batch_span(size: int) -> AbstractContextManager[Any]:
    """The span of commands sent together on one connection without a pipeline object
    (`lml.platform.redis_batch`), as a pipeline's is."""
    return _command_span("PIPELINE", **{"db.operation.batch.size": size})


def _traced_pipeline_execute(pipe: Any, execute: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @wraps(execute)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        with batch_span(len(pipe)):
            return await execute(*args, **kwargs)

    return traced
