"""One handler per operationId of the spec; each is a few lines over the store."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import params
from .auth import check_apikey
from .contract import Contract, Operation
from .errors import BadRequest, NotFound, Unauthorized
from .problems import field_problems
from .store import CalendarStore, User


@dataclass
class Call:
    """One API request, authenticated and with its inputs parsed by the spec."""

    contract: Contract
    store: CalendarStore
    operation: Operation
    path: dict[str, Any]
    args: Mapping[str, Sequence[str]]
    user: User | None = None
    body: dict[str, Any] = field(default_factory=dict)
    form: Mapping[str, Sequence[str]] = field(default_factory=dict)
    query_apikey: str | None = None
    settings: Any = None

    @property
    def group_id(self) -> int:
        return self.path["group_id"]

    @property
    def calendar_id(self) -> int:
        return self.path["calendar_id"]

    def calendar_values(self) -> dict[str, Any]:
        """The writable keys of the body's `calendar`; read-only keys are dropped."""
        calendar = self.body.get("calendar") or {}
        return {k: v for k, v in calendar.items() if k not in self.contract.ignored_fields}


    def shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """A calendar as the API answers it: as stored, or as the settings answer the open
        questions about the representation (a field of the deployment's own, `deleted` as 0/1)."""
        settings = self.settings
        if settings is None or (settings.extra_fields == "none" and settings.deleted_output == "boolean"):
            return record
        shown = dict(record)
        if settings.extra_fields == "label":
            shown["label"] = f"calendar-{record['id']}"
        if settings.deleted_output == "integer" and isinstance(record.get("deleted"), bool):
            shown["deleted"] = int(record["deleted"])
        return shown


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)


def check_group_access(call: Call) -> None:
    """404 for a group that does not exist or that the user may not see: the same answer."""
    if call.user is None or not (
        call.user.may_access(call.group_id) and call.store.group_exists(call.group_id)
    ):
        raise NotFound(f"group {call.group_id} does not exist or you may not access it")


def list_calendars(call: Call) -> Reply:
    query = params.list_query(call.contract, call.operation, call.args)
    envelope = call.store.list_calendars(call.group_id, query).envelope()
    envelope["records"] = [call.shown(record) for record in envelope["records"]]
    return Reply(200, envelope)


def get_calendar(call: Call) -> Reply:
    return Reply(200, call.shown(call.store.get_calendar(call.group_id, call.calendar_id)))


def create_calendar(call: Call) -> Reply:
    return Reply(201, call.shown(call.store.create_calendar(call.group_id, call.calendar_values())))


def update_calendar(call: Call) -> Reply:
    record = call.store.update_calendar(call.group_id, call.calendar_id, call.calendar_values())
    return Reply(200, call.shown(record))


def delete_calendar(call: Call) -> Reply:
    return Reply(200, call.shown(call.store.delete_calendar(call.group_id, call.calendar_id)))


LOGIN_FORM_KEYS = ("apikey", "pro[email]", "pro[password]")


def login(call: Call) -> Reply:
    """Credentials in the query (as the docs show) or form-encoded (as clients send them).

    Every problem with the query and the form is reported in one 400. A form key this handler
    reads, given twice, is as ambiguous as a repeated query key (400); other keys are ignored.
    """
    form = {key: given[0] for key, given in call.form.items()}
    check_apikey(call.store, call.query_apikey or form.get("apikey"))
    values, problems = params.parse_query(call.operation, call.args)
    form_validator = call.operation.body_validators.get("application/x-www-form-urlencoded")
    if form_validator is not None and form:
        problems.update(field_problems(form_validator.iter_errors(form), "body", nested_in_root=False))
    problems.update({key: ["is given more than once"] for key in LOGIN_FORM_KEYS
                     if len(call.form.get(key, ())) > 1})
    if problems:
        raise params.query_error(problems, call.args)
    email = values.get("pro[email]") or form.get("pro[email]")
    digest = values.get("pro[password]") or form.get("pro[password]")
    if not email or not digest:
        missing = Unauthorized if call.settings is None or call.settings.login_without_credentials == "401" \
            else BadRequest
        raise missing("pro[email] and pro[password] (its SHA1 hex digest) are required",
                      {"pro[email]": ["is required"], "pro[password]": ["is required"]})
    user = call.store.user_with_sha1(email, digest)
    if user is None:
        raise Unauthorized("the email or password is wrong",
                           {"pro[password]": ["email or password is wrong"]})
    token = call.store.open_session(user)
    cookies = [("Set-Cookie", f"_session_id={token}; path=/; HttpOnly")]
    if call.settings is not None and call.settings.session_cookie == "after_another":
        cookies.insert(0, ("Set-Cookie", "locale=fr; path=/"))
    return Reply(200, {"pro": user.public(), "error": None}, cookies)


# operationId -> handler; app.py refuses to start if the spec and this table disagree.
HANDLERS: dict[str, Callable[[Call], Reply]] = {
    "listCalendars": list_calendars,
    "getCalendar": get_calendar,
    "createCalendar": create_calendar,
    "updateCalendar": update_calendar,
    "deleteCalendar": delete_calendar,
    "login": login,
}
# Operations that identify the user by Basic auth or session (all but login).
USER_OPERATIONS = frozenset(HANDLERS) - {"login"}
