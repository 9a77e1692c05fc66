"""`run_suite(SuiteOptions(...)) -> SuiteResult`: the whole contract run, for the CLI and for tests.

    from contract_tests.runner import SuiteOptions, run_suite
    result = run_suite(SuiteOptions(app=create_app(), apikey=..., user=..., password=..., group_id=4))
    assert result.passed, result.summary()

`app=` tests a WSGI app in-process; `base_url=` a real server over HTTP; neither starts the
kit's mock in-process with the demo credentials (and the demo's second user for isolation).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
import time
import traceback
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import calendar_spec

from . import baseline, profile_level, report, report_files, report_html, schedule
from .checks import ALL as ALL_CHECKS
from .client import Api
from .context import SuiteContext
from .discovery import discover
from .footprint import FREE_PREFIX, OwnPool, claim_free, claim_name
from .http import (
    BadBaseUrl,
    HttpTransport,
    Transport,
    Unreachable,
    UnusableAnswer,
    WsgiTransport,
    check_base_url,
)
from .model import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_OWN_CALENDARS,
    DEMO,
    LAYERS,
    NO_DATA,
    NOT_AT_LEVEL,
    READ_ONLY,
    RUN_STOPPED,
    CheckFailed,
    Failure,
    Outcome,
    Skip,
    SuiteOptions,
    SuiteUsageError,
)
from .others import others_write, unjudged
from .pacing import PacedTransport, RateLimiter, StayedBusy
from .progress import Progress
from .registry import RuleCheck, rule_tag
from .report import SuiteResult
from .schemathesis_layers import plan as engine_plan
from .schemathesis_layers import second_process
from .stopping import RunInterrupted
from .unchanged import guard_refusals

DEFAULT_MAX_EXAMPLES = 50
MAX_TIMEOUT_S = 600.0


def resolve_options(options: SuiteOptions) -> SuiteOptions:
    """Fill the demo defaults when the suite starts the mock itself; refuse incomplete options."""
    view, profile = profile_level.split_level(options.level)
    if view not in calendar_spec.LEVELS:
        raise SuiteUsageError(f"--level must be one of {', '.join(calendar_spec.LEVELS)} or profile:FILE")
    if profile is not None or options.profile is not None:
        options = SuiteOptions(**dict(options.__dict__, level=view, profile=profile or options.profile))
    layers = tuple(options.layers) if options.layers else LAYERS
    unknown = [layer for layer in layers if layer not in LAYERS]
    if unknown:
        raise SuiteUsageError(f"unknown layer(s) {unknown}; choose from {', '.join(LAYERS)}")
    values = dict(options.__dict__, layers=layers)
    if options.base_url and options.app is not None:
        raise SuiteUsageError("give either base_url (real HTTP) or app (in-process), not both")
    if options.base_url:
        try:
            check_base_url(options.base_url)
        except BadBaseUrl as error:
            raise SuiteUsageError(str(error)) from None
    if options.base_url and urlsplit(options.base_url).path.rstrip("/").endswith("/api/v1"):
        raise SuiteUsageError(f"--base-url {options.base_url}: give the server's root (e.g. "
                              "https://sandbox.clicrdv.com); every path the suite sends starts with /api/v1")
    if options.base_url is None and options.app is None:
        from mock_server import create_app

        values["app"] = create_app()
        for key, value in DEMO.items():
            if values.get(key) is None:
                values[key] = value
    missing = [key for key in ("apikey", "user", "password", "group_id") if values.get(key) in (None, "")]
    if missing:
        raise SuiteUsageError(f"missing option(s): {', '.join('--' + m.replace('_', '-') for m in missing)}")
    try:
        values["group_id"] = int(values["group_id"])
        if values.get("other_group_id") is not None:
            values["other_group_id"] = int(values["other_group_id"])
    except (TypeError, ValueError):
        raise SuiteUsageError("--group-id and --other-group-id must be integers") from None
    for key in ("group_id", "other_group_id"):
        if values.get(key) is not None and not 1 <= values[key] < 2**63:
            raise SuiteUsageError(f"--{key.replace('_', '-')} {values[key]}: group ids are positive integers")
    if values.get("other_group_id") is not None and (
            values["other_group_id"] == values["group_id"] or values.get("other_user") == values["user"]):
        # the isolation rules would read a group the user may access as "another group's"
        raise SuiteUsageError("--other-user and --other-group-id name a second identity: another user, "
                              "in a group the first cannot access (not --user or --group-id again)")
    if values.get("max_examples") is None:
        values["max_examples"] = DEFAULT_MAX_EXAMPLES
    if int(values["max_examples"]) < 1:
        raise SuiteUsageError("--max-examples must be 1 or more")
    if values.get("concurrency") is None:
        # In-process, no request waits on a network: threads would only take turns at the GIL
        # (benchmarks/RESULTS.md, 0 ms: 61 s at 1, 71 s at 8).
        values["concurrency"] = DEFAULT_CONCURRENCY if values.get("base_url") else 1
    if int(values["concurrency"]) < 1 or (values.get("max_rate") is not None and not values["max_rate"] > 0):
        raise SuiteUsageError("--concurrency must be 1 or more, --max-rate more than 0")
    if not 0 < float(values["timeout"]) <= MAX_TIMEOUT_S:
        raise SuiteUsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT_S:g} seconds")
    if values.get("max_own_calendars") is None and values.get("base_url"):
        values["max_own_calendars"] = DEFAULT_MAX_OWN_CALENDARS
    if values.get("max_own_calendars") is not None and int(values["max_own_calendars"]) < 0:
        raise SuiteUsageError("--max-own-calendars must be 0 (no bound) or more")
    if values.get("max_own_calendars") == 0:
        values["max_own_calendars"] = None
    for key, option in (("junit_xml", "--junit-xml"), ("json_report", "--json"), ("html_report", "--html")):
        if values.get(key):
            _check_writable(Path(values[key]), option)
    return SuiteOptions(**values)


def _check_writable(path: Path, option: str) -> None:
    """A report that could not be written would be lost after the whole run (and its writes to
    the group): refuse its path first. The directories are made as the report's writer makes them."""
    if path.is_dir():
        raise SuiteUsageError(f"{option} {path}: a directory, not a file")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        raise SuiteUsageError(f"{option} {path}: cannot be written ({error.strerror or error})") from None
    if not existed:
        path.unlink(missing_ok=True)


def make_transport(options: SuiteOptions) -> PacedTransport:
    """The suite's own client: keep-alive connections for every request in flight (at most
    --concurrency), behind the run's rate limit (--max-rate) and the back-off from 429/503 (pacing.py)."""
    concurrency = int(options.concurrency or 1)
    if options.app is not None:
        inner: Transport = WsgiTransport(options.app)
    else:
        inner = HttpTransport(str(options.base_url), timeout=float(options.timeout), pool_size=concurrency)
    return PacedTransport(inner, RateLimiter(options.max_rate), in_flight=concurrency)


def run_suite(options: SuiteOptions) -> SuiteResult:
    """Run the selected layers; raises SuiteUsageError for bad options or an unreachable server."""
    started = time.monotonic()
    options = resolve_options(options)
    transport = make_transport(options)
    target = options.base_url or "in-process WSGI app"
    result = SuiteResult(level=options.level, read_only=options.read_only, target=target,
                         layers=tuple(options.layers))
    progress = Progress(options.quiet, options.stream, options.progress)
    ctx = SuiteContext(options, transport)
    result.held_rules = frozenset(ctx.active_rules)
    progress.line(
        f"calendar contract suite: level {options.level}, target {target}, run "
        f"{ctx.run_id}{' (read-only)' if options.read_only else ''}"
    )
    interrupted: KeyboardInterrupt | None = None
    try:
        try:
            result.notes.extend(discover(ctx))
        except CheckFailed as failed:
            redirect = _redirect(failed)
            if redirect:  # a base URL to correct, not a contract to judge: no verdict, the reports written
                result.stopped, result.stopped_why = redirect, RUN_STOPPED
                result.notes.append(redirect)
                raise _Stop from None
            rule_id = _discovery_rule(failed)
            outcome = Outcome("semantic", rule_id, status="failed", rules={rule_id})
            outcome.failures.append(_failure(rule_id, "semantic", failed))
            result.outcomes.append(outcome)
            result.stopped = (f"discovery failed ({rule_id}): the group's calendars could not be read, "
                              "so nothing else was checked")
            result.notes.append(result.stopped)
            progress.outcome(outcome)
        else:
            _run_checks(ctx, options, result, progress)
    except _Stop:
        pass
    except KeyboardInterrupt as interruption:
        # Ctrl-C, or the SIGTERM of a CI job's timeout (the CLI makes it one): cleaned up and
        # reported as a stop without a verdict, then raised again. Every other thread of the run
        # stops at its next request or wait; only the clean-up still sends (stopping.py).
        transport.stop.stop()
        interrupted = interruption
        result.stopped = "the run was interrupted (Ctrl-C or SIGTERM) before its end"
        result.stopped_why = RUN_STOPPED
        result.notes.append(f"{result.stopped}; the rules not checked by then are reported not checked")
    except Unreachable as error:
        # No verdict, but CI still gets its reports: what was checked until then, and why the
        # rest was not (the run then raises SuiteUsageError).
        if isinstance(error, StayedBusy):
            result.stopped = str(error)
        elif isinstance(error, UnusableAnswer):
            result.stopped = f"the server's answer could not be used: {error}"
        else:
            result.stopped = f"the server {'stopped answering' if ctx.journal else 'is unreachable'}: {error}"
        result.stopped_why = RUN_STOPPED
        result.notes.append(f"{result.stopped}; the rules not checked by then are reported not checked")
    finally:
        guard_refusals(ctx, False)
        try:
            def clean_up() -> list[str]:
                return _clean_up(ctx) + (ctx.pool.notes() if ctx.pool is not None else [])

            # After a stop: bounded in time, in a thread of its own (pacing.PacedTransport.after_stop).
            result.notes.extend(transport.after_stop(ctx.gate, clean_up) if interrupted else clean_up())
        except RunInterrupted as error:
            result.notes.append(f"clean-up cut short ({error}): the calendars it did not reach are left "
                                "as they are")
        except Unreachable as error:
            result.notes.append(f"clean-up skipped: the server "
                                f"{'stayed busy' if isinstance(error, StayedBusy) else 'is unreachable'}")
        if interrupted is None:  # else a lock the interruption left taken in a pool could hold the exit
            transport.close()
        busy = transport.note()
        if busy:
            result.notes.append(busy)
        result.requests = len(ctx.journal)
        result.seconds = time.monotonic() - started
    baseline.apply(result, options.baseline, options.update_baseline)
    if options.junit_xml:
        report_files.write_junit(result, options.junit_xml)
    if options.json_report:
        report_files.write_json(result, options.json_report)
    if options.html_report:
        report_html.write_html(result, options.html_report)
    progress.summary(report.summary(result))
    if interrupted is not None:
        raise interrupted
    if result.cut_short:
        raise SuiteUsageError(f"{result.stopped} (the reports say what was checked before)")
    return result


def _run_checks(ctx: SuiteContext, options: SuiteOptions, result: SuiteResult, progress: Progress) -> None:
    """Every selected layer, once discovery has read the group."""
    for note in result.notes:
        progress.line(f"  {note}")
    if options.read_only:
        result.notes.append(
            "--read-only: write operations and the rules that need writes were "
            "skipped; only GET requests (and session logins) were sent"
        )
    if not options.read_only and options.max_own_calendars is not None:
        _load_pool(ctx)
    rule_layers = [layer for layer in ("semantic", "auth") if layer in options.layers]
    engine_layers = [layer for layer in ("conformance", "stateful") if layer in options.layers]
    guard_refusals(ctx, True)
    if not options.read_only and (rule_layers or engine_layers):
        # The calendar the rules' readers read, made before they run side by side (no write among
        # them), and one the engines' generated paths name (their plan is fixed next); if that
        # fails, each check that needs it tries again and fails in its own outcome.
        with contextlib.suppress(CheckFailed, Skip):
            ctx.own_calendar()
    plan = engine_plan.plan_engines(ctx, engine_layers) if engine_layers else None
    reads = second_process.start(ctx, plan) if plan is not None else None  # its runs start now
    try:
        engines_imported = _import_engines_meanwhile() if engine_layers else None  # after the fork
        _run_rule_layers(ctx, rule_layers, result, progress)
        if engines_imported is not None:
            engines_imported.join()
        guard_refusals(ctx, False)
        if options.profile is not None:
            left_out = sorted(profile_level.rules_answered_otherwise(options.profile))
            result.notes.append(
                f"--level profile:{options.profile.name}: every question it answers is probed; "
                + (f"rules it answers otherwise, left out: {', '.join(left_out)}" if left_out
                   else "it keeps every assumption (strict view)"))
        if plan is not None:
            _run_engine_layers(ctx, plan, reads, result, progress)
    finally:
        if reads is not None:  # a stop, or a server gone, during the rules: its requests too
            reads.end()
    if options.profile is not None and profile_level.LAYER in options.layers:
        progress.layer(profile_level.LAYER)
        for outcome in profile_level.check(options, options.profile, ctx.run_id):
            result.outcomes.append(outcome)
            progress.outcome(outcome)


def _run_engine_layers(ctx: SuiteContext, plan: engine_plan.Plan, reads: second_process.Reads | None,
                       result: SuiteResult, progress: Progress) -> None:
    from .schemathesis_layers import run as schemathesis_layers  # schemathesis: 0.5 s

    progress.layer(plan.layers[0])
    outcomes = list(schemathesis_layers.run_layers(ctx, plan, result, on_cases=progress.cases, reads=reads))
    for outcome in outcomes:
        result.outcomes.append(outcome)
        progress.outcome(outcome)
    if any(failure.rule_id == "suite.error" for outcome in outcomes for failure in outcome.failures):
        # Cases schemathesis could not send: a server gone for good (a redeploy) leaves the
        # run without a verdict, as in the rules' layers (Unreachable); one back is judged.
        ctx.api.list([("results", 1)])


def _import_engines_meanwhile() -> threading.Thread:
    """schemathesis, Hypothesis and the engine layers imported in a thread while the rule layers
    wait on the network (0.7 s of CPU that the engine layers waited for after them). Joined
    before the engine layers start: no import is under way when they start their threads, or fork."""
    def import_engines() -> None:
        with contextlib.suppress(Exception):  # an import that fails here fails again, and says so, there
            from .schemathesis_layers import engines, run  # noqa: F401

            engines.import_ahead()

    thread = threading.Thread(target=import_engines, name="contract-engines-import", daemon=True)
    thread.start()
    return thread


def _load_pool(ctx: SuiteContext) -> None:
    """The suite's calendars of earlier runs, in each group it may create in, claimed for this
    run (footprint.py). The lists are read just before the claim: a run that began meanwhile has
    named what it holds."""
    ctx.pool = OwnPool(int(ctx.options.max_own_calendars))
    try:
        ctx.pool.load(ctx.group_id, ctx.records(), ctx.run_id)
    except CheckFailed:
        ctx.pool.load(ctx.group_id, ctx.baseline, ctx.run_id)
    claims = [ctx.api]
    if ctx.other_api is not None:
        with contextlib.suppress(CheckFailed):
            ctx.pool.load(ctx.other_api.group_id, ctx.records(api=ctx.other_api), ctx.run_id)
            claims.append(ctx.other_api)
    with contextlib.suppress(CheckFailed):
        _claim(ctx, claims)


def _claim(ctx: SuiteContext, apis: list[Api]) -> None:
    """Name every free calendar of ours after this run, side by side, wait, and keep those that
    still bear the name (footprint.claim_free): a run that started at the same moment and
    claimed one after us has it."""
    assert ctx.pool is not None
    api_of = {api.group_id: api for api in apis}

    def rename(wanted: list[tuple[int, int]]) -> None:
        claims = [functools.partial(api_of[group].update, calendar_id,
                                    {"name": claim_name(ctx.prefix, calendar_id)})
                  for group, calendar_id in wanted]
        with ctx.gate.opened():  # before any rule: nothing compares the group yet
            schedule.run_all(claims, ctx.concurrency, side_by_side=True)

    claim_free(ctx.pool, ctx.prefix, list(api_of), rename, lambda group: ctx.records(api=api_of[group]))


def _claimed_unused(ctx: SuiteContext, api: Api) -> dict[int, int]:
    """Calendars this run claimed and never used: let go of with the rest."""
    return {calendar_id: api.group_id for calendar_id in ctx.pool.free_ids(api.group_id)} if ctx.pool else {}


class _Stop(Exception):
    """The run ends here without a verdict, `result.stopped` saying why."""


def _redirect(failed: CheckFailed) -> str:
    """The API answers no redirect: a first read redirected is a base URL to correct (http for
    https, a host that moved), not a contract to judge; what to say, or "" for no redirect."""
    exchange = failed.exchange
    if exchange is None or not 300 <= exchange.status < 400 or not exchange.headers.get("location"):
        return ""
    location = urljoin(exchange.url, exchange.headers["location"]).split("?")[0]
    if location == exchange.url.split("?")[0]:
        return (f"{exchange.base_url} redirects ({exchange.status}) to the same URL: a redirect loop, "
                "no answer to judge")
    return (f"{exchange.base_url} redirects ({exchange.status}) to {location}: give the base URL it "
            "redirects to as --base-url")


def _discovery_rule(failed: CheckFailed) -> str:
    """The rule a failed discovery broke: credentials refused, `results=all` refused, or an
    answer that is not the list's envelope."""
    status = failed.exchange.status if failed.exchange is not None else None
    if status in (401, 403):
        return "auth.apikey-query"
    if status == 400 and "results=all" in (failed.exchange.query if failed.exchange else ""):
        return "list.paging"
    return "list.envelope"


def _failure(rule_id: str, layer: str, failed: CheckFailed) -> Failure:
    return Failure(
        rule_id=rule_id,
        tag=rule_tag(rule_id),
        layer=layer,
        operation=failed.operation,
        message=failed.message,
        curl=failed.exchange.curl() if failed.exchange is not None else "",
        expected=failed.expected,
        actual=failed.actual,
    )


def _run_rule_layers(ctx: SuiteContext, layers: list[str], result: SuiteResult, progress: Progress) -> None:
    """Every rule check of `layers`, grouped by rule id, phase after phase (schedule.py), up to
    --concurrency rules at once; outcomes reported in the registry's order."""
    grouped: dict[tuple[str, str], list[RuleCheck]] = {}
    for check in ALL_CHECKS:
        if check.layer in layers:
            grouped.setdefault((check.layer, check.rule_id), []).append(check)
    keys = sorted(grouped, key=lambda key: (any(c.final for c in grouped[key]), layers.index(key[0])))
    slots = {key: number for number, key in enumerate(keys, 1)}
    outcomes: dict[tuple[str, str], Outcome] = {}
    current = None
    plan = list(schedule.phases(grouped, keys))
    # A bar per run of one layer's rules, in the order their outcomes come.
    runs = [(layer, len(list(run))) for layer, run in itertools.groupby(
        (key for _, phase in plan for key in phase), key=lambda key: key[0])]
    try:
        for side_by_side, phase in plan:
            jobs = [functools.partial(_run_in_slot, ctx, key, grouped[key], slots[key]) for key in phase]
            done = schedule.run_all(jobs, ctx.concurrency, side_by_side)
            for key, outcome in zip(phase, done, strict=True):
                outcomes[key] = outcome
                if key[0] != current:
                    current, total = runs.pop(0)
                    progress.layer(current, total=total)
                progress.outcome(outcome)
    finally:  # a server that stopped answering: the phases that ended are still reported
        result.outcomes.extend(outcomes[key] for key in keys if key in outcomes)


def _run_in_slot(ctx: SuiteContext, key: tuple[str, str], checks: list[RuleCheck], slot: int) -> Outcome:
    ctx.start_check(slot)
    return _run_rule(ctx, key[0], key[1], checks)


def _run_rule(ctx: SuiteContext, layer: str, rule_id: str, checks: list[RuleCheck]) -> Outcome:
    outcome = Outcome(layer, rule_id, rules={rule_id})
    started = time.monotonic()
    if not ctx.applies(rule_id):
        outcome.status, outcome.why = "skipped", NOT_AT_LEVEL
        outcome.reason = f"{rule_tag(rule_id)} rule, not part of --level {ctx.level}"
        return outcome
    ran, reasons = 0, []  # reasons: (why, what) of each check that did not run
    for check in checks:
        if check.writes and ctx.read_only:
            reasons.append((READ_ONLY, "needs writes (--read-only)"))
            continue
        failure, skipped = _attempt(ctx, layer, rule_id, check, outcome)
        if skipped is not None:
            reasons.append(skipped)
            continue
        ran += 1
        if failure is not None and check.retry:
            # Shared data may have moved under us (a staging server in use): confirm once. A re-run
            # that could not run (the footprint bound reached, say) confirms nothing either way.
            again, skipped = _attempt(ctx, layer, rule_id, check, outcome)
            if skipped is None:
                failure = again
                if failure is None:
                    outcome.reason = "passed when re-run (the first attempt failed: data changed?)"
            else:
                outcome.reason = f"not confirmed: the re-run could not run ({skipped[1]})"
        if failure is not None and check.retry and others_write(ctx):
            skip = unjudged(f"it failed ({failure.message[:200]})")
            reasons.append((skip.why, str(skip)))
            ran -= 1
            continue
        if failure is not None:
            outcome.failures.append(failure)
    outcome.seconds = time.monotonic() - started
    if outcome.failures:
        outcome.status = "failed"
    elif not ran:
        outcome.status = "skipped"
        outcome.why = reasons[0][0] if reasons else NO_DATA
        outcome.reason = "; ".join(dict.fromkeys(what for _, what in reasons)) or "nothing to check"
    elif reasons:
        outcome.reason = "partly skipped: " + "; ".join(dict.fromkeys(what for _, what in reasons))
    return outcome


def _attempt(
    ctx: SuiteContext, layer: str, rule_id: str, check: RuleCheck, outcome: Outcome
) -> tuple[Failure | None, tuple[str, str] | None]:
    before = ctx.checks_run
    try:
        check.func(ctx)
        return None, None
    except Skip as skip:
        return None, (skip.why, str(skip))
    except CheckFailed as failed:
        return _failure(failed.rule or rule_id, layer, failed), None
    except Unreachable:
        raise
    except Exception as error:  # a response the check could not even read is a failure too
        detail = "".join(traceback.format_exception_only(error)).strip()
        last = ctx.last_exchange()
        return Failure(
            rule_id,
            rule_tag(rule_id),
            layer,
            last.operation if last else "",
            f"the check {check.name} could not complete: {detail}",
            curl=last.curl() if last else "",
            actual=last.summary() if last else "",
        ), None
    finally:
        outcome.checks += ctx.checks_run - before


def _clean_up(ctx: SuiteContext) -> list[str]:
    """Soft-delete every calendar the suite created (and only those)."""
    if ctx.read_only:
        return []
    let_go = ctx.pool is not None  # the footprint is bounded: the calendars go back to the pool
    _find_unanswered_creates(ctx)
    held = [(api, calendar_id, group)
            for api, created in ((ctx.api, ctx.created), (ctx.other_api, ctx.other_created))
            if api is not None
            for calendar_id, group in sorted({**created, **_claimed_unused(ctx, api)}.items())]
    with ctx.gate.opened():  # every check has ended: the calendars' clean-ups go side by side
        outcomes = schedule.run_all(
            [functools.partial(api.soft_delete_left, calendar_id, group=group,
                               free_name=f"{FREE_PREFIX}{calendar_id}" if let_go else None)
             for api, calendar_id, group in held], ctx.concurrency, side_by_side=True)
    problems = [problem for problem in outcomes if problem is not None]
    done = len(outcomes) - len(problems)
    named = f"named {FREE_PREFIX}<id> for later runs and" if let_go else f"(names {ctx.prefix}-*)"
    notes = [f"clean-up: {done} calendar(s) created or reused by this run are {named} soft-deleted"]
    if problems:
        notes.append(f"clean-up could not soft-delete: {', '.join(problems)}")
    if let_go:
        notes.extend(_keep_findable(ctx, [(api, calendar_id, group) for (api, calendar_id, group), problem
                                          in zip(held, outcomes, strict=True) if problem is None]))
    return notes


def _find_unanswered_creates(ctx: SuiteContext) -> None:
    """Calendars named after this run that it never learnt it had made: a POST whose answer was
    lost (the connection dropped after the deployment created it) is sent again, and the first
    calendar would be left live. They are found by name and cleaned up with the rest."""
    for api, created in ((ctx.api, ctx.created), (ctx.other_api, ctx.other_created)):
        if api is None:
            continue
        try:
            listed = ctx.records(api=api)
        except CheckFailed:
            continue
        for record in listed:
            name = record.get("name")
            if isinstance(name, str) and name.startswith(f"{ctx.prefix}-") and record["id"] not in created:
                ctx.remember_created(record["id"], api)


def _keep_findable(ctx: SuiteContext, deleted: list[tuple[Api, int, int]]) -> list[str]:
    """The pool's calendars must stay in the group's list, where later runs look for them: on a
    deployment that leaves soft-deleted calendars out of it (CONTRACT.md allows it at the
    documented level) they are restored, still named free, or every run would add more."""
    unlisted = []
    for api in {id(api): api for api, _, _ in deleted}.values():
        try:
            listed = {record["id"] for record in ctx.records(api=api)}
        except CheckFailed:
            continue
        unlisted += [(api, calendar_id, group) for other, calendar_id, group in deleted
                     if other is api and calendar_id not in listed]
    if not unlisted:
        return []
    with ctx.gate.opened():
        answers = schedule.run_all(
            [functools.partial(api.update, calendar_id, {"deleted": False}, group=group)
             for api, calendar_id, group in unlisted], ctx.concurrency, side_by_side=True)
    restored = sum(1 for answer in answers if 200 <= answer.status < 300)
    assert ctx.pool is not None  # only a run with a bound lets its calendars go
    return [f"clean-up: the deployment leaves soft-deleted calendars out of its lists, where a later run "
            f"could not find them to reuse: {restored} of them stay undeleted, named {FREE_PREFIX}<id> "
            f"(at most --max-own-calendars {ctx.pool.bound} in a group)"]
