"""The column type of the ids that must not run out at national scale.

About 500 million checks a year, home entries on top and an audit row per read pass 2^31 − 1
(the largest 32-bit INTEGER) within a few years, so the ids of the tables that grow per
measurement, check, answer or read, and every column holding one of them, are 64-bit
(migration 0010). PostgreSQL: BIGINT (a BIGSERIAL primary key on a fresh ``create_all``).
SQLite: INTEGER, already 64-bit; an ``INTEGER PRIMARY KEY`` is the rowid alias that numbers new
rows, which a ``BIGINT PRIMARY KEY`` would not be (SQLite then leaves the id empty), hence the
variant.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer

BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit id: BIGINT on PostgreSQL, INTEGER (the rowid alias for a primary key) on SQLite."""
