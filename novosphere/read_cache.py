"""Repeated reads answered without running Django: rendered once, served until a write.

Most of what people read is the same page read again (a city's stream during its
Digital Week, a project everyone opens). Django's sync-to-async bridge and the
ORM make each such read cost milliseconds; this ASGI layer in front of Django
keeps the last rendered answer of each GET under `/api/v1/` and serves it again
while nothing has changed.

"Nothing has changed" is the *write generation*: every SQL statement that writes,
from any code path of any process (requests, Celery workers, sweeps, bulk
`update()`s, management commands), moves it on once its transaction commits
(`note_writes`, installed on every database connection). An entry is served only
under the generation it was rendered under, so a write is seen by the very next
read, whoever reads. The generation lives in a file's modification time (every
process of this machine sees it) and, with `REDIS_URL`, in Redis too (every
machine sees it). Entries also age out after `READ_CACHE_SECONDS`, which bounds
what time alone changes (a deadline that passes, an expired token, an index
refresh): an aged-out entry is served once more while one background rendering
replaces it, so no reader waits for an expiry, and it is dropped at twice that age.

An entry belongs to one exact request: its key holds the path, the query and every
header that can change the answer (credentials, cookies, language, `Accept`,
`Origin`, `Host`...), so two viewers never share one. Only complete 200 answers
that set no cookie and allow storing are kept. Concurrent misses of one key wait
for the first one's answer instead of all entering Django at once. A matching
`If-None-Match` gets a 304 from the entry.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

logger = logging.getLogger(__name__)

# Request headers that never change an answer's body: they stay out of the key.
IGNORED_HEADERS = frozenset({
    b"accept-encoding", b"cache-control", b"connection", b"dnt", b"if-modified-since", b"if-none-match",
    b"keep-alive", b"pragma", b"priority", b"referer", b"te", b"upgrade-insecure-requests", b"user-agent",
    b"x-forwarded-for", b"x-real-ip", b"x-request-id",
})
IGNORED_HEADER_PREFIXES = (b"sec-ch-", b"sec-fetch-")
# First words of statements that do not change data (everything else moves the generation on).
READ_ONLY_STATEMENTS = frozenset({"SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "SET", "SHOW",
                                  "EXPLAIN", "PRAGMA", "VALUES"})
DATA_MODIFYING = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


# --- The write generation ----------------------------------------------------------


def generation_file() -> Path:
    """One file per database: every process of this machine that writes to it shares the file.

    Read at first use, after a test run has renamed the database to its test copy.
    """
    configured = getattr(settings, "READ_CACHE_GENERATION_FILE", "")
    if configured:
        return Path(configured)
    database = connections[DEFAULT_DB_ALIAS].settings_dict
    identity = f"{database['ENGINE']}|{database.get('HOST')}|{database.get('PORT')}|{database['NAME']}"
    tag = hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()
    return Path(tempfile.gettempdir()) / f"novosphere-{tag}.generation"


class Generation:
    """Reads and moves on the write generation (file mtime, plus Redis when configured)."""

    REDIS_KEY = "novosphere:read-generation"

    def __init__(self) -> None:
        self.path = generation_file()
        self.path.touch(exist_ok=True)
        self.redis_url = getattr(settings, "REDIS_URL", "")
        self._sync_redis = None
        self._async_redis = None

    def bump(self) -> None:
        stamp = max(time.time_ns(), self._file_stamp() + 1)
        try:
            os.utime(self.path, ns=(stamp, stamp))
        except FileNotFoundError:
            self.path.touch()
        if self.redis_url:
            try:
                self._redis_sync().incr(self.REDIS_KEY)
            except Exception as error:  # Redis down: other machines see the write when entries age out
                logger.warning("read cache generation not shared error=%s", error)

    async def current(self) -> tuple | None:
        """The generation now, or None when it cannot be known (then nothing is served from cache)."""
        stamp = self._file_stamp()
        if not self.redis_url:
            return (stamp,)
        try:
            shared = await self._redis_async().get(self.REDIS_KEY)
        except Exception:
            return None
        return stamp, shared

    def _file_stamp(self) -> int:
        try:
            return os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return 0

    def _redis_sync(self):
        if self._sync_redis is None:
            import redis

            self._sync_redis = redis.Redis.from_url(self.redis_url, socket_timeout=1, socket_connect_timeout=1)
        return self._sync_redis

    def _redis_async(self):
        if self._async_redis is None:
            import redis.asyncio

            self._async_redis = redis.asyncio.Redis.from_url(
                self.redis_url, socket_timeout=1, socket_connect_timeout=1
            )
        return self._async_redis


_generation: Generation | None = None


def generation() -> Generation:
    global _generation
    if _generation is None:
        _generation = Generation()
    return _generation


def _bump_generation() -> None:
    generation().bump()


def writes(sql) -> bool:
    """Whether a statement may change data. A `WITH` query (search's ranked hits) is a read
    unless one of its parts modifies data (PostgreSQL's `WITH ... INSERT/UPDATE/DELETE`)."""
    if not isinstance(sql, str):
        return True
    # A compound query's first part comes in parentheses: "(SELECT ...) UNION ALL (SELECT ...)".
    words = sql.lstrip().lstrip("(").split(None, 1)
    if not words:
        return False
    first = words[0].upper()
    if first == "WITH":
        return DATA_MODIFYING.search(sql) is not None
    return first not in READ_ONLY_STATEMENTS


def note_writes(execute, sql, params, many, context):
    """A database execute wrapper: a statement that writes moves the generation on after its commit."""
    result = execute(sql, params, many, context)
    # An UPDATE or DELETE that matched nothing (a sweep finding no work) changed nothing.
    changed = getattr(context["cursor"], "rowcount", -1) != 0
    if changed and writes(sql):
        connection = context["connection"]
        if connection.in_atomic_block:
            # Once per transaction; dropped with it if it rolls back.
            if not any(callback is _bump_generation for _sids, callback, _robust in connection.run_on_commit):
                transaction.on_commit(_bump_generation, using=connection.alias)
        else:
            _bump_generation()
    return result


def install_write_tracking(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: watch every connection's statements, once."""
    if note_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(note_writes)


# --- The cache itself ----------------------------------------------------------------


@dataclass
class Entry:
    generation: tuple
    stored_at: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class Store:
    """A bounded LRU of entries, by count and by bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.max_entries, self.max_bytes, self.bytes = max_entries, max_bytes, 0

    def get(self, key: tuple) -> Entry | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: tuple, entry: Entry) -> None:
        self.discard(key)
        self.entries[key] = entry
        self.bytes += entry.size
        while self.entries and (len(self.entries) > self.max_entries or self.bytes > self.max_bytes):
            _key, old = self.entries.popitem(last=False)
            self.bytes -= old.size

    def discard(self, key: tuple) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size


def request_key(scope) -> tuple | None:
    """The entry's key, or None for a request this cache does not serve."""
    if scope["method"] != "GET" or not scope["path"].startswith("/api/v1/"):
        return None
    headers = tuple(sorted(
        (name, value) for name, value in scope["headers"]
        if name not in IGNORED_HEADERS and not name.startswith(IGNORED_HEADER_PREFIXES)
    ))
    return scope["path"], scope.get("query_string", b""), scope.get("scheme", "http"), headers


def header(headers, name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def etag_matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    if if_none_match.strip() == b"*":
        return True
    bare = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == bare for tag in if_none_match.split(b","))


class ReadCache:
    """ASGI middleware: serves repeated reads from `Store` while the write generation holds."""

    def __init__(self, app) -> None:
        self.app = app
        self.seconds = float(getattr(settings, "READ_CACHE_SECONDS", 0))
        self.max_body = int(getattr(settings, "READ_CACHE_MAX_BODY", 512 * 1024))
        self.store = Store(int(getattr(settings, "READ_CACHE_MAX_ENTRIES", 4096)),
                           int(getattr(settings, "READ_CACHE_MAX_BYTES", 64 * 1024 * 1024)))
        self.in_flight: dict[tuple, asyncio.Future] = {}
        self.refreshing: dict[tuple, asyncio.Task] = {}  # background refreshes, one per key

    async def __call__(self, scope, receive, send):
        key = request_key(scope) if scope["type"] == "http" and self.seconds > 0 else None
        if key is None:
            return await self.app(scope, receive, send)
        current = await generation().current()
        if current is None:
            return await self.app(scope, receive, send)
        entry = self.fresh(key, current)
        if entry is None:
            entry = self.aged_out_a_moment_ago(key, current, scope)
        if entry is None and key in self.in_flight:
            entry = await asyncio.shield(self.in_flight[key])
            entry = entry if entry is not None and entry.generation == current else None
        if entry is not None:
            return await self.answer(entry, scope, send)
        return await self.render(key, current, scope, receive, send)

    def fresh(self, key: tuple, current: tuple) -> Entry | None:
        entry = self.store.get(key)
        if entry is None:
            return None
        if entry.generation != current:
            self.store.discard(key)
            return None
        if time.monotonic() - entry.stored_at > self.seconds:
            return None  # aged out: `aged_out_a_moment_ago` decides
        return entry

    def aged_out_a_moment_ago(self, key: tuple, current: tuple, scope) -> Entry | None:
        """An entry past its time under the current generation, served once more while one
        refresh renders it again in the background (stale-while-revalidate).

        Without this, every entry's expiry made every reader of it wait for one rendering,
        once a second: the tail of every hot read. No write has happened since it was
        rendered (the generation holds), so only what time alone changes can be late, and
        by at most another `READ_CACHE_SECONDS`; past that the entry is dropped.
        """
        entry = self.store.get(key)
        if entry is None or entry.generation != current:
            return None
        if time.monotonic() - entry.stored_at > 2 * self.seconds:
            self.store.discard(key)
            return None
        if key not in self.in_flight and key not in self.refreshing:
            task = asyncio.get_running_loop().create_task(self.refresh(key, current, scope))
            self.refreshing[key] = task  # from now on: the task starts later, in its turn
            task.add_done_callback(lambda _task: self.refreshing.pop(key, None))
        return entry

    async def refresh(self, key: tuple, current: tuple, scope) -> None:
        """Renders `key` again for the next readers; nobody waits for this answer."""
        asked = False

        async def receive():
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.Event().wait()  # no disconnect: Django's listener waits here until cancelled

        async def discard(message):
            pass

        try:
            await self.render(key, current, dict(scope), receive, discard)
        except Exception:
            logger.exception("read cache refresh failed path=%s", scope["path"])

    async def answer(self, entry: Entry, scope, send) -> None:
        if etag_matches(header(scope["headers"], b"if-none-match"), entry.etag):
            kept = [(k, v) for k, v in entry.headers if k.lower() in (b"etag", b"cache-control", b"vary",
                                                                        b"last-modified", b"content-location")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers})
        await send({"type": "http.response.body", "body": entry.body})

    async def render(self, key: tuple, current: tuple, scope, receive, send) -> None:
        """Run Django; keep a complete, storable 200 for the next readers of this key."""
        future = asyncio.get_running_loop().create_future()
        self.in_flight[key] = future
        started_at = time.monotonic()
        state = {"start": None, "storable": True, "streaming": False, "entry": None}
        if_none_match = header(scope["headers"], b"if-none-match")

        async def capture(message):
            if message["type"] == "http.response.start":
                state["start"] = message
                headers = message.get("headers", [])
                cache_control = (header(headers, b"cache-control") or b"").lower()
                if (message["status"] != 200 or header(headers, b"set-cookie") is not None
                        or b"no-store" in cache_control):
                    state["storable"] = False
                    await send(message)
                    state["start"] = None
                return
            if message["type"] != "http.response.body":
                return await send(message)
            body, more = message.get("body", b""), message.get("more_body", False)
            if len(body) > self.max_body:
                state["storable"] = False
            if state["start"] is not None and not more and not state["streaming"]:
                # A whole answer in one message: keep it, send it. Its ETag is Django's
                # (ConditionalGetMiddleware gives every storable answer one).
                start, state["start"] = state["start"], None
                headers = list(start.get("headers", []))
                etag = header(headers, b"etag")
                if state["storable"]:
                    state["entry"] = Entry(current, started_at, start["status"], headers, body, etag or b"")
                if etag and etag_matches(if_none_match, etag):
                    kept = [(k, v) for k, v in headers if k.lower() in (b"etag", b"cache-control", b"vary")]
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    return await send({"type": "http.response.body", "body": b""})
                await send({**start, "headers": headers})
                return await send(message)
            if state["start"] is not None:  # streamed (exports, large lists): passed on, not kept
                state["streaming"], state["storable"] = True, False
                start, state["start"] = state["start"], None
                await send(start)
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            entry = state["entry"]
            if entry is not None:
                self.store.put(key, entry)
            self.in_flight.pop(key, None)
            if not future.done():
                future.set_result(entry)
