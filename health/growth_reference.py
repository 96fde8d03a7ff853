"""The deployment's growth reference (``CHILDHEALTH_GROWTH_REFERENCE``: ``who`` or ``ws423``).

``who`` (default): the WHO Child Growth Standards 2006 / WHO 2007 reference, on which every
growth flag is raised. ``ws423``: China's WS/T 423-2022 is the reference pages and charts show
first; flags stay those of the WHO rule table (see ``docs/ws423.md``: the cut-offs, implausible
limits and series rules are defined on WHO z). A bad value stops start-up with one line naming
the variable, like the time zone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

REFERENCE_VARIABLE = "CHILDHEALTH_GROWTH_REFERENCE"
GROWTH_REFERENCES = ("who", "ws423")
DEFAULT_REFERENCE = "who"


class GrowthReferenceSettingError(ValueError):
    """``CHILDHEALTH_GROWTH_REFERENCE`` is not one of :data:`GROWTH_REFERENCES`."""


def reference_named(name: str) -> str:
    """``name`` if it is a known reference (empty: the default), else
    :class:`GrowthReferenceSettingError` naming the variable."""
    value = name.strip().lower() or DEFAULT_REFERENCE
    if value not in GROWTH_REFERENCES:
        raise GrowthReferenceSettingError(
            f"{REFERENCE_VARIABLE} must be one of {', '.join(GROWTH_REFERENCES)}, not {name!r}"
        )
    return value


def reference_from_env(environ: Mapping[str, str] = os.environ) -> str:
    """The deployment's reference from the environment (unset or empty: ``who``)."""
    return reference_named(environ.get(REFERENCE_VARIABLE, ""))
