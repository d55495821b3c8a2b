"""Redis: one asyncio client per process (a Redis Cluster's when LML_REDIS_CLUSTER is on), Lua
scripts loaded once and called by SHA, and libraries of Redis functions (Redis >= 7.0), loaded on
first use and called by name.

In a cluster every command and script goes to the node serving its keys' slot: every script's keys
share one hash tag (a show's `{show_id}`, or a script has one key), so none spans slots."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterNode
from redis.commands.core import AsyncScript
from redis.exceptions import ClusterDownError, RedisClusterException, ResponseError
from redis.typing import EncodableT

from lml.config import Settings
from lml.platform.tracing.stores import traced_redis

RedisClient = aioredis.Redis | aioredis.RedisCluster

# What a Redis that does not answer raises: a connection that fails or times out; and a cluster that
# no node of answers (its slots cannot be learnt: RedisClusterException, whose other causes, the keys
# of one call in several slots, no call here makes) or that does not serve every slot (CLUSTERDOWN).
REDIS_OUTAGES: tuple[type[Exception], ...] = (
    aioredis.ConnectionError, aioredis.TimeoutError, ClusterDownError, RedisClusterException,
)

# Calls in flight at once (per node in a cluster).
MAX_CONNECTIONS = 256


# The protocol's length line of each short argument, built once.
_LENGTHS = [b"$%d\r\n" % size for size in range(256)]


class PackedKey(bytes):
    """A key sent with many calls (a show's keys go with every script call on the show), its protocol
    form built once: `GuardedConnection.pack_command` copies it as it is."""

    packed: bytes

    def __new__(cls, value: bytes) -> PackedKey:
        key = super().__new__(cls, value)
        key.packed = b"$%d\r\n%b\r\n" % (len(value), value)
        return key


class GuardedConnection(aioredis.Connection):
    """redis-py's connection, save one race: another task may close the connection between the moment a
    command is about to be written and the write (the cluster client drops a dead node's connections
    while calls on them are in flight), and redis-py 8.1 then fails on its missing writer with an
    AttributeError, which reached buyers as a 500. Here it is the connection error it is: the cluster
    client retries it, and what still fails is an outage (503). redis/redis-py#4287, fixed upstream
    by #4288, in no release yet. The same on uvloop (`lml serve`'s loop) when the socket itself is gone
    (a Redis node died): uvloop refuses a write to a closed transport with a RuntimeError where asyncio's
    loop lets the write fail as a connection error. And commands packed at half redis-py's cost
    (`pack_command`)."""

    async def _send_packed_command(self, command: Iterable[bytes]) -> None:
        writer = self._writer
        if writer is None or writer.transport.is_closing():
            raise aioredis.ConnectionError("the connection was closed while a command was being sent")
        await super()._send_packed_command(command)

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        """The command in the Redis protocol, built in one pass: redis-py's own packer copies the command
        so far once per argument and runs its encoder's type checks on each, which made packing a hold
        script's call (about fifty arguments) take twice as long as here. Bytes, text and integers (every
        argument of our scripts, their subclasses aside) are packed here, a `PackedKey` as it was packed
        once; anything else, or a command name holding a space ("SCRIPT LOAD"), goes to redis-py's packer."""
        head = args[0]
        if (isinstance(head, str) and " " in head) or (isinstance(head, bytes) and b" " in head):
            return super().pack_command(*args)
        encoding, errors = self.encoder.encoding, self.encoder.encoding_errors
        parts = [b"*%d\r\n" % len(args)]
        append = parts.append
        for arg in args:
            if arg.__class__ is PackedKey:
                append(arg.packed)
                continue
            if arg.__class__ is str:
                value = arg.encode(encoding, errors)
            elif arg.__class__ is bytes:
                value = arg
            elif arg.__class__ is int:  # not a bool, which redis-py refuses
                value = b"%d" % arg
            else:
                return super().pack_command(*args)
            size = len(value)
            append(_LENGTHS[size] if size < len(_LENGTHS) else b"$%d\r\n" % size)
            append(value)
            append(b"\r\n")
        return [b"".join(parts)]


def create_redis(settings: Settings) -> RedisClient:
    # A socket timeout always: redis-py writes through `_send_packed_command` (guarded) only with one.
    options: dict[str, Any] = {
        "decode_responses": False, "health_check_interval": 30, "socket_connect_timeout": 2, "socket_timeout": 5,
    }
    if settings.redis_cluster:
        # The nodes and their slots are read from the node named; MOVED answers refresh them.
        cluster = aioredis.RedisCluster.from_url(settings.redis_url, max_connections=MAX_CONNECTIONS, **options)
        # The cluster client takes no connection class: every node it makes, now or when it learns of
        # one, gets its connections' class from these keyword arguments.
        cluster.nodes_manager.connection_kwargs["connection_class"] = GuardedConnection
        for node in cluster.nodes_manager.startup_nodes.values():
            node.connection_class = GuardedConnection
        return traced_redis(cluster)
    # Blocking: past MAX_CONNECTIONS calls in flight a request waits for a connection instead of failing.
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=MAX_CONNECTIONS, timeout=5, connection_class=GuardedConnection,
        **options
    )
    return traced_redis(aioredis.Redis.from_pool(pool))  # the client owns the pool and closes it


async def shard_of(client: RedisClient, channel: str) -> ClusterNode | None:
    """The Cluster node that serves a shard channel (SSUBSCRIBE must reach the node SPUBLISH publishes
    on); None for the one Redis."""
    if not isinstance(client, aioredis.RedisCluster):
        return None
    await client.initialize()  # the slots are known once the client has met the cluster
    return client.get_node_from_key(channel)


class ShardSubscriber:
    """A pub/sub connection to one shard: a Cluster node (`shard_of`), or the one Redis (None)."""

    def __init__(self, client: RedisClient, node: ClusterNode | None) -> None:
        self._node_client: aioredis.Redis | None = None
        if node is None:
            if isinstance(client, aioredis.RedisCluster):
                raise ValueError("a cluster's pub/sub connection is made to one of its nodes")
            self.pubsub: PubSub = client.pubsub()
        else:
            # Its own connection, with the cluster client's options (credentials, TLS, timeouts).
            pool = aioredis.ConnectionPool(connection_class=node.connection_class, **node.connection_kwargs)
            self._node_client = aioredis.Redis.from_pool(pool)
            self.pubsub = self._node_client.pubsub()

    async def aclose(self) -> None:
        await self.pubsub.aclose()  # type: ignore[no-untyped-call]
        if self._node_client is not None:
            await self._node_client.aclose()


def lua_source(package: str, *names: str) -> str:
    """The files of a package's `lua/` folder, one after the other: a prelude the scripts share (the
    keys they name, their helpers), then the script itself."""
    folder = resources.files(package).joinpath("lua")
    return "".join(folder.joinpath(name).read_text() for name in names)


class LuaScript:
    """A script from a package's `lua/` folder; redis-py calls EVALSHA and reloads on NOSCRIPT."""

    def __init__(self, client: RedisClient, package: str, *names: str) -> None:
        """`names`: the script's preludes, then the script (see `lua_source`)."""
        self._script: AsyncScript = client.register_script(lua_source(package, *names))

    async def __call__(self, keys: list[Any], args: list[Any]) -> Any:
        return await self._script(keys=keys, args=args)


@dataclass(frozen=True)
class LibrarySource:
    """A library of Redis functions: its name and text, and its functions' names by their short names."""

    name: str
    code: str
    functions: Mapping[str, str]


_LIBRARY_HEADER = """#!lua name={name}
-- Assembled by lml.platform.redis.library_source. Each function binds KEYS and ARGV first, for the code
-- the library shares and the function's own, written as scripts read them; Redis runs one call at a
-- time, so a call never sees another's.
local KEYS, ARGV
"""
_LIBRARY_FUNCTION = """redis.register_function('{name}', function(keys, args)
KEYS, ARGV = keys, args
{body}
end)
"""


def library_source(prefix: str, shared: str, bodies: Mapping[str, str]) -> LibrarySource:
    """`shared` defined once, when the library is loaded, then one function per body (a script's text: it
    may `return` at its end). The library's name and its functions' carry a hash of its text: another
    version (an older process's, during a rolling deploy) is another library, loaded beside this one."""
    digest = hashlib.sha256()
    for part in (_LIBRARY_HEADER, _LIBRARY_FUNCTION, shared, *(f"{short}\n{body}" for short, body in bodies.items())):
        digest.update(part.encode() + b"\0")
    name = f"{prefix}_{digest.hexdigest()[:16]}"
    functions = {short: f"{name}_{short}" for short in bodies}
    code = _LIBRARY_HEADER.format(name=name) + shared + "".join(
        _LIBRARY_FUNCTION.format(name=functions[short], body=body) for short, body in bodies.items())
    return LibrarySource(name, code, functions)


def function_missing(error: Exception) -> bool:
    """Redis' answer to FCALL of a function it does not have (a first use, a restart, FUNCTION FLUSH)."""
    return isinstance(error, ResponseError) and str(error) == "Function not found"


class FunctionLibrary:
    """A library of Redis functions on one client: its functions are called by name (FCALL), and the
    library is loaded when Redis answers that one is missing (see `LibraryFunction`)."""

    def __init__(self, client: RedisClient, source: LibrarySource) -> None:
        self.client = client
        self.source = source
        self._loading: asyncio.Future[None] | None = None

    def function(self, short_name: str) -> LibraryFunction:
        return LibraryFunction(self, self.source.functions[short_name])

    async def load(self) -> None:
        """FUNCTION LOAD REPLACE (the same text again changes nothing, and processes loading it at once
        never fail on each other's), once for the callers that find it missing at the same time."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(self._load())
            self._loading.add_done_callback(self._loaded)
        await asyncio.shield(self._loading)

    def _loaded(self, _: asyncio.Future[None]) -> None:
        self._loading = None

    async def _load(self) -> None:
        client = self.client
        if not isinstance(client, aioredis.RedisCluster):
            await client.execute_command("FUNCTION LOAD", "REPLACE", self.source.code)  # type: ignore[no-untyped-call]
            return
        # Every primary: a replica has its primary's functions (they are replicated), a primary added
        # later gets the library at its first "Function not found". A primary that does not answer is
        # left: a call on it fails as it would have, and its replica, once promoted, has the library.
        await client.initialize()
        answers = await asyncio.gather(*(
            client.execute_command("FUNCTION LOAD", "REPLACE", self.source.code, target_nodes=node)
            for node in client.get_primaries()
        ), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, ResponseError):
                raise answer  # the library itself is refused (a compile error)


class LibraryFunction:
    """One function of a library, called as a registered script is (`await function(keys, args)`)."""

    def __init__(self, library: FunctionLibrary, name: str) -> None:
        self.library = library
        self.name = name

    async def __call__(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        try:
            return await self.call(keys, args)
        except ResponseError as error:
            if not function_missing(error):
                raise
        return await self.loaded_and_called(keys, args)

    async def loaded_and_called(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        """The call once the library is loaded (Redis answered that it did not have the function)."""
        await self.library.load()
        return await self.call(keys, args)

    def call(self, keys: Sequence[Any], args: Sequence[Any]) -> Any:
        return self.library.client.execute_command("FCALL", self.name, len(keys), *keys, *args)
