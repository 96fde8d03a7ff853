"""Questionnaires of our instruments and the children's answers as QuestionnaireResponses.

A milestone instrument (``reference_data/instruments/<code>``) is one Questionnaire: a group per
age band (linkId the band id), a choice item per milestone or warning sign (linkId the item id,
answer codes of the instrument), and its global questions at the top. An answer given with the
age it was achieved (WHO motor windows) carries it as a nested item
``<item>.achieved_months`` (months since birth). The feeding recall is one Questionnaire of the
question bank: yes/no questions, a group per liquid and food (``liquids.<id>.taken``,
``.times``, ``.sweetened``), the number of solid feeds. Texts are the files' own, in the
language asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from health.fhir.codes import ANSWER_SYSTEM, QUESTIONNAIRE_BASE, coding
from health.fhir.patient import patient_reference
from health.models import Child, FeedingRecall, MilestoneAdministration
from screening import reference
from screening.messages import band_words
from screening.reference import Instrument

FEEDING = "feeding-recall"
ACHIEVED = ".achieved_months"
_FEEDING_TOP = ("breastfed", "bottle_with_nipple", "ever_breastfed", "breastfed_within_1h",
                "only_breast_milk_first_2_days", "vitamin_d")  # fmt: skip
_FEEDING_COUNTS = ("solid_feeds",)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in text)[:64]


def questionnaire_url(code: str) -> str:
    return f"{QUESTIONNAIRE_BASE}{code}"


def _choice(link: str, text: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {
        "linkId": link,
        "text": text,
        "type": "choice",
        "answerOption": [{"valueCoding": coding(ANSWER_SYSTEM, v)} for v in values],
    }


def instrument_questionnaire(inst: Instrument, lang: str) -> dict[str, Any]:
    """The Questionnaire of a milestone instrument (see the module docstring)."""
    items: list[dict[str, Any]] = [
        _choice(q.id, q.text.get(lang), ("yes", "no")) for q in inst.global_questions
    ]
    for band in inst.bands:
        items.append(
            {
                "linkId": band.id,
                "text": band_words(band.nominal, lang),
                "type": "group",
                "item": [_choice(i.id, i.text.get(lang), inst.answer_values) for i in band.items],
            }
        )
    return {
        "resourceType": "Questionnaire",
        "id": _safe(f"{inst.code}-{inst.version}"),
        "url": questionnaire_url(inst.code),
        "version": inst.version,
        "name": _safe(inst.code).replace("-", "_").replace(".", "_"),
        "title": inst.name.get(lang),
        "status": "active",
        "publisher": inst.publisher,
        "copyright": inst.licence,
        "subjectType": ["Patient"],
        "item": items,
    }


def feeding_questionnaire(lang: str) -> dict[str, Any]:
    """The Questionnaire of the default feeding question bank."""
    bank = reference.recall_bank()
    items: list[dict[str, Any]] = [
        {"linkId": k, "type": "boolean"} for k in _FEEDING_TOP
    ]  # the texts of these questions live with the forms, not in the data files
    for key, specs in (("liquids", bank.liquids), ("foods", bank.foods)):
        group = []
        for spec in specs:
            inner = [{"linkId": f"{key}.{spec.id}.taken", "type": "boolean"}]
            if spec.with_times:
                inner.append({"linkId": f"{key}.{spec.id}.times", "type": "integer"})
            if getattr(spec, "asks_sweetened", False):
                inner.append({"linkId": f"{key}.{spec.id}.sweetened", "type": "boolean"})
            group.append(
                {"linkId": f"{key}.{spec.id}", "text": spec.text.get(lang), "type": "group",
                 "item": inner}
            )  # fmt: skip
        items.append({"linkId": key, "type": "group", "item": group})
    items += [{"linkId": k, "type": "integer"} for k in _FEEDING_COUNTS]
    items.append({"linkId": "solid_feeds_taken", "type": "boolean"})
    return {
        "resourceType": "Questionnaire",
        "id": _safe(f"{bank.code}-{bank.version}"),
        "url": questionnaire_url(FEEDING),
        "version": bank.version,
        "name": "feeding_recall",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def instrument_of(row: MilestoneAdministration) -> Instrument:
    """The instrument version an administration was answered on (``code@version``)."""
    code, _, version = row.instrument.partition("@")
    return reference.instrument(code, version or None)


def milestone_response(
    child: Child, row: MilestoneAdministration, answers: Mapping[str, str]
) -> dict[str, Any]:
    """The QuestionnaireResponse of one stored checklist (answers item id → answer code)."""
    inst = instrument_of(row)
    top: list[dict[str, Any]] = []
    groups: dict[str, list[dict[str, Any]]] = {}
    for item_id, value in answers.items():
        if item_id.endswith(ACHIEVED):
            continue
        answer: dict[str, Any] = {"valueCoding": coding(ANSWER_SYSTEM, value)}
        achieved = answers.get(f"{item_id}{ACHIEVED}")
        if achieved is not None:
            answer["item"] = [{"linkId": f"{item_id}{ACHIEVED}",
                               "answer": [{"valueDecimal": float(achieved)}]}]  # fmt: skip
        entry = {"linkId": item_id, "answer": [answer]}
        band = inst.band_of_item(item_id)
        if band is None:
            top.append(entry)
        else:
            groups.setdefault(band.id, []).append(entry)
    items = top + [{"linkId": b, "item": v} for b, v in groups.items()]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"ms{row.id}",
        "questionnaire": f"{questionnaire_url(inst.code)}|{inst.version}",
        "status": "completed",
        "subject": patient_reference(child),
        "authored": row.administered_on.isoformat(),
        "item": items,
    }


def _answer_items(prefix: str, value: Any) -> dict[str, Any] | None:
    """One response item of a recall answer (``None``: "don't know", left unanswered)."""
    if isinstance(value, Mapping):
        inner = [i for k, v in value.items() if (i := _answer_items(f"{prefix}.{k}", v))]
        return {"linkId": prefix, "item": inner} if inner else None
    if value is None:
        return None
    if isinstance(value, bool):
        answer: dict[str, Any] = {"valueBoolean": value}
    elif isinstance(value, int):
        answer = {"valueInteger": value}
    elif isinstance(value, float):
        answer = {"valueDecimal": value}
    else:
        answer = {"valueString": str(value)}
    return {"linkId": prefix, "answer": [answer]}


def feeding_response(child: Child, row: FeedingRecall) -> dict[str, Any]:
    """The QuestionnaireResponse of one stored previous-day recall."""
    items = [i for k, v in row.answers.items() if (i := _answer_items(k, v))]
    bank = reference.recall_bank()
    return {
        "resourceType": "QuestionnaireResponse",
        "id": f"fr{row.id}",
        "questionnaire": f"{questionnaire_url(FEEDING)}|{bank.version}",
        "status": "completed",
        "subject": patient_reference(child),
        "authored": row.recalled_on.isoformat(),
        "item": items,
    }
