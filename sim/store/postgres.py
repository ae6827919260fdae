"""PostgreSQL specifics of the store: the driver, schema creation, COPY appends.

The store speaks PostgreSQL through psycopg 3 (``postgresql+psycopg://``);
a bare ``postgresql://`` URL is taken to mean that driver, since psycopg2 is
not a dependency.

Bulk appends (the event log and the projection rows of ``RowWriter``) go
through ``COPY ... FROM STDIN (FORMAT BINARY)`` instead of INSERTs: one
statement streams every row of a batch, inside the batch's transaction.
Binary format sends ``double precision`` values as their 8 bytes, so times
round-trip exactly, as on SQLite. ``events.position`` (an identity) is left
out of the column list and numbered by the server in the order rows arrive,
so log order is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg
from sqlalchemy import BigInteger, Connection, Double, Engine, Float, Integer, Table, text
from sqlalchemy.engine import URL

from sim.store.schema import insert_columns, metadata

__all__ = ["DRIVER_ERRORS", "copy_rows", "create_schema", "normalise_url", "uses_copy"]

# psycopg errors raised by COPY on the raw connection (SQLAlchemy does not wrap them).
DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)

# An arbitrary, fixed advisory-lock key: "sim schema" as a 63-bit number.
_SCHEMA_LOCK = 0x73696D5F736368


def normalise_url(url: URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3; other URLs are returned as they are."""
    if url.drivername in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    return url


def create_schema(engine: Engine) -> None:
    """Create the tables and indexes that are missing, one process at a time.

    ``CREATE TABLE`` checks and creates in two steps, so two processes opening
    a new database at once could both try to create a table. A transaction-
    scoped advisory lock makes them take turns; the second finds everything
    there.
    """
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        metadata.create_all(conn)


def uses_copy(engine: Engine) -> bool:
    """Whether ``RowWriter`` appends to this engine with COPY (PostgreSQL on psycopg 3)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def _wire_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Double | Float):
        return "float8"
    return "text"  # String and Text: varchar and text share the binary format


class CopyStatement:
    """The COPY statement of one table and the wire types of its columns."""

    def __init__(self, table: Table) -> None:
        names = insert_columns(table)
        quote = '"{}"'.format
        self.sql = (
            f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
            "FROM STDIN (FORMAT BINARY)"
        )
        self.types = [_wire_type(table.c[n]) for n in names]


def copy_rows(
    conn: Connection, statement: CopyStatement, run_id: int, rows: Sequence[Sequence[Any]]
) -> None:
    """Stream ``rows`` (every column but ``run_id``) into the table, inside ``conn``'s
    transaction; a failure (e.g. a unique violation) raises a ``psycopg.Error``."""
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement.sql) as copy:
        copy.set_types(statement.types)
        write = copy.write_row
        for row in rows:
            write((run_id, *row))
