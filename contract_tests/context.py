"""What every rule check shares: the API clients, what discovery learnt, and `expect`."""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import calendar_spec

from . import profile_level, schedule
from .client import Api, Identity
from .footprint import KNOWN_STATE, OwnPool
from .http import Exchange, Transport
from .model import FOOTPRINT, NOT_SERVED, READ_ONLY, CheckFailed, Skip, SuiteOptions, deleted_flag
from .spec_facts import CALENDAR_FIELDS, WRITABLE_FIELDS, path_values, sample_value
from .threads import CheckThreads

# An id that no deployment hands out in practice (the largest 32-bit id); used as "unknown".
UNKNOWN_ID = 2147483647
# Pages read for one list at most: a deployment that caps its pages at 20 serves 20,000 records
# in them; a totalRecords that says more is not read further (it would be hours, or a lie).
MAX_PAGES = 1000
T = TypeVar("T")


def _own_key(key: str = "main") -> str:
    """Where `own_calendar(key)` is kept in the context's cache."""
    return f"own:{key}"


def short(value: Any, limit: int = 200) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "…"


class SuiteContext(CheckThreads):
    def __init__(self, options: SuiteOptions, transport: Transport) -> None:
        self.options = options
        self.level = options.level
        level_rules = calendar_spec.rules(options.level)
        # Whether this level's view of the spec holds the deployment to our assumptions (ASM) too.
        self.assumptions = any(rule["tag"] == "ASM" for rule in level_rules)
        if options.profile is not None:  # --level profile:FILE: strict, less what FILE answers otherwise
            dropped = profile_level.rules_answered_otherwise(options.profile)
            level_rules = [rule for rule in calendar_spec.rules("strict") if rule["id"] not in dropped]
        self.active_rules = {rule["id"] for rule in level_rules}
        self.transport = transport
        self.journal: list[Exchange] = []
        self.identity = Identity(options.apikey, options.user, options.password, int(options.group_id))
        CheckThreads.__init__(self)
        self.api = Api(transport, self.identity, self.journal, gate=self.gate)
        self.other_api: Api | None = None
        if options.other_user and options.other_password and options.other_group_id is not None:
            other = Identity(
                options.apikey, options.other_user, options.other_password, int(options.other_group_id)
            )
            self.other_api = Api(transport.twin(), other, self.journal, gate=self.gate)
            self.other_api.observer = self._observe
        self.api.observer = self._observe
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        self.run_id = f"{stamp}-{secrets.token_hex(2)}"
        self.prefix = f"contract-kit-{self.run_id}"
        self.created: dict[int, int] = {}  # id -> group, created with the main identity
        self.other_created: dict[int, int] = {}  # created with the second identity
        self.created_names: dict[int, str] = {}  # the name each was created (or reused) with
        self.changed_at: dict[int, float] = {}  # monotonic time of our last change to a calendar
        self.baseline: list[dict[str, Any]] = []
        self.calendarsets: list[int] = []
        self.interventions: dict[int, list[int]] = {}  # intervention id -> ids it lists
        self.unserved: dict[str, str] = {}  # operationId -> why: resources the deployment does not serve
        self.cache: dict[str, Any] = {}
        self.pool: OwnPool | None = None  # calendars of earlier runs to reuse, and the bound

    @property
    def group_id(self) -> int:
        return self.identity.group_id

    @property
    def concurrency(self) -> int:
        return max(1, int(self.options.concurrency or 1))

    @property
    def read_only(self) -> bool:
        return bool(self.options.read_only)

    def side_by_side(self, reads: Sequence[Callable[[], T]], *, writes: bool = False) -> list[T]:
        """Each of `reads` (independent: none writes, unless `writes`), in order; up to
        --concurrency at once (the transport's lanes bound them with every other thread's, a
        schemathesis engine's too), inside this thread's hold of the group when it holds it
        alone (a write's guard; `writes` needs that hold: unchanged.refused_together)."""
        caller = threading.get_ident()

        def counted(read: Callable[[], T]) -> Callable[[], tuple[T, int]]:
            def run() -> tuple[T, int]:  # the `expect`s a read states elsewhere count as the caller's
                if threading.get_ident() == caller:
                    return read(), 0
                before = self.checks_run
                return read(), self.checks_run - before
            return run

        jobs = [counted(read) for read in reads]
        if writes and not self.gate.held_alone():
            raise RuntimeError("writes side by side only inside a hold of the group alone")
        if self.gate.held_alone():
            jobs = self.gate.lend(jobs, writes=writes)
        elif self.gate.held_shared():  # a login's guard
            jobs = self.gate.lend_shared(jobs)
        done = schedule.run_all(jobs, self.concurrency, side_by_side=True)
        self._local.checks = self.checks_run + sum(checks for _, checks in done)
        return [value for value, _ in done]

    def applies(self, rule_id: str) -> bool:
        return rule_id in self.active_rules

    # -- stating what must hold ---------------------------------------------------------------------
    def expect(
        self,
        condition: Any,
        message: str,
        *,
        expected: str = "",
        actual: str = "",
        exchange: Exchange | None = None,
        operation: str = "",
        rule: str | None = None,
    ) -> None:
        """`rule`: the rule a failure breaks, when it is not the check's own."""
        self._local.checks = self.checks_run + 1
        if not condition:
            if exchange is not None and not actual:
                actual = exchange.summary()
            raise CheckFailed(
                message, expected=expected, actual=actual, exchange=exchange, operation=operation, rule=rule
            )

    def expect_status(self, exchange: Exchange, *statuses: int, what: str = "") -> Exchange:
        wanted = " or ".join(str(s) for s in statuses)
        self.expect(
            exchange.status in statuses,
            what or f"{exchange.operation} answers {wanted}",
            expected=f"status {wanted}",
            exchange=exchange,
        )
        return exchange

    def expect_2xx(self, exchange: Exchange, what: str = "") -> Exchange:
        self.expect(
            200 <= exchange.status < 300,
            what or f"{exchange.operation} succeeds",
            expected="a 2xx status",
            exchange=exchange,
        )
        return exchange

    def expect_session_cookie(self, login: Exchange) -> str:
        """`_session_id=<token>`, set by one of the login's Set-Cookie headers (any of them)."""
        cookie = login.session_cookie()
        self.expect(
            cookie is not None,
            "login sets the _session_id cookie",
            expected="a Set-Cookie header _session_id=<token>",
            actual=f"Set-Cookie: {login.header_values('set-cookie')!r}",
            exchange=login,
        )
        return cookie

    def expect_json_when_said(self, exchange: Exchange) -> None:
        """An answer whose Content-Type says JSON is JSON (all CONTRACT.md fixes of an error body)."""
        if "json" in exchange.content_type and exchange.content.strip():
            self.expect(
                exchange.is_json(),
                "an answer that says it is JSON is JSON",
                expected="a JSON body",
                actual=exchange.typed_summary(),
                exchange=exchange,
            )

    def json_object(self, exchange: Exchange, what: str = "") -> dict[str, Any]:
        body = exchange.json()
        problem = exchange.json_problem() if body is None and exchange.content.strip() else ""
        self.expect(
            isinstance(body, dict),
            what or "the answer is a JSON object",
            expected="a JSON object",
            actual=f"{exchange.status}, not JSON ({problem}): {exchange.body_text(120)}" if problem else "",
            exchange=exchange,
        )
        return body

    def deleted(self, record: dict[str, Any]) -> bool | None:
        """The record's soft-delete flag. A deployment answering 0/1 keeps the documented
        contract; at strict level (JSON booleans are ours, show.assumed-representation) 0/1
        fails that rule, whichever check meets it."""
        flag = deleted_flag(record, booleans_only=False)
        if self.applies("show.assumed-representation") and flag is not None \
                and not isinstance(record.get("deleted"), bool):
            raise CheckFailed("`deleted` is a JSON boolean", expected="deleted true or false",
                              actual=f"deleted {record.get('deleted')!r}", rule="show.assumed-representation")
        return flag

    def contract_fields(self, calendar: dict[str, Any]) -> dict[str, Any]:
        """The contract's fields of a calendar, `deleted` read as this level allows: what two
        answers must agree on (a deployment's own extra fields may differ, or change)."""
        fields = {key: calendar[key] for key in CALENDAR_FIELDS if key in calendar}
        if "deleted" in fields:
            flag = self.deleted(calendar)
            fields["deleted"] = calendar["deleted"] if flag is None else flag
        return fields

    def differences(self, wanted: dict[str, Any], got: dict[str, Any],
                    ignore: Iterable[str] = ()) -> dict[str, tuple[Any, Any]]:
        """(wanted, got) for each contract field of `wanted` that `got` answers otherwise."""
        wanted, got = self.contract_fields(wanted), self.contract_fields(got)
        return {key: (value, got.get(key, "<missing>")) for key, value in wanted.items()
                if key not in ignore and got.get(key, "<missing>") != value}

    def expect_value(self, body: dict[str, Any], key: str, wanted: Any, message: str,
                     exchange: Exchange) -> None:
        """`body[key]` equals `wanted`."""
        self.expect(
            body.get(key) == wanted,
            message,
            expected=f"{key} {wanted}",
            actual=f"{key} {body.get(key)}",
            exchange=exchange,
        )

    def expect_deleted(self, exchange: Exchange, flag: bool, message: str) -> dict[str, Any]:
        """The calendar `exchange` answered shows `deleted` as `flag`; returns that calendar."""
        body = self.calendar_body(exchange)
        self.expect(
            self.deleted(body) is flag,
            message,
            expected=f"deleted {str(flag).lower()}",
            actual=f"deleted {body.get('deleted')!r}",
            exchange=exchange,
        )
        return body

    def calendar_body(self, exchange: Exchange, what: str = "") -> dict[str, Any]:
        body = self.json_object(exchange, what)
        self.expect(
            isinstance(body.get("id"), int),
            what or "the answer is a bare calendar with an id",
            expected="a bare calendar object with an integer id",
            exchange=exchange,
        )
        return body

    # -- reading ------------------------------------------------------------------------------------
    def list_page(
        self, params: Any = None, *, api: Api | None = None, group: Any = None, **kw: Any
    ) -> tuple[dict[str, Any], Exchange]:
        exchange = (api or self.api).list(params, group=group, **kw)
        self.expect_status(exchange, 200)
        return self.list_envelope(exchange), exchange

    def list_pages(self, asked: Sequence[Any]) -> list[tuple[dict[str, Any], Exchange]]:
        """`list_page` of each of `asked`, read side by side and judged in order in this thread."""
        pages = []
        for exchange in self.side_by_side([functools.partial(self.api.list, params) for params in asked]):
            self.expect_status(exchange, 200)
            pages.append((self.list_envelope(exchange), exchange))
        return pages

    def list_envelope(self, exchange: Exchange) -> dict[str, Any]:
        """The list's envelope: records of calendars with integer ids, an integer totalRecords."""
        body = self.json_object(exchange)
        self.expect(
            isinstance(body.get("records"), list),
            "the list answers an envelope with records",
            expected="`records` is an array",
            exchange=exchange,
        )
        self.expect(
            all(isinstance(r, dict) and isinstance(r.get("id"), int) for r in body["records"]),
            "every listed record is an object with an integer id",
            expected="records of calendars",
            exchange=exchange,
        )
        return body

    def records(
        self, params: Any = None, *, api: Api | None = None, group: Any = None, **kw: Any
    ) -> list[dict[str, Any]]:
        """Every record the list answers for `params`: the `results=all` page, and when the
        deployment caps its pages (CONTRACT.md allows it), the pages after it, read in id order
        unless `params` sort, with `startIndex` read as the deployment reads it."""
        return self.records_and_total(params, api=api, group=group, **kw)[0]

    def records_and_total(
        self, params: Any = None, *, api: Api | None = None, group: Any = None, **kw: Any
    ) -> tuple[list[dict[str, Any]], Any]:
        """`records(params)` and the `totalRecords` its `results=all` page answered (its first
        page's, when the deployment caps its pages)."""
        pairs = list(params.items()) if isinstance(params, dict) else list(params or [])
        body, _ = self.list_page([*pairs, ("results", "all")], api=api, group=group, **kw)
        records, total = body["records"], body.get("totalRecords")
        if not isinstance(total, int) or len(records) >= total or not records:
            return records, total
        ordered = pairs if any(key == "sort" for key, _ in pairs) else [*pairs, ("sort", "id")]
        size = len(records)
        collected: list[dict[str, Any]] = []
        # Pages of one state (a generated write beside them waits: CheckThreads.listing), so
        # none is skipped or read twice; the total is the first page's.
        with self.listing_still():
            reading = self.paging_reading()

            def page(number: int) -> tuple[dict[str, Any], Exchange]:
                start = number * size if reading == "items" else number
                return self.list_page([*ordered, ("results", size), ("startIndex", start)],
                                      api=api, group=group, **kw)

            # The pages the first answer's total calls for, side by side (a large group behind
            # capped pages is many round trips per snapshot), in an engine's thread too: while
            # they are read, the other engines' writes wait. A batch at a time, so that a total no
            # page bears out (an empty or short page) costs one batch, not the total's pages; and
            # never past MAX_PAGES, whatever the total says. Should the first page's own total be
            # larger, one page more at a time, bounded by one past that total.
            batch = max(2 * self.concurrency, 4)
            number, last = 0, -(-total // size)
            seen: set[Any] = set()
            while number < min(last + 1, MAX_PAGES):
                if number > last - 1 and number > 0:
                    wanted = [number]  # one past the total: a record added meanwhile
                else:
                    wanted = list(range(number, min(last, number + batch, MAX_PAGES)))
                pages = self.side_by_side([functools.partial(page, n) for n in wanted])
                if number == 0 and isinstance(pages[0][0].get("totalRecords"), int):
                    total = pages[0][0]["totalRecords"]
                    last = -(-total // size)
                for body, exchange in pages:
                    self._local.last = exchange  # this thread's last exchange, as when read one by one
                    ids = {record["id"] for record in body["records"]}
                    collected.extend(body["records"])
                    # an empty page ends the list; a page of ids already read says startIndex is
                    # not paging (list.paging judges what was read)
                    if not ids or ids <= seen or len(collected) >= total:
                        return collected, total
                    seen |= ids
                number += len(wanted)
            if number >= MAX_PAGES:
                raise CheckFailed(
                    f"the list answers pages of {size} and totalRecords {total}: the suite reads at most "
                    f"{MAX_PAGES} pages for one list, and these were all full",
                    expected=f"at most {MAX_PAGES * size} records, or pages that end",
                    actual=f"{len(collected)} records in {number} full pages", exchange=self._local.last)
        return collected, total

    def paging_reading(self) -> str:
        """How the deployment reads `startIndex`: "items" (an offset) or "pages" (a page number),
        learnt once per run from the first ids in id order (CONTRACT.md leaves it open; a
        deployment must hold one reading throughout, which list.paging checks). Pages of one
        record read the same either way, so the first ids are read with those."""
        with self.listing_still():  # the first ids of one state
            return self._paging_reading()

    def _paging_reading(self) -> str:
        if "paging-reading" not in self.cache:
            first = []
            for start in range(4):
                body, _ = self.list_page([("sort", "id"), ("results", 1), ("startIndex", start)])
                first += [record["id"] for record in body["records"][:1]]
            body, exchange = self.list_page([("sort", "id"), ("results", 2), ("startIndex", 1)])
            probe = [record["id"] for record in body["records"]]
            readings = {"items": first[1:3], "pages": first[2:4]}
            found = [reading for reading, ids in readings.items() if probe == ids]
            self.cache["paging-reading"] = found[0] if found else "items"
            self.cache["paging-probe"] = (probe, readings, exchange)
        return self.cache["paging-reading"]

    def record_ids(self, params: Any = None, **kw: Any) -> list[int]:
        return [record["id"] for record in self.records(params, **kw)]

    def show_body(self, calendar_id: int, *, api: Api | None = None, group: Any = None) -> dict[str, Any]:
        exchange = (api or self.api).show(calendar_id, group=group)
        self.expect_status(exchange, 200)
        return self.calendar_body(exchange)

    # -- our own calendars --------------------------------------------------------------------------
    def name(self, label: str, number: int | None = None) -> str:
        return f"{self.prefix}-{label}-{self._number() if number is None else number}"

    def require_writes(self) -> None:
        if self.read_only:
            raise Skip("--read-only: no writes", why=READ_ONLY)

    def require_served(self, *operations: str) -> None:
        """Skip a check of a resource beyond the Calendar one that this deployment does not serve."""
        for operation in operations:
            if operation in self.unserved:
                raise Skip(self.unserved[operation], why=NOT_SERVED)

    def new_calendar(
        self, label: str, fields: dict[str, Any] | None = None, *, api: Api | None = None, group: Any = None
    ) -> dict[str, Any]:
        """Create a calendar of ours (name `contract-kit-<run>-<label>-n`) and return it as shown."""
        self.require_writes()
        api = api or self.api
        values = {"name": self.name(label), **(fields or {})}
        reused = self.pool.take(api.group_id) if self.pool is not None and group is None else None
        if reused is not None:  # one of an earlier run's calendars, back to a known state
            with self.must_succeed():
                exchange = api.update(reused, {**KNOWN_STATE, **values, "deleted": False})
            self.expect_2xx(exchange, "restoring one of the suite's calendars of an earlier run succeeds")
            self.remember_created(reused, api, name=values["name"])
            return self.calendar_body(exchange)
        with self.must_succeed():
            exchange = self.create_own(values, api=api, group=group)
        self.expect_2xx(exchange, "creating a calendar for the suite succeeds")
        body = self.calendar_body(exchange)
        return body

    def create_own(self, fields: Any, *, api: Api | None = None, group: Any = None, **kw: Any) -> Exchange:
        """POST a calendar that should be created, if the footprint bound allows one more
        (footprint.py); else the check is skipped, not the bound crossed."""
        api = api or self.api
        target = api.group_id if group is None else group
        if self.pool is not None and group is None:
            self.pool.recount(target, self.records(api=api), self.run_id)
        if self.pool is not None and not self.pool.reserve(target):
            raise Skip(f"--max-own-calendars {self.pool.bound}: the suite has created that many calendars "
                       f"in group {target} over its runs, so it creates no more", why=FOOTPRINT)
        try:
            return api.create(fields, group=group, **kw)
        finally:
            if self.pool is not None:
                self.pool.settle(target)

    def _observe(self, api: Api, exchange: Exchange) -> None:
        """Whatever a POST of ours created (even one that should have been refused) is ours to
        clean up at the end."""
        self._local.last = exchange
        if exchange.method in ("PUT", "DELETE") and 200 <= exchange.status < 300:
            found = path_values("getCalendar", exchange.path)
            if found and found["calendar_id"].isdigit():
                self.changed_at[int(found["calendar_id"])] = time.monotonic()
        if exchange.method != "POST" or not 200 <= exchange.status < 300:
            return
        found = path_values("listCalendars", exchange.path)
        body = exchange.json()
        if found and isinstance(body, dict) and isinstance(body.get("id"), int):
            group = int(found["group_id"]) if found["group_id"].isdigit() else api.group_id
            self.remember_created(body["id"], api, group, name=body.get("name"))

    def remember_created(self, calendar_id: int, api: Api | None = None, group: Any = None,
                         name: Any = None) -> None:
        api = api or self.api
        target = self.other_created if api is self.other_api else self.created
        with self._lock:
            fresh = calendar_id not in target
            target[calendar_id] = int(group if group is not None else api.group_id)
            if isinstance(name, str):
                self.created_names.setdefault(calendar_id, name)
            self.changed_at[calendar_id] = time.monotonic()
        if fresh and self.pool is not None:
            self.pool.created(target[calendar_id], calendar_id)

    def created_ids(self, group_id: int | None = None) -> list[int]:
        """The calendars the main identity created (in `group_id` only, when given), in the order
        of the names they were created with - which a check gives by its place in the schedule
        (schedule.py), where the ids a deployment gives depend on which check got there first, so
        whatever picks among them (the engines' targets) picks the same at any concurrency; those
        of no known name last, by id. Read under the lock that `remember_created` writes them
        under, which engines and rules side by side call at any moment (iterating the dict itself
        failed a run at --concurrency 4)."""
        with self._lock:
            ids = [cid for cid, group in self.created.items() if group_id is None or group == group_id]
            names = self.created_names
            return sorted(ids, key=lambda cid: (cid not in names, names.get(cid, ""), cid))

    def own_calendar(self, key: str = "main", fields: dict[str, Any] | None = None) -> dict[str, Any]:
        """A calendar of ours shared by read-mostly checks (created once per run)."""
        return self.shared_once(_own_key(key), lambda: self.new_calendar(key, fields))

    def settled_ids(self) -> set[int]:
        """Calendars no check moves while the rules run side by side: the group's before the run
        and the readers' own calendar. Other checks change theirs at moments that depend on
        --concurrency, so a finding about them would too."""
        readers = self.cache.get(_own_key())
        return {record["id"] for record in self.baseline} | ({readers["id"]} if readers else set())

    def some_calendar_id(self) -> int:
        """A calendar of the group to read: the first one listed, else one of ours."""
        if self.baseline:
            return self.baseline[0]["id"]
        if self.read_only:
            raise Skip("the group has no calendar to read and --read-only forbids creating one",
                       why=READ_ONLY)
        return self.own_calendar()["id"]

    def full_fields(self, label: str) -> dict[str, Any]:
        """Every writable field of the spec with a valid value that differs from its default;
        `calendarset_id` one the group has (when discovery found one), `deleted` left alone."""
        number = self._number()
        name = self.name(label, number)
        fields = {field: sample_value(schema, f"{label} {field}", 5 + number % 1000)
                  for field, schema in WRITABLE_FIELDS.items()
                  if field not in ("group_id", "calendarset_id", "deleted")}
        fields["name"] = name
        if self.calendarsets:
            fields["calendarset_id"] = self.calendarsets[0]
        return fields

    def wait_after_change(self, calendar_id: int, seconds: float = 1.05) -> None:
        """Sleep until `seconds` have passed since our last change of `calendar_id` (timestamps have
        one-second resolution)."""
        last = self.changed_at.get(calendar_id)
        if last is not None:
            remaining = seconds - (time.monotonic() - last)
            if remaining > 0:
                time.sleep(remaining)

    def touched(self, calendar_id: int) -> None:
        self.changed_at[calendar_id] = time.monotonic()
