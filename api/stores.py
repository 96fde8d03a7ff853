"""The key/value store every process and machine of the web service shares: server-side
sessions (namespace ``sessions``) and any short-lived cache.

By default it is the service's own database (:class:`DatabaseStore`, table ``kv_store``), so N
processes on M machines that share the database share their users' sessions and no file is
shared. ``CHILDHEALTH_STORE_URL=redis://…`` (or ``valkey://…``, ``rediss://``, ``valkeys://``
with TLS) puts the store in Valkey/Redis instead, through Litestar's ``RedisStore``
(:func:`store_for`).

Expiry is in whole or fractional seconds from :data:`DatabaseStore.clock` (wall-clock seconds
since the epoch, shared by every process: tests pin it); an entry whose ``expires_at`` has been
reached (``now >= expires_at``) is gone. Expired rows are removed when read, and all of them at
most every :data:`PURGE_EVERY_S` seconds by a write.

Code that runs outside the event loop (a page or an API handler run in a worker thread, a
command, a benchmark) reads and writes many keys at once through ``read_now`` and
``write_now`` (:class:`SyncStore`: one query or one pipeline each), on the store
:func:`shared_store` finds for the database engine it works on: the one :func:`store_for` made
for the app of that engine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar, runtime_checkable

import anyio.to_thread
from litestar.stores.base import NamespacedStore
from sqlalchemy import Engine, bindparam, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from health.models import KeyValue

STORE_URL_VARIABLE = "CHILDHEALTH_STORE_URL"
ROOT_NAMESPACE = "childhealth"
PURGE_EVERY_S = 300.0
MAX_KEY_LENGTH = 255
_REDIS_SCHEMES = {"redis": "redis", "rediss": "rediss", "valkey": "redis", "valkeys": "rediss"}

T = TypeVar("T")


class StoreConfigError(ValueError):
    """``CHILDHEALTH_STORE_URL`` names a store this service cannot use (a one-line message)."""


def _seconds(value: int | float | dt.timedelta | None) -> float | None:
    """A lifetime in seconds; None, zero or less means "no expiry" (as Litestar's stores)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return seconds if seconds > 0 else None


_GET = select(KeyValue.value, KeyValue.expires_at).where(KeyValue.key == bindparam("key"))


class DatabaseStore(NamespacedStore):
    """Litestar :class:`~litestar.stores.base.Store` on the ``kv_store`` table of ``engine``
    (SQLite or PostgreSQL). Keys are stored as ``<namespace>:<key>``; a child namespace of
    ``a`` is ``a.b`` and :meth:`delete_all` on ``a`` empties ``a`` and every child of it.

    Writes run in a worker thread, so the event loop never waits on a lock; a read
    (:meth:`get`, the one every signed-in request makes) is one primary-key read, which waits
    for no lock on PostgreSQL nor on SQLite's write-ahead log: inline on the event loop on
    both (on PostgreSQL one round trip, which costs the process less than a thread hop).
    """

    __slots__ = ("_engine", "_last_purge", "clock")

    def __init__(
        self,
        engine: Engine,
        namespace: str = ROOT_NAMESPACE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not namespace or any(c in namespace for c in ":.%"):
            raise ValueError(f"a store namespace is a plain word, not {namespace!r}")
        self._engine = engine
        self.namespace = namespace
        self.clock = clock
        self._last_purge = float("-inf")

    def with_namespace(self, namespace: str) -> DatabaseStore:
        """The store of the child namespace ``<this>.<namespace>`` (same table, same clock)."""
        if not namespace or any(c in namespace for c in ":.%"):
            raise ValueError(f"a store namespace is a plain word, not {namespace!r}")
        child = DatabaseStore(self._engine, clock=self.clock)
        child.namespace = f"{self.namespace}.{namespace}"
        return child

    # -- helpers ---------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        full = f"{self.namespace}:{key}"
        if len(full) > MAX_KEY_LENGTH:
            raise ValueError(
                f"a store key is at most {MAX_KEY_LENGTH} characters with its namespace"
            )
        return full

    def _commit(self, session: Session) -> None:
        """Commit one short write. On PostgreSQL the commit does not wait for the write-ahead
        log to reach the disk (``synchronous_commit = off``, this transaction only): a crash may
        lose the last fraction of a second of session updates, which signs those browsers out
        or forgets a renewal, never a record."""
        if self._engine.dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit = off"))
        session.commit()

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    async def _run(self, work: Callable[[], T]) -> T:
        return await anyio.to_thread.run_sync(work)

    def _upsert(
        self, session: Session, key: str, value: bytes, expires_at: dt.datetime | None
    ) -> None:
        dialect = session.get_bind().dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(KeyValue).values(key=key, value=value, expires_at=expires_at)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["key"], set_={"value": value, "expires_at": expires_at}
            )
        )

    @staticmethod
    def _alive(expires_at: dt.datetime | None, now: dt.datetime) -> bool:
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        return expires_at is None or now < expires_at

    # -- synchronous work (one short transaction each) -------------------------------------

    def _set(self, key: str, value: bytes, lifetime_s: float | None) -> None:
        now = self._now()
        expires_at = None if lifetime_s is None else now + dt.timedelta(seconds=lifetime_s)
        with Session(self._engine) as session:
            self._upsert(session, key, value, expires_at)
            if self.clock() - self._last_purge >= PURGE_EVERY_S:
                session.execute(delete(KeyValue).where(KeyValue.expires_at <= now))
                self._last_purge = self.clock()
            self._commit(session)

    def _read(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        """The first row of one read, outside a transaction on PostgreSQL (autocommit: no
        ``BEGIN`` and ``ROLLBACK`` round trips), else None."""
        with self._engine.connect() as connection:
            if self._engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            return connection.execute(statement, params or {}).first()

    def _drop_expired(self, key: str, now: dt.datetime) -> None:
        with Session(self._engine) as session:
            session.execute(delete(KeyValue).where(KeyValue.key == key, KeyValue.expires_at <= now))
            self._commit(session)

    def _renew(self, key: str, now: dt.datetime, renew_s: float) -> None:
        with Session(self._engine) as session:
            session.execute(
                update(KeyValue)
                .where(KeyValue.key == key, KeyValue.expires_at.is_not(None))
                .values(expires_at=now + dt.timedelta(seconds=renew_s))
            )
            self._commit(session)

    def _expires_at(self, key: str) -> tuple[bool, dt.datetime | None]:
        """Whether ``key`` is there and alive, and its expiry instant."""
        now = self._now()
        row = self._read(select(KeyValue.expires_at).where(KeyValue.key == key))
        if row is None or not self._alive(row.expires_at, now):
            return False, None
        expires_at = row.expires_at
        if expires_at is not None and expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        return True, expires_at

    def _delete(self, key: str) -> None:
        with Session(self._engine) as session:
            session.execute(delete(KeyValue).where(KeyValue.key == key))
            self._commit(session)

    def _delete_all(self) -> None:
        own, children = f"{self.namespace}:", f"{self.namespace}."
        with Session(self._engine) as session:
            session.execute(
                delete(KeyValue).where(
                    (func.substr(KeyValue.key, 1, len(own)) == own)
                    | (func.substr(KeyValue.key, 1, len(children)) == children)
                )
            )
            self._commit(session)

    def read_now(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The alive values of ``keys`` (absent and expired ones left out), in one query;
        synchronous, for code outside the event loop."""
        if not keys:
            return {}
        full = {self._key(k): k for k in keys}
        now = self._now()
        with self._engine.connect() as connection:
            if self._engine.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            rows = connection.execute(
                select(KeyValue.key, KeyValue.value, KeyValue.expires_at).where(
                    KeyValue.key.in_(list(full))
                )
            )
            return {
                full[row.key]: bytes(row.value) for row in rows if self._alive(row.expires_at, now)
            }

    def write_now(
        self, items: Mapping[str, bytes], expires_in: int | float | dt.timedelta | None = None
    ) -> None:
        """Store every ``key → value`` of ``items`` (replacing any) in one short transaction,
        each gone after ``expires_in`` seconds (None or 0: never); synchronous."""
        if not items:
            return
        lifetime_s = _seconds(expires_in)
        now = self._now()
        expires_at = None if lifetime_s is None else now + dt.timedelta(seconds=lifetime_s)
        rows = [
            {"key": self._key(k), "value": bytes(v), "expires_at": expires_at}
            for k, v in items.items()
        ]
        dialect = self._engine.dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(KeyValue)
        statement = statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
        )
        with Session(self._engine) as session:
            session.execute(statement, rows)
            self._commit(session)

    # -- the Store interface ----------------------------------------------------------------

    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        """Store ``value`` under ``key`` (replacing any), gone after ``expires_in`` seconds
        (None or 0: never)."""
        data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        await self._run(partial(self._set, self._key(key), data, _seconds(expires_in)))

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        """The value of ``key``, None when absent or expired; ``renew_for`` seconds restart the
        lifetime of a value that has one."""
        full, renew_s, now = self._key(key), _seconds(renew_for), self._now()
        row = self._read(_GET, {"key": full})  # inline: cheaper than a thread hop
        if row is None:
            return None
        if not self._alive(row.expires_at, now):
            await self._run(partial(self._drop_expired, full, now))
            return None
        if renew_s is not None and row.expires_at is not None:
            await self._run(partial(self._renew, full, now, renew_s))
        return bytes(row.value)

    async def delete(self, key: str) -> None:
        """Remove ``key`` (nothing happens when it is absent)."""
        await self._run(partial(self._delete, self._key(key)))

    async def delete_all(self) -> None:
        """Remove every key of this namespace and of its child namespaces."""
        await self._run(self._delete_all)

    async def exists(self, key: str) -> bool:
        """Whether ``key`` holds a value that has not expired."""
        alive, _ = await self._run(partial(self._expires_at, self._key(key)))
        return alive

    async def expires_in(self, key: str) -> int | None:
        """Whole seconds until ``key`` expires (rounded down, as Litestar's stores), None when
        it is absent, expired or never expires."""
        alive, expires_at = await self._run(partial(self._expires_at, self._key(key)))
        if not alive or expires_at is None:
            return None
        return int(expires_at.timestamp() - self.clock())


def redis_url(url: str) -> str:
    """The redis-py URL of a Valkey/Redis ``url``: ``valkey://`` → ``redis://``,
    ``valkeys://`` → ``rediss://``; StoreConfigError for any other scheme."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in _REDIS_SCHEMES or not rest:
        raise StoreConfigError(
            f"{STORE_URL_VARIABLE} must be empty (the database) or a redis://, rediss://, "
            f"valkey:// or valkeys:// address, not {url.split('@')[-1]!r}"
        )
    return f"{_REDIS_SCHEMES[scheme.lower()]}://{rest}"


class RedisStores(NamespacedStore):
    """Litestar's ``RedisStore`` on the Valkey/Redis server at ``url``, one client per event
    loop: redis-py's asyncio connections belong to the loop that opened them, and a process
    may run more than one loop (uvicorn runs one; a test client opens one per session). Keys
    are ``<namespace>:<key>``, a child namespace of ``a`` is ``a_b`` (as ``RedisStore``)."""

    __slots__ = ("_clients", "_stores", "_sync", "url")

    def __init__(
        self,
        url: str,
        namespace: str = ROOT_NAMESPACE,
        clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] | None = None,
        sync: dict[str, Any] | None = None,
    ) -> None:
        self.url = redis_url(url)
        self.namespace = namespace
        self._clients = weakref.WeakKeyDictionary() if clients is None else clients
        self._sync: dict[str, Any] = {} if sync is None else sync  # "client": redis.Redis
        self._stores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
            weakref.WeakKeyDictionary()
        )

    def with_namespace(self, namespace: str) -> RedisStores:
        """The child namespace ``<this>_<namespace>``, sharing this one's clients."""
        return RedisStores(self.url, f"{self.namespace}_{namespace}", self._clients, self._sync)

    def _sync_client(self) -> Any:
        """The blocking client shared by this store and its namespaces (thread-safe: redis-py
        takes a connection from its pool per command)."""
        client = self._sync.get("client")
        if client is None:
            from redis import Redis

            client = self._sync.setdefault("client", Redis.from_url(self.url))
        return client

    def _full_key(self, key: str) -> str:
        return f"{self.namespace}:{key}"  # as RedisStore, so both ways read the same keys

    def read_now(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The values of ``keys`` that are there (one ``MGET``); synchronous."""
        if not keys:
            return {}
        values = self._sync_client().mget([self._full_key(k) for k in keys])
        return {k: bytes(v) for k, v in zip(keys, values, strict=True) if v is not None}

    def write_now(
        self, items: Mapping[str, bytes], expires_in: int | float | dt.timedelta | None = None
    ) -> None:
        """Store every ``key → value`` of ``items`` (one pipeline), each gone after
        ``expires_in`` seconds (None or 0: never); synchronous."""
        if not items:
            return
        lifetime_s = _seconds(expires_in)
        expiry = None if lifetime_s is None else max(1, round(lifetime_s * 1000))
        with self._sync_client().pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(self._full_key(key), bytes(value), px=expiry)
            pipe.execute()

    def _store(self) -> Any:
        from litestar.stores.redis import RedisStore  # redis is needed only with a URL
        from redis.asyncio import Redis

        loop = asyncio.get_running_loop()
        store = self._stores.get(loop)
        if store is None:
            client = self._clients.get(loop)
            if client is None:
                client = self._clients[loop] = Redis.from_url(self.url, decode_responses=False)
            store = self._stores[loop] = RedisStore(client, namespace=self.namespace)
        return store

    async def set(
        self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
    ) -> None:
        """As ``RedisStore.set`` (``expires_in`` in seconds; None: never)."""
        await self._store().set(key, value, expires_in)

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        """As ``RedisStore.get``."""
        return await self._store().get(key, renew_for)  # type: ignore[no-any-return]

    async def delete(self, key: str) -> None:
        """As ``RedisStore.delete``."""
        await self._store().delete(key)

    async def delete_all(self) -> None:
        """As ``RedisStore.delete_all`` (this namespace and its children)."""
        await self._store().delete_all()

    async def exists(self, key: str) -> bool:
        """As ``RedisStore.exists``."""
        return await self._store().exists(key)  # type: ignore[no-any-return]

    async def expires_in(self, key: str) -> int | None:
        """As ``RedisStore.expires_in`` (-1 for a key without expiry)."""
        return await self._store().expires_in(key)  # type: ignore[no-any-return]

    async def __aexit__(self, *exc_info: object) -> None:
        """Close this loop's client (``async with store:`` in scripts and tests)."""
        loop = asyncio.get_running_loop()
        self._stores.pop(loop, None)
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose(close_connection_pool=True)
        blocking = self._sync.pop("client", None)
        if blocking is not None:
            blocking.close()


def store_for(url: str, engine: Engine) -> NamespacedStore:
    """The service's root store: Valkey/Redis at ``url`` (namespace ``childhealth``), or, when
    ``url`` is empty, the database of ``engine``. Children: ``.with_namespace("sessions")``.
    The store is remembered for ``engine`` (:func:`shared_store`)."""
    if not url:
        return _remember(engine, DatabaseStore(engine))
    return _remember(engine, RedisStores(url))


@runtime_checkable
class SyncStore(Protocol):
    """The blocking side of a store, for code outside the event loop (both stores have it)."""

    def read_now(self, keys: Sequence[str]) -> dict[str, bytes]: ...

    def write_now(
        self, items: Mapping[str, bytes], expires_in: int | float | dt.timedelta | None = None
    ) -> None: ...

    def with_namespace(self, namespace: str) -> Any: ...


_SHARED: weakref.WeakKeyDictionary[Engine, NamespacedStore] = weakref.WeakKeyDictionary()


def _remember(engine: Engine, store: NamespacedStore) -> NamespacedStore:
    _SHARED[engine] = store
    return store


def shared_store(engine: Engine) -> SyncStore:
    """The root store of the app on ``engine`` (the last :func:`store_for` of it); for an
    engine no app made (a command, a test's own engine), the database's own store, which every
    app on that database shares unless ``CHILDHEALTH_STORE_URL`` moved theirs to Valkey/Redis."""
    store = _SHARED.get(engine)
    return store if isinstance(store, SyncStore) else DatabaseStore(engine)
