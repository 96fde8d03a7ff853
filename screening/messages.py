"""The screening message catalogue: message id → zh-CN and en text (parents and clinicians).

The catalogue is ``reference_data/messages/screening.yaml`` (plain data, validated by
:mod:`screening.reference`); templates use ``str.format`` placeholders, the same in both
languages. Flag texts are ``flag.<code>.parent`` / ``flag.<code>.clinician``; error texts are the
``message_id`` of each error class; advice texts are ``advice.*``.
"""

from __future__ import annotations

from typing import Any

from screening.reference import load_all

LANGUAGES = ("zh-CN", "en")


class UnknownMessageError(KeyError):
    """A message id or language that the catalogue does not have (a programming error)."""


def text(message_id: str, lang: str = "zh-CN", /, **params: Any) -> str:
    """The text of ``message_id`` in ``lang``, with ``params`` filled in."""
    if lang not in LANGUAGES:
        raise UnknownMessageError(f"language {lang!r}")
    entry = load_all().messages.get(message_id)
    if entry is None:
        raise UnknownMessageError(message_id)
    return entry[lang].format(**params)


def has(message_id: str) -> bool:
    return message_id in load_all().messages
