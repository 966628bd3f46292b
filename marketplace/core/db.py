"""The asyncpg pool, its msgspec JSON codecs, and the one-transaction-per-request dependency."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, cast

import asyncpg
import msgspec
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import PathParameter

from marketplace.settings import Settings

if TYPE_CHECKING:  # asyncpg's classes are generic only in its stubs
    Connection: TypeAlias = asyncpg.Connection[asyncpg.Record]
    Pool: TypeAlias = asyncpg.Pool[asyncpg.Record]
else:
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool
# How a handler asks for the request's transaction: ``async def handler(conn: Tx) -> ...``
Tx: TypeAlias = NamedDependency[Connection]

# A row id in a URL path: positive and within bigint, or a 400 (Litestar ignores msgspec.Meta on path
# parameters, so the bounds go on its own PathParameter).
PathId: TypeAlias = Annotated[int, PathParameter(ge=1, le=2**63 - 1, description="object id")]

_json_decoder = msgspec.json.Decoder()


def _encode_json(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def init_connection(conn: Connection) -> None:
    """Per-connection setup: json/jsonb through msgspec, UTC session time zone."""
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, schema="pg_catalog", encoder=_encode_json, decoder=_json_decoder.decode, format="text"
        )


async def connect(dsn: str) -> Connection:
    """One dedicated connection with the same codecs as the pool (LISTEN, scripts)."""
    conn: Connection = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    await init_connection(conn)
    return conn


async def keep_session(conn: Connection) -> None:
    """The pool's ``reset``: nothing beyond what asyncpg always does (roll back, drop listeners).

    asyncpg's default reset (advisory unlock all, CLOSE ALL, UNLISTEN, RESET ALL) costs one more round
    trip on every release, in every request's critical path (the commit is awaited before the response
    is sent). Pooled connections never carry session state here: request code sets only ``SET LOCAL``
    or transaction-local ``set_config`` and takes only transaction advisory locks, and only dedicated
    connections (``connect``) listen. ``tests/unit/test_session_state.py`` keeps it that way.
    """


async def create_pool(settings: Settings) -> Pool:
    pool = await asyncpg.create_pool(
        settings.database_url,
        min_size=settings.db_pool_min,
        max_size=settings.db_pool_max,
        init=init_connection,
        reset=keep_session,
        server_settings={"timezone": "UTC", "application_name": "tradeyard"},
    )
    assert pool is not None  # create_pool returns None only when awaited lazily
    return pool


class Database:
    """Hands out connections and transactions. Production wraps a pool."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as conn:
            yield cast(Connection, conn)  # a pool proxy behaves as the connection it wraps

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction: commits on normal exit, rolls back on any exception."""
        async with self.connection() as conn, conn.transaction():
            yield conn

    async def close(self) -> None:
        await self.pool.close()


class HeldConnection(Database):
    """A ``Database`` over one connection the caller already holds, such as the request's.

    For code written against ``Database`` that a request runs inline (an operator's drift check): it
    works inside the request's transaction (``transaction()`` becomes a savepoint) and never asks the
    pool for a second connection while holding one.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        yield self.conn

    async def close(self) -> None:
        return None


OPEN_TRANSACTIONS = "tradeyard.open_transactions"


class _RequestTransaction:
    """One request's connection (in a transaction or not), closable exactly once from either of two places."""

    def __init__(self, unit: AbstractAsyncContextManager[Connection]) -> None:
        self._cm = unit
        self._closed = False

    async def open(self) -> Connection:
        return await self._cm.__aenter__()

    async def close(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        await self._cm.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)


def _request_connection(
    open_unit: Callable[[Database], AbstractAsyncContextManager[Connection]], doc: str
) -> Callable[[State, Request[Any, Any, Any]], AsyncIterator[Connection]]:
    async def provide(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[Connection]:
        unit = _RequestTransaction(open_unit(state.db))
        conn = await unit.open()
        request.scope["state"].setdefault(OPEN_TRANSACTIONS, []).append(unit)
        try:
            yield conn
        except BaseException as exc:
            await unit.close(exc)
            raise
        await unit.close(None)

    provide.__doc__ = doc
    return provide


provide_transaction = _request_connection(
    lambda db: db.transaction(),
    """Litestar dependency ``conn``: the request's unit of work (ARCHITECTURE.md §3.1).

    Litestar exits this generator after the handler returns and before the response is sent, so the
    commit happens first; an exception from the handler is thrown in here and rolls everything back.
    Trap: when a *later* dependency raises (e.g. "sign-in required"), Litestar never closes this
    generator. The transaction is therefore also registered on the request, and
    ``close_abandoned_transactions`` (called by the outermost middleware) rolls it back and returns
    the connection to the pool.
    """,
)

provide_statements = _request_connection(
    lambda db: db.connection(),
    """Litestar dependency ``conn`` for hot read routes that opt out of the request's transaction.

    Each statement commits on its own, which saves the ``BEGIN`` and ``COMMIT`` round trips (two of the
    five in a search's critical path, bench/search_latency.py). Only for routes whose writes are single,
    self-contained statements: the search API (its analytics row and vendor names are one statement;
    the token's ``last_used_at`` refresh and its hourly audit row are independent facts). Closed like
    ``provide_transaction``, including when a later dependency fails.
    """,
)


class AbandonedTransaction(Exception):
    """Rolls back a transaction whose dependency chain failed before the handler ran."""


async def close_abandoned_transactions(scope_state: dict[str, Any]) -> None:
    for tx in scope_state.pop(OPEN_TRANSACTIONS, []):
        await tx.close(AbandonedTransaction())


async def database_now(conn: Connection) -> Any:
    """The database clock: the referee for deadlines (ARCHITECTURE.md §3.3)."""
    return await conn.fetchval("SELECT now()")
