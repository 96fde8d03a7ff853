"""The rules a new password must meet, checked wherever a password is set (today only
:func:`health.registry.create_user`, used by the seed, the demo and the import).

A password needs at least :data:`MIN_LENGTH` characters, may not be digits only, and may not
equal the account's username (compared without case and surrounding spaces). Each broken rule
has its own English message id (translated in ``api/locales``) and parameters.
"""

from __future__ import annotations

from typing import Any

MIN_LENGTH = 10

TOO_SHORT = "The password is too short: use at least {min_length} characters."
ONLY_DIGITS = "The password may not consist of digits only."
SAME_AS_USERNAME = "The password may not be the same as the username."


class PasswordRuleError(ValueError):
    """A password breaks a rule: ``message`` is the English message id, ``params`` fill its
    ``{placeholders}``, ``rule`` names the rule (``too-short``, ``only-digits``,
    ``same-as-username``)."""

    def __init__(self, rule: str, message: str, **params: Any) -> None:
        self.rule = rule
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


def check_password(password: str, username: str) -> None:
    """Raise :class:`PasswordRuleError` for the first rule ``password`` breaks (length counts
    characters, not bytes)."""
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError("too-short", TOO_SHORT, min_length=MIN_LENGTH)
    if password.isdigit():
        raise PasswordRuleError("only-digits", ONLY_DIGITS)
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordRuleError("same-as-username", SAME_AS_USERNAME)
