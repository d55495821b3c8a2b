"""Our connections pack commands themselves: byte for byte what redis-py would send."""

import pytest
import redis.asyncio as aioredis
from redis.exceptions import DataError

from lml.platform.redis import GuardedConnection, PackedKey

COMMANDS = [
    ("GET", "key"),
    (b"SET", b"key", b""),
    ("EVALSHA", "f" * 40, 2, "lml:seating:inv:{show}", b"lml:seating:idx:{show}", "", -7, 1_764_158_400_000,
     "zone \u00e9", "5.0"),
    ("SET", "key", b"x" * 20_000),  # past redis-py's buffer cutoff
    ("SCRIPT LOAD", "return 1"),  # a command name of two words
    (b"CLIENT SETNAME", b"api"),
    ("SET", "key", 1.5),  # a float: redis-py's own packer
    ("SET", "key", memoryview(b"view")),
    ("SET", "key", bytearray(b"array")),
    # A show's keys, packed once; one of them empty, one holding the protocol's line end.
    ("EVALSHA", "f" * 40, 3, PackedKey(b"lml:seating:inv:{show}"), PackedKey(b""), PackedKey(b"a\r\nb"), "", 2),
]


@pytest.mark.parametrize("command", COMMANDS, ids=range(len(COMMANDS)))
def test_a_command_is_packed_as_redis_py_packs_it(command: tuple[object, ...]) -> None:
    ours = GuardedConnection().pack_command(*command)  # type: ignore[arg-type]
    theirs = aioredis.Connection().pack_command(*command)  # type: ignore[arg-type]
    assert b"".join(bytes(chunk) for chunk in ours) == b"".join(bytes(chunk) for chunk in theirs)


def test_a_bool_is_refused_as_redis_py_refuses_it() -> None:
    with pytest.raises(DataError):
        GuardedConnection().pack_command("SET", "key", True)
