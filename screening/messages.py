"""The screening message catalogue: message id → zh-CN and en text (parents and clinicians).

The catalogue is ``reference_data/messages/screening.yaml`` (plain data, validated by
:mod:`screening.reference`); templates use ``str.format`` placeholders, the same in both
languages. Flag texts are ``flag.<code>.parent`` / ``flag.<code>.clinician``; error texts are the
``message_id`` of each error class; advice texts are ``advice.*``.
"""

from __future__ import annotations

import re
from typing import Any

from screening.reference import load_all

LANGUAGES = ("zh-CN", "en")


class UnknownMessageError(KeyError):
    """A message id or language that the catalogue does not have (a programming error)."""


BAND_CODE = re.compile(r"(\d+)([my])")
"""An age band's nominal age as the instruments write it: ``6m`` (months), ``4y`` (years)."""


def band_words(nominal: str, lang: str = "zh-CN") -> str:
    """An age band's nominal age in words (``6m`` → 6月龄 / 6 months, ``4y`` → 4岁 / 4 years);
    anything else is returned as it is."""
    match = BAND_CODE.fullmatch(str(nominal))
    if match is None:
        return str(nominal)
    message_id = "age.band.months" if match.group(2) == "m" else "age.band.years"
    return text(message_id, lang, n=int(match.group(1)))


def text(message_id: str, lang: str = "zh-CN", /, **params: Any) -> str:
    """The text of ``message_id`` in ``lang``, with ``params`` filled in. A ``band`` parameter
    that is an age band's code (``6m``) is written in words (:func:`band_words`)."""
    if lang not in LANGUAGES:
        raise UnknownMessageError(f"language {lang!r}")
    entry = load_all().messages.get(message_id)
    if entry is None:
        raise UnknownMessageError(message_id)
    if "band" in params and BAND_CODE.fullmatch(str(params["band"])):
        params = {**params, "band": band_words(str(params["band"]), lang)}
    return entry[lang].format(**params)


def has(message_id: str) -> bool:
    return message_id in load_all().messages
