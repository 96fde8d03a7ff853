"""Words for the pipeline's results: each indicator's name and sentence, each flag's parent or
clinician text, each refusal's message, in the caller's language. Rendering only: every value,
flag and sentence id comes from :mod:`health.pipeline` as it computed or stored them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from health.errors import ImplausibleMeasurementError, RecordError
from health.pipeline import IndicatorResult, MeasurementResult
from health.services.questionnaires import AnswerSet, Notable
from screening.flags import Flag
from screening.messages import text


def indicator_name(code: str, language: str) -> str:
    """The name of an indicator (``wfa``, ``lhfa``, ``wflh``, ``bmi``, ``hcfa``, ``acfa``)."""
    return text(f"indicator.{code}", language)


@dataclass(frozen=True)
class IndicatorView(IndicatorResult):
    """One indicator as a person reads it: the pipeline's result with the indicator's ``name``,
    the ``sentence`` in words, and ``tone`` (``ok``, ``low``, ``high``, ``check``) taken from
    the sentence the pipeline chose."""

    name: str
    sentence: str
    tone: str


def _tone(sentence_id: str) -> str:
    parts = sentence_id.split(".")
    if parts[1] == "implausible":
        return "check"
    if parts[1] in ("low", "high") and len(parts) > 2:
        return parts[1]
    return "ok"


def indicator_view(result: IndicatorResult, language: str) -> IndicatorView:
    return IndicatorView(
        **vars(result),
        name=indicator_name(result.code, language),
        sentence=text(result.sentence_id, language),
        tone=_tone(result.sentence_id),
    )


def indicator_views(result: MeasurementResult | None, language: str) -> list[IndicatorView]:
    """Every indicator of ``result`` (none without a result)."""
    return [indicator_view(i, language) for i in result.indicators] if result else []


def flag_texts(flags: Iterable[Flag], language: str) -> list[dict[str, Any]]:
    """Code, severity, domain and the parent-facing text of each flag."""
    return [
        {
            "code": f.code,
            "severity": str(f.severity),
            "domain": str(f.domain),
            "text": text(f.parent_message_id, language, **f.message_params()),
        }
        for f in flags
    ]


@dataclass(frozen=True)
class AnswerSetView:
    """One questionnaire for the doctor: kind, date, instrument, the notable answers as
    ``(words, answer)`` and how many answers it had."""

    kind: str
    on: dt.date
    instrument: str
    notable: list[tuple[str, str]]
    total: int


def answer_set_views(sets: Iterable[AnswerSet], language: str) -> list[AnswerSetView]:
    """The questionnaires with each notable answer in words (the instrument's text, or the
    code of a feeding indicator)."""

    def words(n: Notable) -> tuple[str, str]:
        return (n.text.get(language) if n.text else n.code, n.answer)

    return [
        AnswerSetView(a.kind, a.on, a.instrument, [words(n) for n in a.notable], a.total)
        for a in sets
    ]


def clinician_text(flag: Flag, language: str) -> str:
    """A flag's clinician-facing text, filled from its evidence."""
    return text(flag.clinician_message_id, language, **flag.message_params())


OUTCOME_WORDS = {
    "normal": "Normal on review",
    "advice": "Advice given",
    "recheck": "Recheck planned",
    "referred": "Referred",
}
"""The interface message (``api/locales``) naming each outcome a doctor records."""


def record_error_text(exc: RecordError, language: str) -> str:
    """The refusal's message; an implausible value names the indicators in words."""
    params = dict(exc.params)
    if isinstance(exc, ImplausibleMeasurementError):
        separator = ", " if language == "en" else "、"
        params["indicators"] = separator.join(indicator_name(c, language) for c in exc.indicators)
    return text(exc.message_id, language, **params)
