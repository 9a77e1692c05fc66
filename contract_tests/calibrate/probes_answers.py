"""Probes of what an answer looks like: error bodies, 405s, login, refused credentials, the
calendar's fields. Every one of them looks with GETs and logins only, so they answer under
--read-only too."""

from __future__ import annotations

from typing import Any

from ..client import LOGIN_PATH, calendar_path
from ..http import Exchange
from ..spec_facts import CALENDAR_FIELDS
from .registry import Reading, probe
from .session import UNKNOWN_ID, Session


def _error_shape(exchange: Exchange, what: str) -> Reading:
    body = exchange.json()
    if not 400 <= exchange.status < 500:
        return Reading(None, f"{what} answered {exchange.status}, not a 4xx", [exchange])
    keys = sorted(body) if isinstance(body, dict) else None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return Reading("kit", f"{what}: {exchange.status} with keys {keys}", [exchange])
    if isinstance(body, dict) and "message" in body and "code" in body:
        return Reading("other", f"{what}: {exchange.status} with keys {keys}", [exchange])
    shown = f"keys {keys}" if keys is not None else f"body {exchange.body_text(80)!r}"
    return Reading(None, f"{what}: {exchange.status} with {shown}", [exchange])


@probe("error_body", writes=False)
def error_body(session: Session) -> list[Reading]:
    """A 404 (a calendar that does not exist) and a 400 (results=0): `{error, ...}` is the kit's."""
    return [_error_shape(session.api.show(UNKNOWN_ID), f"GET calendar {UNKNOWN_ID}"),
            _error_shape(session.api.list([("results", 0)]), "GET list results=0")]


@probe("allow_header", writes=False)
def allow_header(session: Session) -> list[Reading]:
    """GET on the login path (it serves POST only), with and without `.json`: a 405 with or
    without an Allow header."""
    readings = []
    for suffix in ("", ".json"):
        exchange = session.api.request("GET", LOGIN_PATH + suffix)
        allow = exchange.headers.get("allow")
        if exchange.status != 405:
            readings.append(Reading(None, f"GET {LOGIN_PATH}{suffix} answered {exchange.status}, not 405",
                                    [exchange]))
        elif allow is None:
            readings.append(Reading("omitted", f"GET {LOGIN_PATH}{suffix}: 405 without Allow", [exchange]))
        else:
            readings.append(Reading("sent", f"GET {LOGIN_PATH}{suffix}: 405 with Allow: {allow}", [exchange]))
    return readings


@probe("session_cookie", writes=False)
def session_cookie(session: Session) -> list[Reading]:
    """Two logins (credentials in the query, then form-encoded): where `_session_id` is among
    the Set-Cookie headers."""
    readings = []
    for form in (False, True):
        exchange = session.api.login(form=form)
        how = "form-encoded" if form else "query"
        names = [value.split("=", 1)[0].strip() for value in exchange.header_values("set-cookie")]
        if exchange.status != 200 or "_session_id" not in names:
            readings.append(Reading(None, f"login ({how}) answered {exchange.status}, Set-Cookie names "
                                    f"{names}", [exchange]))
        else:
            answer = "first" if names[0] == "_session_id" else "after_another"
            readings.append(Reading(answer, f"login ({how}): Set-Cookie names in order {names}", [exchange]))
    return readings


@probe("login_without_credentials", writes=False)
def login_without_credentials(session: Session) -> list[Reading]:
    """A login with the apikey but no pro[email] / pro[password], with and without `.json`."""
    readings = []
    for suffix in ("", ".json"):
        exchange = session.api.request("POST", LOGIN_PATH + suffix, auth=None)
        status = str(exchange.status)
        answer = status if status in ("401", "400") else None
        readings.append(Reading(answer, f"POST {LOGIN_PATH}{suffix} without credentials: {status}",
                                [exchange]))
    return readings


def _shown_twice(session: Session) -> list[tuple[str, dict[str, Any] | None, Exchange]]:
    """One calendar as GET shows it and as the list shows it (`id =` it)."""
    calendar_id = session.sample()["id"]
    shown = session.api.show(calendar_id)
    listed = session.api.list([("conditions[0][field]", "id"), ("conditions[0][op]", "="),
                               ("conditions[0][value]", calendar_id)])
    body, envelope = shown.json(), listed.json()
    records = envelope.get("records") if isinstance(envelope, dict) else None
    record = records[0] if isinstance(records, list) and len(records) == 1 else None
    return [(f"GET {calendar_path(session.group_id, calendar_id)}", body if shown.status == 200 else None,
             shown),
            (f"the list (id = {calendar_id})", record if listed.status == 200 else None, listed)]


@probe("extra_fields", writes=False)
def extra_fields(session: Session) -> list[Reading]:
    """The fields of one calendar, shown and listed: the contract's only, or also `label`."""
    readings = []
    for what, record, exchange in _shown_twice(session):
        if not isinstance(record, dict):
            readings.append(Reading(None, f"{what} answered {exchange.summary()}", [exchange]))
            continue
        extra = sorted(set(record) - set(CALENDAR_FIELDS))
        answer = "none" if not extra else "label" if extra == ["label"] else None
        readings.append(Reading(answer, f"{what}: fields beyond the contract's {extra or 'none'}",
                                [exchange]))
    return readings


@probe("deleted_output", writes=False)
def deleted_output(session: Session) -> list[Reading]:
    """`deleted` of one calendar, shown and listed: a JSON boolean, or 0/1."""
    readings = []
    for what, record, exchange in _shown_twice(session):
        value = record.get("deleted", "<missing>") if isinstance(record, dict) else "<no calendar>"
        answer = ("boolean" if isinstance(value, bool)
                  else "integer" if type(value) is int and value in (0, 1) else None)
        readings.append(Reading(answer, f"{what}: deleted {value!r}", [exchange]))
    return readings


# The requests whose refusal is only assumed to be 401 (a wrong password is 401, documented:
# not looked at): a list of the group without an apikey, with an unknown one, without user
# credentials, and with an unknown session cookie in place of them.
CREDENTIAL_LOOKS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("no apikey", {"apikey": None}),
    ("an unknown apikey", {"apikey": "calibrate-not-an-apikey"}),
    ("no user credentials", {"auth": None}),
    ("an unknown _session_id cookie", {"auth": None, "cookie": "_session_id=calibrate-no-such-session"}),
)


@probe("credentials_refusal", writes=False)
def credentials_refusal(session: Session) -> list[Reading]:
    """The group's list asked with each of `CREDENTIAL_LOOKS`: refused with 401, or 403."""
    readings = []
    for what, change in CREDENTIAL_LOOKS:
        exchange = session.api.list([("results", 1)], **change)
        status = str(exchange.status)
        readings.append(Reading(status if status in ("401", "403") else None,
                                f"the list with {what}: {status}", [exchange]))
    return readings
