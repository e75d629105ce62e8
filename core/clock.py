"""The one time seam: everything that asks "what time is it?" asks ``now()``.

Tests move time by replacing ``source`` (see the ``clock`` fixture); because ``now`` reads it on
every call, modules may import ``now`` by name and still follow the patched clock.
"""

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


source: Callable[[], datetime] = _system_now


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return source()
