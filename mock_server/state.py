"""Everything one mock instance owns: the compiled contract, the store and the journal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from calendar_fixtures import load_fixtures

from .compact import KeySharing
from .contract import Contract
from .errors import SeedError
from .faults import FaultInjector
from .handlers import HANDLERS
from .journal import Journal
from .problems import field_problems, summary
from .settings import Settings
from .store import CalendarStore, Clock, utc_now

Seed = dict[str, Any] | str | Path | None


class MockState:
    """One mock's contract, store, journal and the seed data and switches it started with."""

    def __init__(
        self,
        contract: Contract | None = None,
        seed: Seed = None,
        *,
        intervention_match: str = "all",
        deleted_calendars: str = "listed",
        journal_size: int = 1000,
        session_ttl: float = 3600.0,
        clock: Clock = utc_now,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        contract = contract or Contract()
        unhandled = set(contract.operations) ^ set(HANDLERS)
        if unhandled:
            raise RuntimeError(f"spec operations and handlers differ: {sorted(unhandled)}")
        self.contract = contract
        self._key_sharing = KeySharing()
        self.settings = Settings(contract.open_questions)
        self._initial_switches = self.settings.check({
            "intervention_match": intervention_match, "deleted_calendars": deleted_calendars,
            **(settings or {}),
        })
        self.store = CalendarStore(
            self.checked_seed(seed),
            fields=contract.calendar_fields,
            defaults=contract.defaults,
            maximums=contract.maximums,
            clock=clock,
            session_ttl=session_ttl,
            consume_seed=_read_here(seed),
            key_sharing=self._key_sharing,
            max_filter_steps=contract.limits["max-filter-steps"],
            settings=self.settings,
        )
        self._startup = self.store.pristine()
        self.configure(**self._initial_switches)
        self.journal = Journal(journal_size)
        self.faults = FaultInjector()

    def checked_seed(self, seed: Seed) -> dict[str, Any]:
        """Seed data whose calendars are valid Calendar representations under the spec."""
        data = seed if isinstance(seed, dict) else load_fixtures(seed, self._key_sharing.seed_hook())
        if not isinstance(data, dict):
            raise SeedError("seed data must be a JSON object")
        for record in data.get("calendars", ()):
            problems = field_problems(self.contract.calendar_validator.iter_errors(record), "calendar")
            if problems:
                which = record.get("id") if isinstance(record, dict) else repr(record)
                raise SeedError(f"calendar {which}: {summary(problems)}")
        return data

    def load(self, seed: Seed) -> None:
        """Replace the data by `seed`; the journal and the switches stay as they are."""
        self.store.load(self.checked_seed(seed), consume=_read_here(seed))

    def configure(self, **switches: str) -> Settings:
        """Change the answers to open questions (x-open-questions); a bad one changes nothing."""
        self.settings.update(switches)
        return self.settings

    def reset(self, seed: Seed = None) -> None:
        """A clean slate: the data this mock was created with (or `seed`), its start-up
        switches, no sessions, no faults and an empty journal. A bad `seed` changes nothing."""
        if seed is None:
            self.store.restore(self._startup)
        else:
            self.load(seed)
        self.settings.reset()
        self.configure(**self._initial_switches)
        self.journal.clear()
        self.faults.clear()


def _read_here(seed: Seed) -> bool:
    """Whether the seed data is read from a file here, so nobody else holds it and the store
    may let go of its calendars as it takes them in."""
    return not isinstance(seed, dict)
