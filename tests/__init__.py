"""The test suite as one package: shared builders are imported as ``tests.<folder>.<module>``
(e.g. ``from tests.api.api_world import build``), never through ``sys.path`` edits."""
