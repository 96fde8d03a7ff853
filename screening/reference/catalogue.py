"""The message catalogue file (``reference_data/messages/screening.yaml``, schema
``childhealth/messages/1``): message id → zh-CN and en ``str.format`` templates.

Beyond the schema: every template parses, and both languages use the same placeholders.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType

from screening.reference.files import ReferenceDataError, display, read_yaml

MESSAGES_FILE = "messages/screening.yaml"
_FORMATTER = string.Formatter()


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a message template uses (ValueError for a template that does not parse)."""
    return frozenset(name for _, name, _, _ in _FORMATTER.parse(template) if name)


def load_messages() -> tuple[str, Mapping[str, Mapping[str, str]]]:
    """(catalogue version, message id → language → template), checked and read-only."""
    data = read_yaml(MESSAGES_FILE)
    shown = display(MESSAGES_FILE)
    for message_id, texts in data["messages"].items():
        where = f"messages.{message_id}"
        try:
            names = {lang: placeholders(texts[lang]) for lang in ("zh-CN", "en")}
        except ValueError as exc:
            raise ReferenceDataError(shown, where, f"bad template: {exc}") from exc
        if names["zh-CN"] != names["en"]:
            raise ReferenceDataError(
                shown,
                where,
                f"placeholders differ: zh-CN {sorted(names['zh-CN'])}, en {sorted(names['en'])}",
            )
    frozen = {k: MappingProxyType(dict(v)) for k, v in data["messages"].items()}
    return data["version"], MappingProxyType(frozen)
