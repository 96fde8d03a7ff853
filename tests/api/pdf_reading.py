"""Reading the service's PDFs in tests with ``pypdf``: the text (whitespace removed, so that
a line break inside a Chinese sentence does not matter), the page count, that every font is
embedded (else the Chinese text would not be extracted, nor printed the same everywhere) and
that the pages hold no raster image (the charts are vectors)."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader


def reader(body: bytes) -> PdfReader:
    """The PDF ``body`` (it must start like one)."""
    assert body[:5] == b"%PDF-", body[:200]
    return PdfReader(io.BytesIO(body))


def text_of(body: bytes) -> str:
    """Every page's text, whitespace removed."""
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in reader(body).pages))


def squeeze(words: str) -> str:
    """``words`` with whitespace removed, to be looked for in :func:`text_of`."""
    return re.sub(r"\s+", "", words)


def _fonts(page: Any) -> list[Any]:
    resources = page.get("/Resources") or {}
    fonts = resources.get("/Font") or {}
    return [fonts[name].get_object() for name in fonts]


def fonts_embedded(body: bytes) -> bool:
    """Whether every font of every page carries its font file (TrueType, CFF or Type 1)."""
    for page in reader(body).pages:
        for font in _fonts(page):
            parts = font.get("/DescendantFonts")
            target = parts[0].get_object() if parts else font
            descriptor = target.get("/FontDescriptor")
            if descriptor is None:
                return False
            descriptor = descriptor.get_object()
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                return False
    return True


def has_raster(body: bytes) -> bool:
    """Whether any page draws an image XObject."""
    for page in reader(body).pages:
        objects = (page.get("/Resources") or {}).get("/XObject") or {}
        for name in objects:
            if objects[name].get_object().get("/Subtype") == "/Image":
                return True
    return False
