"""Translations of the interface (babel catalogues in ``api/locales``; zh-CN first, en second).

Message ids are the English texts. The ``.po`` catalogues are compiled in memory at start-up,
so the repository holds only the reviewable text files.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
_DIR = Path(__file__).parent / "locales"


def normalise(locale: str | None) -> str:
    """One of :data:`LOCALES` for a requested tag (``zh``, ``zh_CN``, ``en-GB`` …)."""
    tag = (locale or "").replace("_", "-").lower()
    if tag.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue for ``locale`` (English ids stay as they are for ``en``)."""
    folder = locale.replace("-", "_")
    path = _DIR / folder / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=folder)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(buffer)


def gettext(locale: str, message: str, **params: object) -> str:
    """``message`` translated into ``locale``, with ``{placeholders}`` filled from ``params``."""
    text = translations(normalise(locale)).gettext(message)
    return text.format(**params) if params else text
