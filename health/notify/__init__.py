"""Senders of the reminder outbox: one interface, chosen by configuration.

:func:`health.services.notifications.deliver` hands each due row to a :class:`Sender` as a
:class:`Message` (the outbox row's id, the guardian's account id, the language and the text,
which names neither the child nor any health detail). A sender delivers it or raises; any
exception counts as a failed attempt, retried later by the outbox. The shipped sender is
:class:`health.notify.file.FileSender` (JSON lines in a file, for tests and the demo). A
deployment adds an SMS or WeChat sender without touching the rules: a class with a ``channel``
name and a ``send`` method, named in ``CHILDHEALTH_NOTIFY_SENDER=module:Class``; it resolves the
account id to its own address book (the outbox never hands out phone numbers). A class with a
``from_env(environ)`` class method is built by it (its own settings), otherwise called with no
arguments.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

SENDER_VARIABLE = "CHILDHEALTH_NOTIFY_SENDER"
DEFAULT_SENDER = "health.notify.file:FileSender"


class SenderSettingError(ValueError):
    """``CHILDHEALTH_NOTIFY_SENDER`` (or ``--sender``) names no usable sender (the message says
    which setting and why)."""


class SendError(RuntimeError):
    """A sender could not deliver a message now (the outbox retries it later)."""


@dataclass(frozen=True)
class Message:
    """One reminder to deliver: outbox row ``notification_id`` for account ``user_id``, in
    ``language`` (``zh-CN`` or ``en``), with its ``text``."""

    notification_id: int
    user_id: int
    language: str
    text: str


@runtime_checkable
class Sender(Protocol):
    """What the outbox needs of a sender: a ``channel`` name (at most 16 characters, stored on
    the row) and ``send``, which returns once delivered and raises otherwise."""

    channel: str

    def send(self, message: Message) -> None:
        """Deliver ``message`` or raise (:class:`SendError` or any exception)."""
        ...


def load_sender(spec: str | None = None, environ: Mapping[str, str] = os.environ) -> Sender:
    """The sender named ``module:Class`` by ``spec`` (default: ``CHILDHEALTH_NOTIFY_SENDER``,
    then :data:`DEFAULT_SENDER`), built with ``from_env(environ)`` when the class has one;
    :class:`SenderSettingError` naming the setting when it cannot be loaded or is no sender."""
    spec = (spec or environ.get(SENDER_VARIABLE, "")).strip() or DEFAULT_SENDER
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise SenderSettingError(f"{SENDER_VARIABLE} must be module:Class, not {spec!r}")
    try:
        factory = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise SenderSettingError(f"{SENDER_VARIABLE}: cannot load {spec!r} ({error})") from None
    builder = getattr(factory, "from_env", None)
    try:
        sender = builder(environ) if callable(builder) else factory()
    except (TypeError, ValueError, OSError) as error:
        raise SenderSettingError(f"{SENDER_VARIABLE}: cannot build {spec!r} ({error})") from None
    channel = getattr(sender, "channel", None)
    if not isinstance(sender, Sender) or not isinstance(channel, str) or not 0 < len(channel) <= 16:
        raise SenderSettingError(
            f"{SENDER_VARIABLE}: {spec!r} is no sender (a channel name of 1-16 characters and a"
            " send method are needed)"
        )
    return sender


__all__ = ["Message", "SendError", "Sender", "SenderSettingError", "load_sender"]
