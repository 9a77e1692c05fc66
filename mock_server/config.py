"""What a mock is built from: one object, from the command line (or create_app's keywords)
to the store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calendar_spec import profiles

from .calendars.clock import Clock, utc_now

Seed = dict[str, Any] | str | Path | None
ProfileSource = profiles.Profile | Mapping[str, Any] | str | Path
CONTROL_PREFIX = "/_mock"  # where the control plane lives, outside the API's paths
# The largest body any request may bring (a control-plane seed; the spec bounds API bodies far
# lower): the HTTP servers read no further, so no body takes more memory or disk than this.
MAX_SEED_BYTES = 16 * 1024 * 1024
MOCK_ENVIRON_KEY = "calendar_mock.state"  # how a mock's stack hands itself to the control plane


@dataclass(frozen=True)
class MockConfig:
    """A mock's seed data, its answers to the open questions, and its resources.

    `seed`: a dict, a JSON file, or None for the demo data. `settings`: the answer to each
    open question of the spec the mock should not answer as its default
    (`x-open-questions`, e.g. `{"page_cap": "5"}`), checked against the spec when the mock is
    built. `journal_size`: requests the journal keeps. `session_ttl`: seconds a login lasts.
    `clock`: where the time comes from (a test may freeze it: `MockState.clock`).
    `max_namespaces`: namespaces (`X-Mock-Namespace`) a served mock holds besides the default.
    """

    seed: Seed = None
    settings: Mapping[str, str] = field(default_factory=dict)
    journal_size: int = 1000
    session_ttl: float = 3600.0
    clock: Clock = utc_now
    max_namespaces: int = 32

    @classmethod
    def of(cls, fixtures: Seed = None, *, profile: ProfileSource | None = None,
           intervention_match: str | None = None, deleted_calendars: str | None = None,
           settings: Mapping[str, str] | None = None, **resources: Any) -> MockConfig:
        """From the keywords of `create_app` and the CLI: a profile (a file, a dict or a
        built-in name, `calendar_spec.profiles`) answers the open questions; the two named
        switches and `settings` override single answers of it."""
        named = {"intervention_match": intervention_match, "deleted_calendars": deleted_calendars}
        base = dict(profiles.load(profile).answers) if profile is not None else {}
        answers = {**base, **{key: value for key, value in named.items() if value is not None},
                   **(settings or {})}
        return cls(seed=fixtures, settings=answers, **resources)
