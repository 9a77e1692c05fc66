"""Who is calling: the application's apikey plus a Pro user (Basic or session cookie)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ..calendars.store import CalendarStore, User
from ..errors import SECOND_QUESTION_MARK_HINT, ApiError, Unauthorized

Refusal = type[ApiError]


@dataclass(frozen=True)
class Credentials:
    """What a request presents, lifted from wherever the client put it."""

    apikey: str | None
    authorization: str | None
    session_id: str | None


def check_apikey(store: CalendarStore, apikey: str | None, refusal: Refusal = Unauthorized) -> None:
    if not apikey:
        raise refusal("apikey is missing: pass it as a query parameter", {"apikey": ["is required"]})
    if not store.apikey_known(apikey):
        hint = SECOND_QUESTION_MARK_HINT if "?" in apikey else ""
        raise refusal("apikey is not valid" + hint, {"apikey": ["is not a known API key"]})


def authenticate(store: CalendarStore, credentials: Credentials, *, user_required: bool,
                 refusal: Refusal = Unauthorized) -> User | None:
    """The user, once both the apikey and the user's identity check out; else 401. An
    operation that does not identify a user (login) needs the apikey only: None.

    Wrong Basic credentials are 401 (documented); the cases only assumed to be 401 (no or an
    unknown apikey, no credentials, an unknown session) answer `refusal` (`credentials_refusal`)."""
    check_apikey(store, credentials.apikey, refusal)
    if not user_required:
        return None
    if credentials.authorization:
        return _basic_user(store, credentials.authorization)
    if credentials.session_id:
        user = store.session_user(credentials.session_id)
        if user is None:
            raise refusal("the session is unknown or has expired; log in again",
                          {"_session_id": ["is unknown or expired"]})
        return user
    raise refusal(
        "user credentials are missing: send HTTP Basic email:password or the _session_id cookie",
        {"Authorization": ["is required (or the _session_id cookie)"]},
    )


def _basic_user(store: CalendarStore, header: str) -> User:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        raise Unauthorized("the Authorization header must be HTTP Basic email:password",
                           {"Authorization": ["must use the Basic scheme"]})
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text, undecodable UTF-8
        raise Unauthorized("the Authorization header is not valid Basic credentials",
                           {"Authorization": ["is not base64 of email:password"]}) from None
    email, separator, password = decoded.partition(":")
    user = store.user_with_password(email, password) if separator else None
    if user is None:
        raise Unauthorized("the email or password is wrong",
                           {"Authorization": ["email or password is wrong"]})
    return user
