"""Settings for the whole suite.

Hypothesis runs derandomized (examples drawn from a hash of each test, no example database), so a
failure seen once is seen on every run and on every machine. To explore new examples, pass
``--hypothesis-profile=explore``.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")
