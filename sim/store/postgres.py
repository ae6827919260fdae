"""PostgreSQL specifics of the store: COPY appends.

The store speaks PostgreSQL through psycopg 3 (``postgresql+psycopg://``;
``sim.store.opening`` takes a bare ``postgresql://`` URL to mean that driver,
since psycopg2 is not a dependency, and creates the schema under an advisory
lock).

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
from sqlalchemy import BigInteger, Boolean, Connection, Double, Engine, Float, Integer, Table

from sim.store.schema import insert_columns

__all__ = ["DRIVER_ERRORS", "copy_rows", "uses_copy"]

# psycopg errors raised by COPY on the raw connection (SQLAlchemy does not wrap them).
DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)


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
    if isinstance(kind, Boolean):
        return "bool"
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
    transaction; a failure (e.g. a unique violation) raises a ``psycopg.Error``.

    PostgreSQL text cannot hold U+0000, which any JSON string may carry (a
    client's RequestIdentifier, say): if the server refuses a row for it,
    the batch is copied again with U+FFFD in its place. The event log is not
    touched (its payload is JSON, where the character is escaped); only a
    projection's text column loses the NUL. The first try runs in a
    savepoint (of the batch's transaction), so the happy path costs two short
    statements more (SAVEPOINT, RELEASE), not a scan.
    """
    driver: Any = conn.connection.driver_connection
    try:
        # SQLAlchemy's savepoint, not psycopg's ``driver.transaction()``: with no
        # statement run yet the driver is idle, and that would BEGIN and COMMIT
        # this COPY on its own, outside the batch's transaction.
        with conn.begin_nested():
            _copy(driver, statement, run_id, rows)
    except psycopg.errors.CharacterNotInRepertoire:
        _copy(driver, statement, run_id, [_without_nul(row) for row in rows])


def _copy(
    driver: Any, statement: CopyStatement, run_id: int, rows: Sequence[Sequence[Any]]
) -> None:
    with driver.cursor() as cursor, cursor.copy(statement.sql) as copy:
        copy.set_types(statement.types)
        write = copy.write_row
        for row in rows:
            write((run_id, *row))


def _without_nul(row: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v.replace("\x00", "\ufffd") if type(v) is str else v for v in row)
