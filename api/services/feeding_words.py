"""The words of a feeding recall's result: one plain sentence per indicator and status (the
status and how it reads come from ``health.pipeline.questionnaires.feeding_sentences``; the texts
are catalogue ids of ``api/locales``, translated with the request's language)."""

from __future__ import annotations

from api.i18n import gettext

FEEDING_SENTENCES: dict[tuple[str, str], str] = {
    ("EBF", "met"): (
        "Yesterday your baby had breast milk only: the best food under 6 months. Keep going."
    ),
    ("EBF", "not_met"): (
        "Yesterday your baby had something besides breast milk. Under 6 months breast "
        "milk alone is best, without even water."
    ),
    ("EBF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "baby had breast milk only."
    ),
    ("MixMF", "met"): (
        "Yesterday your baby had breast milk and also formula or other milk. Letting the "
        "baby suckle often makes more breast milk."
    ),
    ("MixMF", "not_met"): ("Yesterday your baby was not fed a mix of breast milk and other milk."),
    ("MixMF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether breast '
        "milk and other milk were mixed."
    ),
    ("CBF", "met"): (
        "Your child still had breast milk yesterday. Good: breastfeeding can go on to 2 "
        "years and beyond."
    ),
    ("CBF", "not_met"): (
        "Your child had no breast milk yesterday. If you can, breastfeeding may go on to "
        "2 years and beyond."
    ),
    ("CBF", "unknown"): ("We do not know whether your child had breast milk yesterday."),
    ("ISSSF", "met"): ("Your baby had mashed, soft or solid food yesterday. Good."),
    ("ISSSF", "not_met"): (
        "Your baby had no mashed, soft or solid food yesterday. At this age it is time to"
        " start, with iron-rich mashed foods first."
    ),
    ("ISSSF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "baby had any solid food."
    ),
    ("MDD", "met"): (
        "Yesterday your child ate enough kinds of food (at least 5 of the 8 groups). Good."
    ),
    ("MDD", "not_met"): (
        "Yesterday your child ate fewer than 5 of the 8 food groups: try adding one or "
        "two more kinds a day, such as egg, meat, beans, vegetables or fruit."
    ),
    ("MDD", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child ate enough kinds of food."
    ),
    ("MMF", "met"): ("Your child had enough meals yesterday. Good."),
    ("MMF", "not_met"): (
        "Your child had fewer meals yesterday than this age needs: try adding a small "
        "meal between meals."
    ),
    ("MMF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had enough meals."
    ),
    ("MMFF", "met"): ("Your child is not breastfed and had milk at least twice yesterday. Good."),
    ("MMFF", "not_met"): (
        "Your child is not breastfed and had milk fewer than 2 times yesterday: a child "
        "without breast milk needs milk (formula or other milk) at least twice a day."
    ),
    ("MMFF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had milk often enough."
    ),
    ("MAD", "met"): ("Yesterday's food had enough variety and enough meals. Well done."),
    ("MAD", "not_met"): (
        "Yesterday's food fell short in variety or in the number of meals; see the advice below."
    ),
    ("MAD", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether the '
        "day's food was enough overall."
    ),
    ("EFF", "met"): (
        "Your child ate egg, meat, fish, poultry or liver yesterday. Good: these give "
        "iron and protein."
    ),
    ("EFF", "not_met"): (
        "Your child had no egg, meat, fish, poultry or liver yesterday: try to give some "
        "every day, for iron and protein."
    ),
    ("EFF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had egg or meat."
    ),
    ("SwB", "met"): (
        "Your child had a sweet drink yesterday (juice, a sweetened drink or sweetened "
        "milk): sweet drinks do a child no good; give water, breast milk or unsweetened "
        "milk instead."
    ),
    ("SwB", "not_met"): ("No sweet drinks yesterday. Good."),
    ("SwB", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had sweet drinks."
    ),
    ("UFC", "met"): (
        "Your child had sweets, cakes, crisps or fried snacks yesterday: try to leave "
        "them out and offer fruit or home-cooked food instead."
    ),
    ("UFC", "not_met"): ("No unhealthy snacks yesterday. Good."),
    ("UFC", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had unhealthy snacks."
    ),
    ("ZVF", "met"): (
        "Your child had no vegetables and no fruit yesterday: give some vegetables and "
        "fruit every day."
    ),
    ("ZVF", "not_met"): ("Your child had vegetables or fruit yesterday. Good."),
    ("ZVF", "unknown"): (
        'Some answers were "don\'t know" or left empty, so we cannot tell whether your '
        "child had vegetables or fruit."
    ),
    ("BoF", "met"): (
        "Your child drank from a bottle with a teat yesterday: bottles and teats are hard"
        " to keep clean, so wash them well after each use; from 6 months a child can "
        "learn to drink from a cup."
    ),
    ("BoF", "not_met"): ("No bottle with a teat yesterday. Good."),
    ("BoF", "unknown"): (
        "We do not know whether your child drank from a bottle with a teat yesterday."
    ),
}


def feeding_sentence(code: str, status: str, language: str) -> str | None:
    """The sentence of indicator ``code`` at ``status`` in ``language`` (None: no sentence)."""
    message = FEEDING_SENTENCES.get((code, status))
    return gettext(language, message) if message else None
