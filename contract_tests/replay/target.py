"""The deployment a replay is sent to: a base URL, a WSGI app, or the kit's mock in-process -
with the demo data and credentials, or seeded from a file (`--fixtures`, e.g. what
`calendar-mock seed-from-har` wrote), whose first apikey and user are then the defaults."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..diff.sides import DiffUsageError, Side, SideOptions, open_side


def open_target(options: SideOptions, fixtures: str | None, recorded_group: int) -> Side:
    """The target side; DiffUsageError for options that do not go together, a seed or a
    profile that cannot be loaded, or missing credentials."""
    if fixtures is None:
        return open_side("target", options, "")
    if options.base_url or options.app is not None:
        raise DiffUsageError("--fixtures seeds the kit's in-process mock: give it without --base-url")
    from calendar_fixtures import load_fixtures
    from calendar_spec.profiles import ProfileError

    from mock_server import create_app

    try:
        app = create_app(fixtures, profile=options.profile)
        defaults = seed_credentials(load_fixtures(fixtures), recorded_group)
    except ProfileError as error:
        raise DiffUsageError(str(error)) from None
    except (OSError, ValueError, KeyError, TypeError) as error:  # SeedError is a ValueError
        raise DiffUsageError(f"cannot load the seed data {fixtures}: {error}") from None
    given = {key: getattr(options, key) for key in defaults}
    side = open_side("target", replace(options, app=app, profile=None, **{
        key: defaults[key] if value in (None, "") else value for key, value in given.items()}), "")
    side.target = f"in-process mock seeded from {fixtures} (profile {_name(options.profile)})"
    return side


def seed_credentials(seed: dict[str, Any], recorded_group: int) -> dict[str, Any]:
    """The seed's first apikey and first user; the recorded group when that user may access
    it, else the user's own."""
    apikeys, users = seed.get("apikeys") or [{}], seed.get("users") or [{}]
    user = users[0]
    groups = set(user.get("group_ids", [])) | {user.get("group_id")}
    return {"apikey": apikeys[0].get("key"), "user": user.get("email"), "password": user.get("password"),
            "group_id": recorded_group if recorded_group in groups else user.get("group_id")}


def _name(profile: Any) -> str:
    if profile is None:
        return "default"
    return str(profile.get("name") or "custom") if isinstance(profile, dict) else str(profile)
