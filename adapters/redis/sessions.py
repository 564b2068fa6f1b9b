"""Sessions in Redis, shared by every app instance. Each operation is one Lua script.

Every script gives the same answer and leaves the same keys when it runs twice with the same
arguments, so the client may send a command again after its connection broke
(`adapters/redis/client.py`). Rotating to the hash the session already holds answers the same
grant: only this request's own repeat can name that new hash (a fresh random token), so a
replayed old token still ends the session.

Keys (under `REDIS_KEY_PREFIX`, default `storefront:`):
- `session:<sid>`: hash {user, current}; `current` is the hash of the session's
  live refresh token. Expires with it.
- `refresh:<hash>`: the session a refresh token belongs to, kept for its whole
  lifetime even after rotation, so that a replayed old token is recognised.
- `user-sessions:<uid>`: the user's session ids, to end them all at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.batching import BatchedLookup, KeyFailed
from application.ports import SessionGrant, SessionStore
from domain.errors import DependencyUnavailable

T = TypeVar("T")

_START = """
local prefix, sid, user, hash, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
redis.call('HSET', prefix .. 'session:' .. sid, 'user', user, 'current', hash)
redis.call('EXPIRE', prefix .. 'session:' .. sid, ttl)
redis.call('SET', prefix .. 'refresh:' .. hash, sid, 'EX', ttl)
redis.call('SADD', prefix .. 'user-sessions:' .. user, sid)
redis.call('EXPIRE', prefix .. 'user-sessions:' .. user, ttl)
return 1
"""

_ROTATE = """
local prefix, old, new, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local sid = redis.call('GET', prefix .. 'refresh:' .. old)
if not sid then return false end
local key = prefix .. 'session:' .. sid
local current = redis.call('HGET', key, 'current')
if not current then return false end
local user = redis.call('HGET', key, 'user')
if current == new then return {user, sid} end
if current ~= old then
  redis.call('DEL', key)
  redis.call('SREM', prefix .. 'user-sessions:' .. user, sid)
  return false
end
redis.call('HSET', key, 'current', new)
redis.call('EXPIRE', key, ttl)
redis.call('SET', prefix .. 'refresh:' .. new, sid, 'EX', ttl)
redis.call('EXPIRE', prefix .. 'user-sessions:' .. user, ttl)
return {user, sid}
"""

_END = """
local prefix, sid = ARGV[1], ARGV[2]
local key = prefix .. 'session:' .. sid
local user = redis.call('HGET', key, 'user')
redis.call('DEL', key)
if user then redis.call('SREM', prefix .. 'user-sessions:' .. user, sid) end
return 1
"""

_END_ALL = """
local prefix, user = ARGV[1], ARGV[2]
local index = prefix .. 'user-sessions:' .. user
for _, sid in ipairs(redis.call('SMEMBERS', index)) do
  redis.call('DEL', prefix .. 'session:' .. sid)
end
redis.call('DEL', index)
return 1
"""


class RedisSessionStore(SessionStore):
    """Keys are built inside the scripts: meant for one Redis (or a primary), not a cluster."""

    def __init__(self, client: Redis, ttl: timedelta, prefix: str = "storefront:") -> None:
        self._client = client
        self._ttl = str(int(ttl.total_seconds()))
        self._prefix = prefix
        self._start = client.register_script(_START)
        self._rotate = client.register_script(_ROTATE)
        self._end = client.register_script(_END)
        self._end_all = client.register_script(_END_ALL)
        # Every authenticated request asks for its session's owner: those asked for in one turn
        # of the event loop share one pipeline (adapters/batching.py).
        self._owners: BatchedLookup[str, int] = BatchedLookup(self._read_owners)

    async def start(self, user_id: int, session_id: str, refresh_hash: str) -> None:
        args = [self._prefix, session_id, str(user_id), refresh_hash, self._ttl]
        await _reach(lambda: self._start(args=args))

    async def rotate(self, old_hash: str, new_hash: str) -> SessionGrant | None:
        args = [self._prefix, old_hash, new_hash, self._ttl]
        found = await _reach(lambda: self._rotate(args=args))
        if not found:
            return None
        user, session_id = found
        return SessionGrant(int(user), _text(session_id))

    async def owner(self, session_id: str) -> int | None:
        return await _reach(lambda: self._owners.get(session_id))

    async def _read_owners(self, session_ids: Sequence[str]) -> Mapping[str, int | KeyFailed]:
        """The sessions' users. A command the server refuses fails its own session's lookup
        alone (a key of another type under the prefix); an entry whose user is not a number is
        no live session of ours (None: refused, never a failure of the whole batch)."""
        if len(session_ids) == 1:  # a batch of one: the command alone, no pipeline around it
            users = [await self._client.hget(f"{self._prefix}session:{session_ids[0]}", "user")]
        else:
            async with self._client.pipeline(transaction=False) as pipe:
                for session_id in session_ids:
                    pipe.hget(f"{self._prefix}session:{session_id}", "user")
                users = await pipe.execute(raise_on_error=False)
        owners: dict[str, int | KeyFailed] = {}
        for session_id, user in zip(session_ids, users, strict=True):
            if isinstance(user, Exception):
                owners[session_id] = KeyFailed(user)
            elif isinstance(user, bytes | str) and _text(user).isdecimal():
                owners[session_id] = int(user)
        return owners

    async def end(self, session_id: str) -> None:
        await _reach(lambda: self._end(args=[self._prefix, session_id]))

    async def end_all(self, user_id: int) -> None:
        await _reach(lambda: self._end_all(args=[self._prefix, str(user_id)]))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _reach(call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except RedisError as error:
        raise DependencyUnavailable("the session store is unavailable, retry shortly") from error
