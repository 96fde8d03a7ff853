"""The domain and its data: health records, persistence, coverage.

- ``health.models``: the SQLModel data model (Base/Create/Public classes for input and output,
  table classes for storage).
- ``health.db`` / ``health.migrate``: the database (``CHILDHEALTH_DATABASE_URL``; SQLite file
  ``var/childhealth.db`` by default, PostgreSQL via psycopg 3) and the alembic migrations of
  ``health/migrations``, run programmatically on either database.
- ``health.services``: record measurements, checks, milestone checklists and feeding recalls →
  z-scores (growth engine) → flags (screening) → one open case per child for the responsible
  clinic; close cases; a child's schedule.
- ``health.schedule`` / ``health.periods``: the check schedule (``reference_data/schedule``) and
  calendar arithmetic.
- ``health.coverage``: the three health-management indicators as SQL aggregation.
- ``health.exchange``: the bulk exchange format (streamed, all-or-nothing import).
- ``health.synthetic`` / ``health.demo``: synthetic provinces for benchmarks and the demo.
"""
