"""The control plane under /_mock/: reset, seed, dump, journal and switches, for tests."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Blueprint, Response, current_app, request

from .errors import BadRequest, NotFound, SeedError
from .faults import FaultSpecError

blueprint = Blueprint("control", __name__)
# Seed data may be far larger than an API body (whose limit the spec sets).
MAX_SEED_BYTES = 16 * 1024 * 1024


@blueprint.before_request
def _allow_large_seeds() -> None:
    with contextlib.suppress(AttributeError):  # per-request limits need Flask >= 3.1
        request.max_content_length = MAX_SEED_BYTES


def _mock():
    from .app import mock_of

    return mock_of(current_app)


def _reply(body: Any, status: int = 200) -> Response:
    from .app import json_response

    return json_response(status, body)


def _json_object() -> dict[str, Any] | None:
    if not request.get_data(cache=True).strip():
        return None
    from .bodies import decode_json

    body = decode_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise BadRequest.field("body", "must be a JSON object")
    return body


@blueprint.post("/reset")
def reset() -> Response:
    """Back to the mock's start-up data and switches, with no sessions and an empty journal.

    A JSON body is other seed data to load instead (the next bodiless reset goes back to
    the start-up data); seed data that does not load is refused with 400 and changes nothing.
    """
    mock = _mock()
    try:
        mock.reset(_json_object())
    except SeedError as error:
        raise BadRequest(f"seed data refused: {error}", {"seed": [str(error)]}) from None
    state = mock.store.dump()
    return _reply({"reset": True, "calendars": len(state["calendars"])})


@blueprint.get("/state")
def state() -> Response:
    return _reply(_mock().store.dump())


@blueprint.get("/requests")
def requests_journal() -> Response:
    journal = _mock().journal
    entries = journal.entries(request.args.to_dict())
    return _reply({"requests": entries, "count": len(entries), "capacity": journal.capacity})


@blueprint.delete("/requests")
def clear_journal() -> Response:
    _mock().journal.clear()
    return _reply({"cleared": True})


@blueprint.get("/settings")
def get_settings() -> Response:
    return _reply(_mock().store.settings.as_dict())


@blueprint.put("/settings")
def put_settings() -> Response:
    body = _json_object() or {}
    try:
        settings = _mock().configure(**{key: str(value) for key, value in body.items()})
    except ValueError as error:
        raise BadRequest(str(error)) from None
    return _reply(settings.as_dict())


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return _reply(_mock().contract.spec)


@blueprint.get("/health")
def health() -> Response:
    return _reply({"ok": True})


@blueprint.get("/faults")
def list_faults() -> Response:
    return _reply({"faults": _mock().faults.list()})


@blueprint.post("/faults")
def add_fault() -> Response:
    """E.g. {"action": "error", "method": "GET", "path": "/calendars$", "times": 2}."""
    try:
        fault = _mock().faults.add(_json_object() or {})
    except FaultSpecError as error:
        raise BadRequest(f"fault refused: {error}", {"fault": [str(error)]}) from None
    return _reply(fault.describe(), 201)


@blueprint.delete("/faults")
def clear_faults() -> Response:
    _mock().faults.clear()
    return _reply({"cleared": True})


@blueprint.delete("/faults/<int:fault_id>")
def remove_fault(fault_id: int) -> Response:
    if not _mock().faults.remove(fault_id):
        raise NotFound(f"no active fault {fault_id}")
    return _reply({"removed": fault_id})
