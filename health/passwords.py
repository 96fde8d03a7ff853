"""The rules a new password must meet, checked wherever a password is set (today only
:func:`health.registry.create_user`, used by the seed, the demo and the import).

A password needs at least :data:`MIN_LENGTH` characters, may not be digits only, may not equal
the account's username (compared without case and surrounding spaces), and must be hard to
guess: the strength estimate of ``zxcvbn`` (common passwords, words and names, the username,
repeats, sequences, keyboard rows and dates) must reach :data:`MIN_SCORE` of 4. A weak password
is refused by what makes it weak: ``repeated``, ``common`` or ``guessable``. Each broken rule
has its own English message id (translated in ``api/locales``) and parameters.
"""

from __future__ import annotations

import threading
from typing import Any

from zxcvbn import zxcvbn

MIN_LENGTH = 10
MIN_SCORE = 3
"""zxcvbn's score runs 0 to 4; 3 is "safely unguessable" (about 10^8 guesses or more)."""
CHECKED_LENGTH = 72
"""zxcvbn estimates at most this many characters; a longer password is judged on its start."""

TOO_SHORT = "The password is too short: use at least {min_length} characters."
ONLY_DIGITS = "The password may not consist of digits only."
SAME_AS_USERNAME = "The password may not be the same as the username."
REPEATED = (
    "The password repeats a character or a pattern: a few unrelated words make a strong password."
)
COMMON = (
    "The password is too common: it is built on a well-known password, a word, a name "
    "or the username."
)
GUESSABLE = (
    "The password is too easy to guess: avoid sequences, keyboard rows and dates; "
    "a few unrelated words make a strong password."
)
MESSAGES = (TOO_SHORT, ONLY_DIGITS, SAME_AS_USERNAME, REPEATED, COMMON, GUESSABLE)
"""Every message id of the rules (each one in both catalogues)."""

# zxcvbn keeps the user inputs of the call in a module-level dictionary: one call at a time
_ZXCVBN = threading.Lock()


class PasswordRuleError(ValueError):
    """A password breaks a rule: ``message`` is the English message id, ``params`` fill its
    ``{placeholders}``, ``rule`` names the rule (``too-short``, ``only-digits``,
    ``same-as-username``, ``repeated``, ``common``, ``guessable``)."""

    def __init__(self, rule: str, message: str, **params: Any) -> None:
        self.rule = rule
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


def _weakness(password: str, username: str) -> PasswordRuleError | None:
    """The refusal of a password that zxcvbn scores below :data:`MIN_SCORE`, named after the
    patterns it found (a repeat, then a dictionary word, else anything guessable)."""
    with _ZXCVBN:
        estimate = zxcvbn(password[:CHECKED_LENGTH], user_inputs=[username.strip()])
    if estimate["score"] >= MIN_SCORE:
        return None
    patterns = {match["pattern"] for match in estimate["sequence"]}
    if "repeat" in patterns:
        return PasswordRuleError("repeated", REPEATED)
    if "dictionary" in patterns:
        return PasswordRuleError("common", COMMON)
    return PasswordRuleError("guessable", GUESSABLE)


def check_password(password: str, username: str) -> None:
    """Raise :class:`PasswordRuleError` for the first rule ``password`` breaks (length counts
    characters, not bytes)."""
    if len(password) < MIN_LENGTH:
        raise PasswordRuleError("too-short", TOO_SHORT, min_length=MIN_LENGTH)
    if password.isdigit():
        raise PasswordRuleError("only-digits", ONLY_DIGITS)
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordRuleError("same-as-username", SAME_AS_USERNAME)
    refusal = _weakness(password, username)
    if refusal is not None:
        raise refusal
