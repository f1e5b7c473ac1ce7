"""Quartermaster: an open-source defence procurement platform.

The library API is deliberately small; most callers use the HTTP API or the CLI.
"""

from quartermaster.config import Settings, get_settings
from quartermaster.errors import QMError
from quartermaster.types import Clock, FixedClock, Money, SystemClock

__all__ = ["Clock", "FixedClock", "Money", "QMError", "Settings", "SystemClock", "get_settings"]
__version__ = "0.1.0"
