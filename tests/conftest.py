"""Settings for the whole suite.

Hypothesis runs derandomized (examples drawn from a hash of each test, no example database), so a
failure seen once is seen on every run and on every machine. To explore new examples, pass
``--hypothesis-profile=explore``.

``-m "not slow"`` (``make test-fast``) is the quick local loop: besides the tests marked ``slow``
(contract fuzzing, bad-input corpora), every browser test (``e2e``) and every PostgreSQL variant
(``postgres``) counts as slow, so the loop runs each database test once, on SQLite. Plain
``pytest`` (``make test``) runs everything.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")

ALSO_SLOW = ("e2e", "postgres")


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.get_closest_marker(name) for name in ALSO_SLOW):
            item.add_marker(pytest.mark.slow)
