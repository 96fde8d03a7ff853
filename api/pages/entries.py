"""Pages for the author of a measurement: correct it (the measurement form, filled with the
entry's values; refusals next to their fields with the input kept, the same confirm step as
entering) or withdraw it (a page that shows the entry and asks to confirm). Both go through
:mod:`health.pipeline.withdraw`; someone else's entry, another child's or one already withdrawn
is refused in words (403, 404, 409)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.access import ENTERING
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Visit
from api.services import forms
from health import pipeline
from health.errors import ImplausibleMeasurementError, RecordError
from health.models import Measurement, MeasurementCreate
from health.pipeline.withdraw import own_entry


def measurement_entry(
    data: dict[str, Any], visit: Visit
) -> tuple[MeasurementCreate | None, forms.FieldErrors]:
    """The measurement a form describes, or None, and every refused field in words."""
    language, errors = visit.language, {}
    values = {name: forms.number(data, name, errors, language) for name in forms.MEASURE_VALUES}
    try:
        measured_on = parse_date(data, "measured_on", visit.at.today)
    except ServiceInputError:
        measured_on, errors["measured_on"] = visit.at.today, forms.date_error(language)
    try:
        entry = MeasurementCreate(
            measured_on=measured_on, source=visit.author.source,
            measure=str(data.get("measure") or "") or None,
            oedema=data.get("oedema") == "yes", **values,
        )  # fmt: skip
    except ValidationError as exc:
        return None, forms.validation_errors(exc, language) | errors
    return entry, errors


def _form_of(row: Measurement) -> dict[str, Any]:
    """The entry's values as the measurement form holds them."""
    form: dict[str, Any] = {"measured_on": row.measured_on.isoformat()}
    for name in forms.MEASURE_VALUES:
        value = getattr(row, name)
        form[name] = f"{value:g}" if value is not None else ""
    form["measure"] = str(row.measure) if row.measure else ""
    form["oedema"] = "yes" if row.oedema else ""
    return form


def _mine(visit: Visit, measurement_id: int) -> Measurement:
    """The caller's own, not withdrawn measurement of this child (else the refusal's page)."""
    return own_entry(visit.db, measurement_id, visit.author, child_id=int(visit.child.id))  # type: ignore[arg-type]


class EntryPages(PageController):
    """Correcting or withdrawing one of the caller's own measurements of a child."""

    path = "/children/{child_id:int}/measurements/{measurement_id:int}"
    opt = {"roles": ENTERING}

    def _correct_page(
        self, request: Request, visit: NamedDependency[Visit], row: Measurement, **context: Any
    ) -> Template:
        status = 422 if context.get("errors") or context.get("error") else 200
        context.setdefault("form", _form_of(row))
        return render(request, "measure.html", status_code=status, child=visit.child,
                      correcting=row, action=request.url.path,
                      **{"confirm": False, "errors": {}, **context})  # fmt: skip

    @page_get("/correct")
    def correct_form(
        self, request: Request, visit: NamedDependency[Visit], measurement_id: int
    ) -> Template:
        """The measurement form, filled with the entry's values."""
        return self._correct_page(request, visit, _mine(visit, measurement_id))

    @page_post("/correct")
    def correct_submit(
        self, request: Request, visit: NamedDependency[Visit], measurement_id: int, data: Form
    ) -> Response[Any]:
        """Save the corrected values as a new entry in place of the old one; refusals come back
        next to their fields with the input kept; implausible values with the confirm step."""
        db = visit.writing()  # before the first statement (see api.database.begin_write)
        row = _mine(visit, measurement_id)
        entry, errors = measurement_entry(data, visit)
        error, confirm = "", False
        if entry is not None and not errors:
            try:
                pipeline.correct_measurement(
                    db, measurement_id, entry, by=visit.author, at=visit.at,
                    confirm=data.get("confirm") == "yes",
                    child_id=int(visit.child.id),  # type: ignore[arg-type]
                )  # fmt: skip
            except (RecordError, ServiceInputError, ValidationError) as exc:
                db.rollback()
                confirm = isinstance(exc, ImplausibleMeasurementError)
                field = getattr(exc, "field", "")
                if field in forms.MEASURE_FIELDS and not confirm:
                    errors[field] = error_text(request, exc)
                else:
                    error = error_text(request, exc)
            else:
                db.commit()
                return Redirect(f"/children/{visit.child.id}#measurements", status_code=303)
        return self._correct_page(request, visit, row, form=data, confirm=confirm, error=error,
                                  errors=errors)  # fmt: skip

    @page_get("/withdraw")
    def withdraw_form(
        self, request: Request, visit: NamedDependency[Visit], measurement_id: int
    ) -> Template:
        """The entry with its values and a button that withdraws it."""
        row = _mine(visit, measurement_id)
        return render(request, "entry_withdraw.html", child=visit.child, row=row)

    @page_post("/withdraw")
    def withdraw_submit(
        self, request: Request, visit: NamedDependency[Visit], measurement_id: int
    ) -> Response[Any]:
        """Withdraw the entry (kept in the history as withdrawn) and go back to the child."""
        db = visit.writing()
        pipeline.withdraw_measurement(
            db, measurement_id, by=visit.author, at=visit.at,
            child_id=int(visit.child.id),  # type: ignore[arg-type]
        )  # fmt: skip
        db.commit()
        return Redirect(f"/children/{visit.child.id}#measurements", status_code=303)
