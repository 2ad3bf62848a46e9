"""Clock, ids, the event base and errors: what every layer may use and nothing else."""

from centralino.core.clock import Clock, FakeClock, SystemClock
from centralino.core.errors import CentralinoError, ConfigError, Problem
from centralino.core.events import Event
from centralino.core.ids import new_id

__all__ = [
    "CentralinoError", "Clock", "ConfigError", "Event", "FakeClock", "Problem", "SystemClock", "new_id",
]
