"""The mock's clock: the config's clock (UTC now, by default) that a test may freeze, move
forward and let go of (`calendar_mock.clock`, `PUT /_mock/clock`), so that `created_at` and
`updated_at` are known in advance. Plain Python, no web imports; thread-safe.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..errors import ClockError

Clock = Callable[[], datetime]
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
EXAMPLE = '"2024-01-15 09:00:00"'
FIRST_YEAR = 1000  # the API writes dates as YYYY-MM-DD: earlier years would lose a digit
MAX_ADVANCE_S = 100 * 366 * 24 * 3600  # a century at once: far enough, and no datetime overflow


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: Any, field: str = "frozen_at") -> datetime:
    """`"2024-01-15 09:00:00"` (the API's format), any ISO 8601 time, or a datetime; a time
    without an offset is read as UTC, one with an offset is converted to UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ClockError(field, f"must be a time such as {EXAMPLE}, not {value!r}") from None
    else:
        raise ClockError(field, f"must be a time such as {EXAMPLE}")
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # the offset moves it out of years 1..9999
        moment = datetime.min.replace(tzinfo=UTC)
    if moment.year < FIRST_YEAR:  # the API's dates have four-digit years
        raise ClockError(field, f"must lie within the years {FIRST_YEAR}..9999 in UTC, not {value!r}")
    return moment


def checked_seconds(value: Any, field: str = "advance_seconds") -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ClockError(field, "must be a number of seconds")
    if not 0 <= value <= MAX_ADVANCE_S:
        raise ClockError(field, f"must lie within 0..{MAX_ADVANCE_S} (the clock only moves forward)")
    return float(value)


class MockClock:
    """Real time from `source`, or a frozen time; `advance` moves either forward.

    The state is one tuple, replaced whole, so a reader never sees half a change."""

    def __init__(self, source: Clock = utc_now) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._state: tuple[datetime | None, timedelta] = (None, timedelta(0))

    def __call__(self) -> datetime:
        frozen_at, offset = self._state
        return frozen_at if frozen_at is not None else self._source() + offset

    def freeze(self, at: str | datetime | None = None) -> datetime:
        """Stop the clock at `at` (now if None); it reads `at` until advanced or unfrozen."""
        return self.set(frozen_at="now" if at is None else at)

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0
                ) -> datetime:
        """Move the clock forward, frozen or not."""
        total = seconds + 60 * minutes + 3600 * hours + 86400 * days
        return self.set(advance_seconds=total)

    def unfreeze(self) -> None:
        """Back to the source's time, with no shift."""
        with self._lock:
            self._state = (None, timedelta(0))

    def set(self, *, frozen_at: Any = None, advance_seconds: Any = None) -> datetime:
        """Freeze (`frozen_at`: a time or "now"), then advance; both checked before either is
        applied, so a refusal (ClockError) changes nothing. The time it reads now."""
        moment = None
        if frozen_at is not None:
            moment = self._source() + self._state[1] if frozen_at == "now" else parse_time(frozen_at)
        shift = timedelta(seconds=checked_seconds(advance_seconds)) if advance_seconds is not None else None
        with self._lock:
            current, offset = self._state
            if moment is not None:
                current = moment
            if shift is not None:
                try:
                    if current is not None:
                        current = current + shift
                    else:
                        offset = offset + shift
                        self._source() + offset
                except OverflowError:
                    raise ClockError("advance_seconds", "moves the clock past the year 9999") from None
            self._state = (current, offset)
        return self()

    def describe(self) -> dict[str, Any]:
        frozen_at, offset = self._state
        return {
            "frozen": frozen_at is not None,
            "frozen_at": None if frozen_at is None else frozen_at.strftime(TIMESTAMP_FORMAT),
            "offset_seconds": offset.total_seconds(),
            "now": self().strftime(TIMESTAMP_FORMAT),
        }
