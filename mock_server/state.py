"""Everything one mock owns - its compiled contract, store, settings, journal and faults - and
what can be done to all of it at once: load other data, change settings, reset."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from calendar_fixtures import DEMO_PATH, load_fixtures
from calendar_spec import profiles

from .calendars.clock import MockClock
from .calendars.compact import KeySharing
from .calendars.data import CalendarData
from .calendars.seed import record_label, with_create_defaults
from .calendars.settings import Settings
from .calendars.store import TIMESTAMP_FORMAT, CalendarStore
from .config import MockConfig, ProfileSource, Seed
from .contract import Contract
from .contract.problems import field_problems, summary
from .errors import SeedError, SettingError
from .traffic.coverage import CoverageCounter
from .traffic.faults import FaultInjector
from .traffic.journal import Journal


class MockState:
    """One mock's contract, store, settings, clock, journal, faults and coverage, and the
    config it started with."""

    def __init__(self, config: MockConfig | None = None, contract: Contract | None = None, *,
                 startup: tuple[CalendarData, KeySharing] | None = None) -> None:
        self.config = config = config or MockConfig()
        self.contract = contract = contract or Contract.default()
        self._key_sharing = startup[1] if startup else KeySharing()
        self.settings = Settings(contract.open_questions)
        self._initial_settings = self.settings.check(config.settings)
        self.clock = MockClock(config.clock)
        with _named(config.seed):
            self.store = CalendarStore(
                {} if startup else self.checked_seed(config.seed),
                fields=contract.calendar_fields,
                defaults=contract.defaults,
                maximums=contract.maximums,
                clock=self.clock,
                session_ttl=config.session_ttl,
                consume_seed=_read_here(config.seed),
                key_sharing=self._key_sharing,
                max_filter_steps=contract.limits["max-filter-steps"],
                settings=self.settings,
                reference_shapes=contract.reference_shapes,
            )
        if startup:
            self.store.restore(startup[0])
        self._startup = self.store.pristine()
        self.settings.update(self._initial_settings)
        self.journal = Journal(config.journal_size)
        self.coverage = CoverageCounter(contract.spec)
        self.faults = FaultInjector(on_fire=self.coverage.fault_fired)

    def sibling(self) -> MockState:
        """Another mock from the same start-up config: its own state, the same contract and
        start-up data (shared: records are never changed in place), nothing read again."""
        return MockState(self.config, self.contract, startup=(self._startup, self._key_sharing))

    def checked_seed(self, seed: Seed) -> dict[str, Any]:
        """Seed data whose calendars, completed as creates would complete them (a calendar
        needs only `group_id` and `name`), are valid Calendar representations under the spec;
        SeedError naming the calendar (index and id) and the field."""
        data = seed if isinstance(seed, dict) else _read(seed, self._key_sharing)
        if not isinstance(data, dict):
            raise SeedError("seed data must be a JSON object")
        problems = field_problems(self.contract.seed_validator.iter_errors(data), "seed",
                                  nested_in_root=False)
        if problems:
            raise SeedError(summary(problems))
        calendars = data.get("calendars", [])
        completed = with_create_defaults(
            calendars, defaults=self.contract.defaults, maximums=self.contract.maximums,
            now=self.config.clock().strftime(TIMESTAMP_FORMAT))
        for index, record in enumerate(completed):
            problems = field_problems(self.contract.calendar_validator.iter_errors(record), "calendar",
                                      nested_in_root=False)
            if problems:  # named as the file has it (an id it lacks is not shown)
                raise SeedError(f"{record_label(index, calendars[index])}: {summary(problems)}")
        # Our own copy when the caller holds the seed; read here, nobody else holds it.
        return {**data, "calendars": completed} if isinstance(seed, dict) else data | {"calendars": completed}

    def load(self, seed: Seed) -> None:
        """Replace the data by `seed`; the journal and the settings stay as they are."""
        with _named(seed):
            self.store.load(self.checked_seed(seed), consume=_read_here(seed))

    def configure(self, **answers: str) -> Settings:
        """Change the answers to open questions (x-open-questions); a bad one changes nothing."""
        self.settings.update(answers)
        return self.settings

    def use_profile(self, source: ProfileSource) -> dict[str, str]:
        """Answer every open question as the profile says (the default where it is silent),
        until the next reset; a bad profile changes nothing."""
        try:
            profile = profiles.load(source)
        except profiles.ProfileError as error:
            raise SettingError(str(error)) from None
        self.settings.replace(profile.answers)
        return self.settings.as_dict()

    def reset(self, seed: Seed = None) -> None:
        """A clean slate: the data this mock was created with (or `seed`), its start-up
        settings, no sessions, no faults, the clock unfrozen and an empty journal (the
        coverage stays: it is the test suite's). A bad `seed` changes nothing."""
        if seed is None:
            self.store.restore(self._startup)
        else:
            self.load(seed)
        self.settings.reset()
        self.settings.update(self._initial_settings)
        self.journal.clear()
        self.faults.clear()
        self.clock.unfreeze()


def _read(path: Seed, key_sharing: KeySharing) -> Any:
    try:
        return load_fixtures(path, key_sharing.seed_hook())  # type: ignore[arg-type]
    except ValueError as error:  # not JSON; a file that cannot be read raises OSError, named
        raise SeedError(f"not valid JSON: {error}") from None


@contextlib.contextmanager
def _named(seed: Seed) -> Iterator[None]:
    """A SeedError about a seed read from a file names the file first."""
    try:
        yield
    except SeedError as error:
        if isinstance(seed, dict):
            raise
        raise SeedError(f"{seed or DEMO_PATH}: {error.problem}") from None


def _read_here(seed: Seed) -> bool:
    """Whether the seed data is read from a file here, so nobody else holds it and the store
    may let go of its calendars as it takes them in."""
    return not isinstance(seed, dict)
