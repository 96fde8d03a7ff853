"""The test suite as one package: shared builders are imported as ``tests.<folder>.<module>``
(e.g. ``from tests.api.api_world import build``), never by changing the import path."""
