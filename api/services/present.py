"""Words for the pipeline's results: each indicator's name and sentence, each flag's parent or
clinician text, each refusal's message, in the caller's language. Rendering only: every value,
flag and sentence id comes from :mod:`health.pipeline` as it computed or stored them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from api.i18n import gettext
from health.errors import ImplausibleMeasurementError, RecordError
from health.pipeline import IndicatorResult, MeasurementResult, flag_of
from health.services.questionnaires import AnswerSet, Notable
from screening import reference
from screening.errors import ScreeningInputError
from screening.flags import RULES, Flag
from screening.messages import has, text


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


def indicator_view(
    result: IndicatorResult, language: str, clinician: bool = False
) -> IndicatorView:
    """``result`` in words: the parent's sentence, or the clinician's (``clinician``)."""
    sentence_id = result.clinician_sentence_id if clinician else result.sentence_id
    return IndicatorView(
        **vars(result),
        name=indicator_name(result.code, language),
        sentence=text(sentence_id, language),
        tone=_tone(result.sentence_id),
    )


def indicator_views(
    result: MeasurementResult | None, language: str, clinician: bool = False
) -> list[IndicatorView]:
    """Every indicator of ``result`` (none without a result), for a parent or a clinician."""
    return [indicator_view(i, language, clinician) for i in result.indicators] if result else []


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
    "withdrawn": "Closed: the entry behind it was withdrawn",
}
"""The interface message (``api/locales``) naming each outcome a doctor records."""

FAMILY_OUTCOME_WORDS = {
    "normal": "The doctor looked at the results: nothing to worry about.",
    "advice": "The doctor gave advice on looking after your child.",
    "recheck": "The doctor would like to see your child again.",
    "referred": "The doctor asked for your child to be seen at another institution.",
}
"""The interface message telling the family each outcome in plain words (the child's page)."""


def record_error_text(exc: RecordError, language: str) -> str:
    """The refusal's message; an implausible value names the indicators in words."""
    params = dict(exc.params)
    if isinstance(exc, ImplausibleMeasurementError):
        separator = ", " if language == "en" else "、"
        params["indicators"] = separator.join(indicator_name(c, language) for c in exc.indicators)
    return text(exc.message_id, language, **params)


# -- the doctor's words for stored flags: names, clinician texts and evidence ---------------------


def _join(words: Iterable[str], language: str) -> str:
    return ("、" if language == "zh-CN" else ", ").join(words)


RECALL_ITEMS = {
    "vitamin_d": "Vitamin D supplement",
    "solid_feeds": "Meals of solid, semi-solid or soft food",
}
"""Recall fields a feeding flag names as evidence: the interface message."""


def flag_name(code: str, language: str) -> str:
    """A flag's name in words with its cut-off (the catalogue's ``flag.<code>.name``, kept next
    to the flag's texts), ``""`` for a code the flag table does not have."""
    rule = RULES.get(code.upper())
    return text(rule.name_message_id, language) if rule else ""


def _instrument_item(code: str | None, version: str | None, item_id: str, language: str) -> str:
    """The words of an instrument's item or question (milestones, warning signs), of a
    recall's food or drink, or of a flag code (escalations), else ``""``."""
    if item_id.upper() in RULES:
        return flag_name(item_id, language)
    if item_id in RECALL_ITEMS:
        return gettext(language, RECALL_ITEMS[item_id])
    try:
        inst = reference.instrument(code or "", version)
    except (LookupError, ValueError, ScreeningInputError):
        inst = None
    if inst is not None:
        questions = [*(i for b in inst.bands for i in b.items), *inst.global_questions]
        found = next((q for q in questions if q.id == item_id), None)
        if found is not None:
            return found.text.get(language)
    try:
        bank = reference.recall_bank(version)
    except (LookupError, ValueError, ScreeningInputError):
        return ""
    answer = item_id.rpartition(".")[2]
    spec = next((s for s in (*bank.liquids, *bank.foods) if s.id == answer), None)
    return spec.text.get(language) if spec is not None else ""


def z_words(z: Mapping[str, float], language: str) -> list[str]:
    """Each z of a flag's evidence with the indicator's name (``年龄别体重 Z = -2.31``; the
    WHO 2007 references, ``bmi_2007``, by the name of their indicator)."""

    def name(code: str) -> str:
        known = next((c for c in (code, code.partition("_")[0]) if has(f"indicator.{c}")), None)
        return indicator_name(known, language) if known else ""

    return [f"{name(code)} Z = {value:.2f}".strip() for code, value in z.items()]


def item_words(flag: Flag, language: str) -> list[str]:
    """The words of each item of a flag's evidence (the instrument's text, never its id)."""
    ev = flag.evidence
    words = (_instrument_item(ev.instrument, ev.instrument_version, i, language)
             for i in ev.item_ids)  # fmt: skip
    return [w for w in words if w]


def clinician_words(flag: Flag, language: str) -> str:
    """A flag's clinician-facing text with its evidence in words: indicators by name with their
    z, items by their text, escalated flags by name, IYCF indicators by name."""
    params = flag.message_params()
    if flag.evidence.z:
        params["indicators"] = "; ".join(z_words(flag.evidence.z, language))
    params["items"] = _join(item_words(flag, language), language)
    if "codes" in params:
        params["codes"] = _join((flag_name(c, language) for c in flag.evidence.item_ids), language)
    iycf = f"iycf.{str(params.get('indicator', '')).lower()}.name"
    if "indicator" in params and has(iycf):
        params["indicator"] = text(iycf, language)
    return text(flag.clinician_message_id, language, **params)


def clinician_flag_texts(flags: Iterable[Flag], language: str) -> list[dict[str, Any]]:
    """:func:`flag_texts` with the clinician's words instead of the parent's."""
    return [
        {"code": f.code, "severity": str(f.severity), "domain": str(f.domain),
         "text": clinician_words(f, language)}
        for f in flags
    ]  # fmt: skip


@dataclass(frozen=True)
class FlagView:
    """A stored flag for the doctor: its name (with the cut-off), severity and domain, when it
    was raised and resolved, the clinician text, the z-scores and items of its evidence in
    words, the rule's version and the instrument's name and version."""

    name: str
    severity: str
    domain: str
    raised_at: dt.datetime
    resolved_at: dt.datetime | None
    text: str
    z: list[str]
    items: list[str]
    rule_version: str
    instrument: str | None
    instrument_version: str | None


def _instrument_name(code: str | None, version: str | None, language: str) -> str | None:
    if not code:
        return None
    try:
        return reference.instrument(code, version).name.get(language)
    except (LookupError, ValueError, ScreeningInputError):
        return None


def flag_views(records: Iterable[Any], language: str) -> list[FlagView]:
    """The stored flags (``FlagRecord`` rows) in the doctor's words."""
    out = []
    for record in records:
        flag = flag_of(record)
        ev = flag.evidence
        out.append(
            FlagView(
                name=flag_name(flag.code, language),
                severity=str(flag.severity),
                domain=str(flag.domain),
                raised_at=record.raised_at,
                resolved_at=record.resolved_at,
                text=clinician_words(flag, language),
                z=z_words(ev.z, language),
                items=item_words(flag, language),
                rule_version=ev.rule_version,
                instrument=_instrument_name(ev.instrument, ev.instrument_version, language),
                instrument_version=ev.instrument_version if ev.instrument else None,
            )
        )
    return out


def answer_words(words: str, language: str) -> str:
    """A notable answer's words on a page: a feeding indicator's code (``ISSSF``) by its name,
    an instrument's text as it is."""
    message_id = f"iycf.{words.lower()}.name"
    return text(message_id, language) if has(message_id) else words


def instrument_title(instrument: str, language: str) -> str:
    """A questionnaire's instrument for people: ``code@version`` by the instrument's name and
    version; a feeding recall's bank version as it is."""
    code, _, version = instrument.partition("@")
    name = _instrument_name(code, version or None, language) if version else None
    return f"{name} {version}" if name else instrument.rpartition("@")[2]
