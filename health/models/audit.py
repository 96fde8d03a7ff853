"""The access audit: one row per read of a child's record by someone other than the child's
guardian, per list of children read by someone other than a parent (:data:`LIST_READS`), per
case outcome and per export. Ids and counts only (no names, birth dates or other personal data;
a list's entry holds how many children it named, not which). Append-only: the model is only
ever inserted, and a database trigger (SQLite and PostgreSQL) refuses UPDATE and DELETE."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DDL, Index, event
from sqlmodel import Field, SQLModel

from health.models.ids import BIG_ID

LIST_READS = {
    "children.list": "children",  # the children in the caller's scope
    "cases.list": "case-queue",  # the open cases of the doctor's clinic
    "missed.list": "missed-checks",  # children whose check window closed without a visit
    "due.list": "due-checks",  # children with a check due now or missed
    "facility.actions": "facility-actions",  # children with a recheck or advice for the facility
    "calls.list": "call-list",  # children to call: a window closing soon, or needed for 95 %
}
"""Action of each audited list read → the list's name (its entry's ``object_kind``; the
``object_ref`` is the number of children the list named)."""

ENTRY_CHANGES = ("measurement.withdraw", "measurement.correct")
"""An entry withdrawn or corrected by the account that entered it (``object_ref``: its id)."""

LINK_READS = ("summary.shared_read",)
"""A child's summary read through a link the family shared (``object_ref``: the child's id)."""

FEED_READS = ("calendar.read",)
"""A child's reminders read by a calendar app through the family's feed link (no actor, role
``calendar-link``; ``object_ref``: the link's id)."""

VISIT_CHANGES = ("facility_visit.record",)
"""A health advisor's visit to a linked facility recorded (``object_kind`` facility,
``object_ref`` its id)."""

CONTACT_RECORDS = ("contact.record",)
"""A clinic's contact attempt with a child's family (``object_ref``: the child's id)."""

OUTBOX_PASSES = ("reminders.make",)
"""A pass of the reminder outbox over the families' children (no actor, role ``outbox``;
``object_kind`` notifications, ``object_ref``: how many reminders it made, never for whom)."""

FHIR_TRANSFERS = ("export.fhir", "import.fhir")
"""An area's records written as FHIR NDJSON (``object_kind`` area, ``object_ref`` its code) and
measurements imported from FHIR (``object_kind`` measurements, ``object_ref`` how many), both
from the command line (role ``cli``)."""

DOCUMENT_READS = ("pdf.summary", "pdf.referral")
"""A child's summary or referral letter made as a PDF for someone other than the child's
guardian (``object_ref``: the child's id)."""

AUDIT_ACTIONS = (
    *DOCUMENT_READS,
    *FHIR_TRANSFERS,
    *CONTACT_RECORDS,
    *OUTBOX_PASSES,
    "child.read", "case.outcome", "export.coverage", "user.sign_out_everywhere", *LIST_READS,
    *ENTRY_CHANGES, *LINK_READS, *FEED_READS, *VISIT_CHANGES,
    "export.forecast",
)  # fmt: skip

#: trigger bodies shared by the model (``create_all``) and migration 0003
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("UPDATE", "DELETE")
)
POSTGRES_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


class AuditPublic(SQLModel):
    """Output: one audit entry (``object_kind`` child/case/area or a list's name, ``object_ref``
    its id, the area code, or how many children the list named)."""

    id: int
    at: dt.datetime
    actor_id: int | None
    role: str
    action: str
    object_kind: str
    object_ref: str


class AuditEntry(SQLModel, table=True):
    """One audited action (see the module docstring)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    at: dt.datetime
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    role: str = Field(max_length=16)
    action: str = Field(max_length=32)
    object_kind: str = Field(max_length=16)
    object_ref: str = Field(max_length=64)


for _sql in SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in POSTGRES_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
