"""The two deployments a diff compares: how each is reached, as whom, and what it created.

A side is a base URL (real HTTP) or a WSGI app called in-process; with neither, it is the kit's
mock, started in-process with the demo credentials (optionally answering as a profile).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..client import Api, Identity, calendar_path, collection_path
from ..context import UNKNOWN_ID
from ..http import Exchange, Unreachable
from ..model import deleted_flag
from ..target import open_transport, profile_name
from .steps import BAD_APIKEY, UNKNOWN, Step

CREDENTIALS = ("apikey", "user", "password", "group_id")
_TOKEN = re.compile(r"<prefix>|<PREFIX>|<id:(\d+)>")


class DiffUsageError(Exception):
    """Bad options, refused credentials or an unreachable server: the CLI exits 2."""


@dataclass
class SideOptions:
    """One side: `base_url`, or `app` (a WSGI app), or neither (the kit's mock, in-process);
    `profile` (a file, a dict or default/contrarian) only for the kit's mock."""

    base_url: str | None = None
    app: Any = None
    profile: Any = None
    apikey: str | None = None
    user: str | None = None
    password: str | None = None
    group_id: int | None = None


@dataclass
class Side:
    label: str
    target: str
    api: Api
    prefix: str
    ids: dict[int, int] = field(default_factory=dict)  # slot -> the id this side gave it
    deleted: dict[int, bool] = field(default_factory=dict)  # slot -> last `deleted` seen
    groups: dict[int, int] = field(default_factory=dict)  # slot -> its group, when not the side's

    @property
    def group_id(self) -> int:
        return self.api.group_id

    def slot_of(self, calendar_id: Any) -> int | None:
        return next((slot for slot, cid in self.ids.items() if cid == calendar_id), None)


def run_prefixes() -> tuple[str, str]:
    """One name prefix per side, unique to the run and of the same length (so sorting by
    name orders both sides alike), never a `like` wildcard."""
    run = f"contract-kit-diff-{datetime.now(UTC).strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(2)}"
    return f"{run}-a", f"{run}-b"


def open_side(label: str, options: SideOptions, prefix: str) -> Side:
    if options.base_url and options.app is not None:
        raise DiffUsageError(f"side {label}: give a base URL or an app, not both")
    if options.base_url and options.profile is not None:
        raise DiffUsageError(f"side {label}: a profile makes the kit's in-process mock answer "
                             "as it says; a deployment at a base URL answers as it does")
    from calendar_spec.profiles import ProfileError

    values = {key: getattr(options, key) for key in CREDENTIALS}
    try:
        transport, values, started_mock = open_transport(options.base_url, options.app, options.profile,
                                                         values)
    except (ProfileError, ValueError) as error:  # ValueError: a base URL no request can go to
        raise DiffUsageError(f"side {label}: {error}") from None
    if options.base_url:
        target = options.base_url
    elif started_mock:
        target = f"in-process mock (profile {profile_name(options.profile or 'default')})"
    else:
        target = "in-process WSGI app"
    missing = [key for key, value in values.items() if value in (None, "")]
    if missing:
        names = ", ".join(f"--{'against-' if label == 'B' else ''}{key.replace('_', '-')}" for key in missing)
        raise DiffUsageError(f"side {label} ({target}): missing {names}")
    try:
        group_id = int(values["group_id"])
    except (TypeError, ValueError):
        raise DiffUsageError(f"side {label}: the group id must be an integer") from None
    identity = Identity(str(values["apikey"]), str(values["user"]), str(values["password"]), group_id)
    return Side(label, target, Api(transport, identity, []), prefix)


def resolve(value: Any, side: Side) -> Any:
    """A step's value with this side's tokens filled in (see `scenario`)."""
    if isinstance(value, dict):
        return {key: resolve(item, side) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item, side) for item in value]
    if value == "$group":
        return side.group_id
    if isinstance(value, str):
        return _TOKEN.sub(lambda found: _token(found, side), value)
    return value


def _token(found: re.Match[str], side: Side) -> str:
    if found.group(1) is not None:
        return str(side.ids.get(int(found.group(1)), UNKNOWN_ID))
    return side.prefix.upper() if found.group(0) == "<PREFIX>" else side.prefix


def send(side: Side, step: Step) -> Exchange | None:
    """Send `step` as this side; None when it names a calendar this side never created."""
    if step.target is not None and step.target != UNKNOWN and step.target not in side.ids:
        return None
    if step.operation == "listCalendars" or step.operation == "createCalendar":
        path = collection_path(side.group_id)
    else:
        calendar_id = UNKNOWN_ID if step.target == UNKNOWN else side.ids[step.target]
        path = calendar_path(side.group_id, calendar_id)
    kwargs: dict[str, Any] = {"params": [(key, resolve(value, side)) for key, value in step.params]}
    if step.raw_body is not None:
        kwargs.update(body=step.raw_body.encode("utf-8"), content_type="application/json")
    elif step.body is not None:
        kwargs["json_body"] = resolve(step.body, side)
    if step.bad_apikey:
        kwargs["apikey"] = BAD_APIKEY
    exchange = side.api.request(step.method, path, **kwargs)
    remember(side, step, exchange)
    return exchange


def remember(side: Side, step: Step, exchange: Exchange) -> None:
    """The id a create got, and the `deleted` flag of every calendar of ours it shows."""
    body = exchange.json()
    new_id = body.get("id") if isinstance(body, dict) else None
    if step.creates is not None and exchange.status == 201 and type(new_id) is int:
        side.ids[step.creates] = new_id
    if not 200 <= exchange.status < 300 or not isinstance(body, dict):
        return
    records = body.get("records") if isinstance(body.get("records"), list) else [body]
    for record in records:
        slot = side.slot_of(record.get("id")) if isinstance(record, dict) else None
        if slot is not None:
            side.deleted[slot] = bool(deleted_flag(record, booleans_only=False))


def check_reachable(side: Side) -> None:
    """One list of this run's (no) calendars: the server answers and takes the credentials."""
    try:
        answer = side.api.list([("search", side.prefix), ("results", "1")])
    except Unreachable as error:
        raise DiffUsageError(f"side {side.label} is unreachable: {error}") from None
    if answer.status != 200:
        raise DiffUsageError(f"side {side.label} ({side.target}) refused the first list: "
                             f"{answer.summary()[:200]} (credentials, group?)")


def clean_up(side: Side) -> str:
    """Soft-delete every calendar the run created on this side that is not deleted already."""
    problems = []
    for slot, calendar_id in sorted(side.ids.items()):
        if side.deleted.get(slot):
            continue
        answer = side.api.delete(calendar_id, group=side.groups.get(slot))
        if 200 <= answer.status < 300:
            side.deleted[slot] = True
        else:
            problems.append(f"{calendar_id} ({answer.status})")
    note = f"clean-up {side.label}: the {len(side.ids)} calendar(s) this run created are soft-deleted"
    return note + (f"; could not soft-delete {', '.join(problems)}" if problems else "")
