"""The errors of a page form, per field and in words: every field that is refused gets its own
sentence from the interface catalogue (never a field name, an enum value or a validator's
English), all of them at once, so the template can show each one next to its field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.i18n import gettext

FieldErrors = dict[str, str]
"""Form field name → the sentence shown next to that field."""

NOT_A_NUMBER = "Please write a number, for example 7.25."
NOT_A_DATE = "Please give a date (year-month-day)."
NOT_A_COUNT = "Please write a whole number (0, 1, 2 …), or leave it empty if you do not know."
COUNT_TOO_BIG = "This number is too big for one day."
MUST_BE_MORE = "The value must be more than {limit}."
MUST_BE_LESS = "The value must be less than {limit}."
CHOOSE_ONE = "Please choose one of the options."
FILL_IN = "Please fill this in."
TOO_LONG = "This text is too long."
NOT_ACCEPTED = "This value is not accepted; please check it."

MEASURE_VALUES = ("weight_kg", "length_cm", "head_cm", "muac_cm")
MEASURE_FIELDS = ("measured_on", *MEASURE_VALUES, "measure")
"""The values and all the fields of the measurement form."""

FIELD_LABELS = {
    "measured_on": "Date measured",
    "weight_kg": "Weight",
    "length_cm": "Length/height",
    "measure": "Measured",
    "head_cm": "Head circumference",
    "muac_cm": "Mid-upper arm circumference",
    "sex": "Sex",
    "birth_date": "Birth date",
    "gestational_weeks": "Gestational age at birth (weeks, optional)",
    "name": "Name (optional)",
    "area_code": "Township or street where the child lives",
    "guardian_phone": "Guardian's phone (optional)",
}
"""Form field → its label on the page (a catalogue id), for messages not shown next to it."""


def field_label(name: str, language: str) -> str:
    """The label of a form field in words (a field without one is called "this value")."""
    label = FIELD_LABELS.get(name)
    return gettext(language, label) if label else gettext(language, "This value")


def _limit(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _sentence(error: Any, language: str) -> str:
    kind, ctx = str(error.get("type", "")), error.get("ctx") or {}
    if kind in ("greater_than", "greater_than_equal"):
        return gettext(language, MUST_BE_MORE, limit=_limit(ctx.get("gt", ctx.get("ge"))))
    if kind in ("less_than", "less_than_equal"):
        return gettext(language, MUST_BE_LESS, limit=_limit(ctx.get("lt", ctx.get("le"))))
    if kind in ("enum", "literal_error"):
        return gettext(language, CHOOSE_ONE)
    if kind == "missing":
        return gettext(language, FILL_IN)
    if kind.startswith(("float", "int", "decimal", "finite_number")):
        return gettext(language, NOT_A_NUMBER)
    if kind.startswith(("date", "datetime")):
        return gettext(language, NOT_A_DATE)
    if kind == "string_too_long":
        return gettext(language, TOO_LONG)
    return gettext(language, NOT_ACCEPTED)


def validation_errors(exc: ValidationError, language: str) -> FieldErrors:
    """Every refused field of ``exc`` (the first sentence per field) in words."""
    out: FieldErrors = {}
    for error in exc.errors():
        loc = error.get("loc") or ("",)
        out.setdefault(str(loc[0]), _sentence(error, language))
    return out


def joined(errors: FieldErrors, language: str) -> str:
    """All the errors in one text, each after its field's label (for a page that cannot show
    them next to the fields)."""
    separator = "; " if language == "en" else "；"
    colon = ": " if language == "en" else "："
    return separator.join(f"{field_label(k, language)}{colon}{v}" for k, v in errors.items())


def number(form: dict[str, Any], name: str, errors: FieldErrors, language: str) -> float | None:
    """The decimal number in the field ``name`` (a comma for the point is fine); None when
    empty; anything else adds a sentence to ``errors``."""
    raw = str(form.get(name) or "").strip().replace(",", ".").replace("，", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors[name] = gettext(language, NOT_A_NUMBER)
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors[name] = gettext(language, NOT_A_NUMBER)
        return None
    return value


MAX_DIGITS = 6  # a count of times in one day is never longer


def count(form: dict[str, Any], name: str, errors: FieldErrors, language: str) -> int | None:
    """The whole number of times in the field ``name`` (digits of any script, e.g. full-width
    ``３``); None when empty ("don't know"); a negative, a fraction or text adds a sentence to
    ``errors``."""
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdecimal():
        errors[name] = gettext(language, NOT_A_COUNT)
        return None
    if len(raw) > MAX_DIGITS:
        errors[name] = gettext(language, COUNT_TOO_BIG)
        return None
    return int(raw)


def date_error(language: str) -> str:
    """The sentence of a date that cannot be read."""
    return gettext(language, NOT_A_DATE)
