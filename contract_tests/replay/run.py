"""`run_replay(ReplayOptions(...)) -> ReplayResult`: a recording resent to a deployment, call by call,
each answer compared with the recorded one as diff compares two deployments.

    from contract_tests.replay import ReplayOptions, run_replay
    result = run_replay(ReplayOptions("session.har", SideOptions(profile="contrarian")))
    print(text(result)); result.passed, result.questions()
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mock_server.recorded.calls import ApiCall
from mock_server.recorded.har import HarError, Recording, read_har

from ..client import WRITES
from ..diff.compare import Difference, Naming, compare, normalised_bodies
from ..diff.questions import Seen, explain
from ..diff.report import Finding, StepResult, StepTotals
from ..diff.sides import DiffUsageError, Side, SideOptions, clean_up, remember
from ..diff.steps import Step
from ..http import Exchange, Unreachable
from .inherit import Inherited
from .kinds import kind_of
from .leftovers import leftovers_note
from .target import open_target
from .translate import Translation, credentials_dropped, outgoing, spoiled

NO_CREATED_ID = "the recording does not show the id the create made"
REVALIDATED = "a revalidation answered 304 from the recorder's cache: nothing to compare"
REDIRECTED = "a redirect (3xx): the request it led to is replayed on its own"


class ReplayUsageError(Exception):
    """Bad options, a file that is not HAR, refused credentials or an unreachable server: exit 2."""


@dataclass
class ReplayOptions:
    """`har`: the recording; `target`: where to send it (default: the kit's mock in-process,
    demo data); `fixtures`: seed data for that mock instead of the demo data."""

    har: str
    target: SideOptions = field(default_factory=SideOptions)
    fixtures: str | None = None
    allow_writes_to_existing: bool = False


@dataclass
class ReplayStep(StepResult):
    call: ApiCall | None = None


@dataclass
class ReplayResult(StepTotals):
    recording: Recording
    recorded: str
    target: str
    steps: list[ReplayStep] = field(default_factory=list)  # type: ignore[assignment]
    skipped: list[tuple[ApiCall, str]] = field(default_factory=list)
    not_compared: list[tuple[ApiCall, str]] = field(default_factory=list)  # calls not compared, and why
    notes: list[str] = field(default_factory=list)


def run_replay(options: ReplayOptions) -> ReplayResult:
    try:
        recording = read_har(options.har)
    except HarError as error:
        raise ReplayUsageError(str(error)) from None
    if not recording.calls:
        raise ReplayUsageError(f"{recording.summary()}: no Calendar API call to replay")
    try:
        side = open_target(options.target, options.fixtures, recorded_identity(recording)[0])
    except DiffUsageError as error:
        raise ReplayUsageError(str(error)) from None
    # The kit's mock in-process lives for this replay alone: writing to its calendars harms nothing,
    # and skipping the writes would leave every later read of them differing for no reason.
    own_mock = not options.target.base_url and options.target.app is None
    replay = _Replay(recording, side, options.allow_writes_to_existing or own_mock)
    try:
        _check_reachable(side)
        leftovers = leftovers_note(side, recording.calls)
        if leftovers:
            replay.result.notes.append(leftovers)
        for call in recording.calls:
            replay.send(call)
    except Unreachable as error:  # the requests compared so far are reported, without a verdict
        replay.result.stopped = f"the target stopped answering: {error}"
    finally:
        try:
            replay.result.notes.append(clean_up(side))
        except Unreachable:
            replay.result.notes.append("clean-up skipped: the target is unreachable")
        side.api.transport.close()
    return replay.result


def _check_reachable(side: Side) -> None:
    try:
        answer = side.api.list([("results", "1")])
    except Unreachable as error:
        raise ReplayUsageError(f"the target is unreachable: {error}") from None
    if answer.status != 200:
        raise ReplayUsageError(f"the target ({side.target}) refused a first list of group {side.group_id}: "
                               f"{answer.summary()[:200]} (credentials, group?)")


def recorded_identity(recording: Recording) -> tuple[int, str | None]:
    """The group most calls went to, and the user's email when the recording shows it."""
    groups = Counter(call.group_id for call in recording.calls if call.group_id is not None)
    emails = [e for call in recording.calls for e in (_email(call),) if e]
    return (groups.most_common(1)[0][0] if groups else 0), (emails[0] if emails else None)


def _email(call: ApiCall) -> str | None:
    body = call.response_json() if call.operation == "login" and call.ok else None
    pro = body.get("pro") if isinstance(body, dict) else None
    if isinstance(pro, dict) and isinstance(pro.get("email"), str):
        return pro["email"]
    basic = call.basic()
    return basic.email if basic is not None else call.login_email()


class _Replay:
    def __init__(self, recording: Recording, side: Side, allow_writes: bool) -> None:
        group, email = recorded_identity(recording)
        identity = side.api.identity
        self.side, self.allow_writes = side, allow_writes
        self.known = Translation(group, identity, target_ids=side.ids,
                                 credentials_dropped=credentials_dropped(recording.calls))
        users = ((email, "<user>"),) if email and email != identity.user else ()
        own_user = ((identity.user, "<user>"),) if users else ()
        self.naming = (Naming(group, users), Naming(identity.group_id, own_user))
        self.inherited = Inherited()
        self.calendarsets: set[int] = set()
        self.deleted: set[str] = set()
        self.slots = 0
        self.shown: set[str] = set()  # the calendar ids the recorded answers showed so far
        self.unknown_creates: set[int] = set()  # slots of creates answered 2xx without their calendar
        self.result = ReplayResult(
            recording, f"{recording.calls[0].origin}, group {group}, user {email or '(masked)'}",
            f"{side.target}, group {identity.group_id}, user {identity.user}")
        if group != identity.group_id:
            self.result.notes.append(
                f"group {group} of the recording is group {identity.group_id} on the target")

    def send(self, call: ApiCall) -> None:
        if 300 <= call.status < 400:
            self.result.not_compared.append((call, not_resent(call)))
            return
        refused = spoiled(call)
        creates = None
        if call.operation == "createCalendar" and call.method == "POST":
            self.slots += 1
            creates = self.slots
        calendar = call.path_values.get("calendar_id")
        slot = self.known.slot_of(calendar)
        if self._made_by_unknown_create(call, calendar, slot):
            self.result.not_compared.append((call, NO_CREATED_ID))
            return
        if call.method in WRITES and calendar is not None and slot is None and not self.allow_writes:
            self.result.skipped.append((call, f"calendar {calendar} was not created by the recording "
                                              "(--allow-writes-to-existing sends it)"))
            return
        body = call.request_json()
        kind = kind_of(call, refused is not None, self.calendarsets)
        step = Step(len(self.result.steps) + 1, kind, call.method, call.operation, target=slot,
                    params=tuple((k, v) for k, v in call.query if k not in ("apikey", "pro[password]")),
                    body=body, raw_body=None if body is not None else call.request_text,
                    bad_apikey=refused == "apikey", creates=creates)
        outcome = ReplayStep(step, (call.status, None), call=call)
        self.result.steps.append(outcome)
        if slot is not None and slot not in self.side.ids:
            rid = self.known.recorded_ids[slot]
            diff = Difference("unpaired", f"calendar {rid}", "sent",
                              "not sent: its create failed on the target")
            outcome.findings.append(Finding(diff, self.inherited.explain(diff, None, None)))
            return
        request = outgoing(call, self.known)
        if request.note and request.note not in self.result.notes:
            self.result.notes.append(request.note)
        answer = self.side.api.request(request.method, request.path, raw_query=request.raw_query,
                                       body=request.body, content_type=request.content_type, apikey=None,
                                       auth=request.auth, cookie=request.cookie)
        outcome.statuses, outcome.curls = (call.status, answer.status), ("", answer.curl())
        self._remember(call, step, answer)
        self._compare(call, step, answer, outcome)

    def _made_by_unknown_create(self, call: ApiCall, calendar: str | None, slot: int | None) -> bool:
        """Whether `call` names, after a create whose answer the recording does not show, a
        calendar no earlier answer showed and the recorded API answered: most likely that
        create's, whose id on the target is not known."""
        return (bool(self.unknown_creates) and calendar is not None and slot is None and call.ok
                and calendar not in self.shown)

    def _remember(self, call: ApiCall, step: Step, answer: Exchange) -> None:
        """The ids a create got on each side, the target's session, the calendarsets in use."""
        recorded = call.response_json()
        created = recorded.get("id") if isinstance(recorded, dict) else None
        if step.creates is not None and call.ok:
            if type(created) is int:
                self.known.recorded_ids[step.creates] = created
            else:
                self.unknown_creates.add(step.creates)
        remember(self.side, step, answer)
        target_group = self.known.group(call.group_id) if call.group_id is not None else None
        if step.creates in self.side.ids and target_group not in (None, self.side.group_id):
            self.side.groups[step.creates] = target_group  # a create in another group: cleaned up there
        if call.operation == "login" and 200 <= answer.status < 300:
            self.known.session_cookie = answer.session_cookie() or self.known.session_cookie
        records = recorded.get("records") if isinstance(recorded, dict) else None
        for record in records if isinstance(records, list) else [recorded]:
            if isinstance(record, dict) and type(record.get("id")) is int:
                self.shown.add(str(record["id"]))
            if isinstance(record, dict) and type(record.get("calendarset_id")) is int:
                self.calendarsets.add(record["calendarset_id"])

    def _compare(self, call: ApiCall, step: Step, answer: Exchange, outcome: ReplayStep) -> None:
        recorded = recorded_exchange(call)
        if call.response_cut:
            self.result.not_compared.append((call, f"its body: the recorder cut it ({call.response_cut})"))
        if call.response_text is None or call.response_cut:  # no body, or part of one: the status only
            if recorded.status != answer.status:
                diff = Difference("status", "status", recorded.status, answer.status)
                outcome.findings.append(Finding(diff, []))
            return
        a_ids = {cid: cid for cid in self.known.recorded_ids.values()}
        b_ids = {cid: self.known.recorded_ids[slot] for slot, cid in self.side.ids.items()
                 if slot in self.known.recorded_ids}
        if call.operation == "login":
            a_ids, b_ids = _with_user_ids(a_ids, recorded), _with_user_ids(b_ids, answer)
        left, right = normalised_bodies((self.naming[0], a_ids, recorded), (self.naming[1], b_ids, answer))
        written = self._written(call, step)
        self._note_deleted(left, right)
        # The target's ids of the calendars made by a create whose recorded answer is unknown.
        unpaired = {self.side.ids[slot] for slot in self.unknown_creates if slot in self.side.ids}
        for diff in compare(recorded, answer, left, right):
            questions = explain(Seen(step, diff, recorded, answer, left, right, len(self.deleted)))
            questions = questions or self.inherited.explain(diff, left, right, step.param("sort"))
            if diff.kind in ("records", "order") and unpaired & {c for c in diff.b if type(c) is int}:
                questions = []  # a page holding a calendar whose recorded id is unknown differs by that
            self.inherited.learn(diff, questions, left, right, written)
            outcome.findings.append(Finding(diff, questions))

    def _written(self, call: ApiCall, step: Step) -> tuple[str | None, list[str]]:
        """The calendar a write names (by its recorded id) and the fields it writes."""
        if call.method not in WRITES or not call.served:
            return None, []
        if step.creates is not None:
            created = self.known.recorded_ids.get(step.creates) or self.side.ids.get(step.creates)
            return (repr(created) if created is not None else None), []
        calendar = step.body.get("calendar") if isinstance(step.body, dict) else None
        fields = list(calendar) if isinstance(calendar, dict) else []
        rid = call.path_values.get("calendar_id")
        return rid, fields + (["deleted"] if call.method == "DELETE" else [])

    def _note_deleted(self, *bodies: Any) -> None:
        """Calendars shown soft-deleted so far: how many a deployment hiding them may list fewer."""
        for body in bodies:
            records = body.get("records") if isinstance(body, dict) else None
            for record in records if isinstance(records, list) else [body]:
                if isinstance(record, dict) and record.get("deleted") in (True, 1):
                    self.deleted.add(repr(record.get("id")))


def not_resent(call: ApiCall) -> str:
    """Why a recorded 3xx is not sent again. A 304 answered a conditional request whose
    validators (If-None-Match...) are not resent, so the target would answer 200 in full; a
    redirect's client sent the request it led to as an entry of its own, so sending it again
    would send a write twice."""
    return REVALIDATED if call.status == 304 else REDIRECTED


def _with_user_ids(ids: dict[int, Any], answer: Exchange) -> dict[int, Any]:
    """A login's answer names the user by an id of the deployment's own: compared as `<user>`."""
    body = answer.json()
    pro = body.get("pro") if isinstance(body, dict) else None
    user_id = pro.get("id") if isinstance(pro, dict) else None
    return {**ids, user_id: "<user>"} if type(user_id) is int else ids


def recorded_exchange(call: ApiCall) -> Exchange:
    """The recorded call as an Exchange, as if the suite had sent it (its query as recorded)."""
    headers = list(call.response_headers)
    if call.response_mime and not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", call.response_mime))
    body = call.request_text.encode("utf-8") if call.request_text is not None else None
    query = "&".join(f"{k}={v}" for k, v in call.query)
    return Exchange(call.method, call.origin, call.path, query, {}, body, call.status, headers,
                    (call.response_text or "").encode("utf-8"))
