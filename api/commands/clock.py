"""The deployment's clock for commands (``CHILDHEALTH_TIMEZONE``; a bad name is a one-line
error naming the variable)."""

from __future__ import annotations

from api.commands.errors import fail
from health.clock import Clock, TimezoneSettingError, zone_from_env


def command_clock() -> Clock:
    """The one clock, in the zone the environment names."""
    try:
        return Clock(zone=zone_from_env())
    except TimezoneSettingError as error:
        fail(str(error))
