#!/usr/bin/env python3
"""Write faulty copies of busy_staging_server.py into OUT/<name>.py plus OUT/index.json.

Each variant is ONE textual replacement (the replaced text must occur exactly once in
busy_staging_server.py, otherwise this script stops with an error) and breaks exactly one rule
of CONTRACT.md, the way a real implementation bug would.  The busy-staging behaviours (rate
limit, maintenance blip, gzip, ETag, keep-alive recycling) are left as they are in every
variant.  Written apart from the kit's suite: the tags are the writer's reading of CONTRACT.md.

    python3 busy_staging_server_faults.py OUT

OUT/index.json is a list of {name, tag, rule, change, old, new}.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "busy_staging_server.py")

V = []


def variant(name, tag, rule, change, old, new):
    V.append({"name": name, "tag": tag, "rule": rule, "change": change, "old": old, "new": new})


# ---------------------------------------------------------------------------------------------
# Transport
# ---------------------------------------------------------------------------------------------
variant(
    "date_rails_offset", "DOC",
    "Dates are `\"YYYY-MM-DD HH:MM:SS\"` (no `T`, no offset)",
    "Timestamps the server writes (created_at/updated_at on POST, PUT, DELETE) carry a Rails-style "
    "zone suffix, e.g. `2024-05-01 10:00:00 +0000`; seeded dates are unaffected.",
    '''    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())''',
    '''    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime())''')

variant(
    "delete_204_empty", "DOC",
    "Only 200, 201, 400, 401, 403, 404, 405 and 500 exist; no 204 (and: only HTTP 200 counts as a "
    "successful DELETE, DELETE answers 200)",
    "A successful DELETE answers `204 No Content` with an empty body (the soft delete still happens).",
    '''                c["deleted"] = True
                c["updated_at"] = now_str()
                out = present_calendar(c)
        if c is None:
            raise ApiError(404, "not_found", "Calendar not found", {"id": ["not found"]})
        self.write_response(200, dumps(out), [])''',
    '''                c["deleted"] = True
                c["updated_at"] = now_str()
                out = present_calendar(c)
        if c is None:
            raise ApiError(404, "not_found", "Calendar not found", {"id": ["not found"]})
        self.write_response(204, b"", [])''')

variant(
    "validation_422", "DOC",
    "Only 200, 201, 400, 401, 403, 404, 405 and 500 exist; no 422 (invalid input → 400)",
    "Field-level validation failures of a calendar body (empty name, too long, wrong type, unknown "
    "key, negative timing, ...) answer 422 instead of 400; wrapper/JSON errors still give 400.",
    '''    if errs:
        raise bad_request(errs)
    changes.pop("group_id", None)''',
    '''    if errs:
        raise ApiError(422, "unprocessable_request", "Validation failed", errs)
    changes.pop("group_id", None)''')

variant(
    "member_write_json_suffix_404", "DOC",
    "Resource paths with no suffix and with `.json` suffix are the same resource",
    "The write routes were declared without the format suffix: PUT and DELETE on "
    "`.../calendars/{id}.json` answer 404 (GET on the same path and the bare path still work).",
    '''        kind, params = r
        if kind == "login":''',
    '''        kind, params = r
        if kind == "member" and path.endswith(".json") and self.command in ("PUT", "DELETE"):
            raise ApiError(404, "not_found", "No such resource", {"path": ["is not served"]})
        if kind == "login":''')

# ---------------------------------------------------------------------------------------------
# Authentication, sessions, group isolation
# ---------------------------------------------------------------------------------------------
variant(
    "unknown_apikey_with_basic", "ASM",
    "Missing/unknown apikey, missing/wrong credentials → 401 (unknown apikey: ASM part)",
    "The apikey value is only checked for cookie sessions: with valid HTTP Basic credentials any "
    "apikey (e.g. `apikey=nope`) is accepted.",
    '''        if apikey != API_KEY:
            raise ApiError(401, "unauthorized", "Unknown apikey", {"apikey": ["is not valid"]})
        return USERS[email]''',
    '''        if apikey != API_KEY and auth is None:
            raise ApiError(401, "unauthorized", "Unknown apikey", {"apikey": ["is not valid"]})
        return USERS[email]''')

variant(
    "basic_empty_password", "DOC",
    "Missing/unknown apikey, missing/wrong credentials → 401 (wrong credentials: DOC [S5])",
    "Truthiness slip in the Basic check: a known e-mail with an EMPTY password (`qa@indep.test:`) is "
    "accepted; a non-empty wrong password is still refused.",
    '''    if user is None or password != user["password"]:''',
    '''    if user is None or (password and password != user["password"]):''')

variant(
    "session_last_login_wins", "INF",
    "A group the user may not access, or a calendar of another group → 404, indistinguishable "
    "from \"does not exist\" (sessions: the `_session_id` cookie identifies ITS user)",
    "A valid `_session_id` cookie authenticates as the user of the most recent login, not as its "
    "own user: after user 2 logs in, user 1's cookie reads group 77 and gets 404 on group 40.",
    '''                    sess = STATE["sessions"].get(sid)
            if sess is None:''',
    '''                    sess = STATE["sessions"].get(sid)
                    if sess is not None:
                        sess = list(STATE["sessions"].values())[-1]
            if sess is None:''')

variant(
    "login_sha256", "DOC",
    "`POST /api/v1/sessions/login` (`pro[email]`, `pro[password]` = SHA1 hex of the password)",
    "Login compares `pro[password]` with the SHA-256 hex of the password instead of the SHA1 hex, "
    "so the documented SHA1 login answers 401 (the plain-password convenience still works).",
    '''            sha = hashlib.sha1(user["password"].encode("utf-8")).hexdigest()''',
    '''            sha = hashlib.sha256(user["password"].encode("utf-8")).hexdigest()''')

variant(
    "session_cookie_misnamed", "DOC",
    "a user identity: HTTP Basic, or the `_session_id` cookie set by `POST /api/v1/sessions/login`",
    "Login sets the cookie under the name `_session` while requests are authenticated by "
    "`_session_id`: a client that replays the cookie it was given gets 401.",
    '''        headers = [("Set-Cookie", "lb_route=stg-web-2; path=/"),
                   ("Set-Cookie", "_session_id=%s; path=/; HttpOnly" % sid),''',
    '''        headers = [("Set-Cookie", "lb_route=stg-web-2; path=/"),
                   ("Set-Cookie", "_session=%s; path=/; HttpOnly" % sid),''')

variant(
    "foreign_group_readable", "INF",
    "A group the user may not access, or a calendar of another group → 404, indistinguishable "
    "from \"does not exist\"",
    "Group membership is only enforced for writes: user 1 can GET group 77's calendar list and "
    "its calendars (POST/PUT/DELETE there still give 404).",
    '''        if user["group_id"] != gid or gid not in GROUPS:''',
    '''        if (user["group_id"] != gid and method != "GET") or gid not in GROUPS:''')

variant(
    "foreign_delete_applied", "INF",
    "A group the user may not access, or a calendar of another group → 404, indistinguishable "
    "from \"does not exist\"",
    "DELETE sets `deleted` before checking the calendar's group: `DELETE /groups/40/calendars/7702` "
    "answers 404 but soft-deletes group 77's calendar.",
    '''    def _delete(self, gid, rid):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is None or c["group_id"] != gid:''',
    '''    def _delete(self, gid, rid):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is not None:
                c["deleted"] = True
            if c is None or c["group_id"] != gid:''')

variant(
    "apikey_in_body_refused", "INF",
    "official PHP client puts `apikey` at the top level of the JSON body on POST/PUT | accepted "
    "as if it were in the query (client-habit table; CONTRACT.md gives no tag, INF chosen)",
    "A top-level `apikey` in a POST/PUT body is refused with 400 'must be passed as a query "
    "parameter' (following the docs' 'never in the body' literally).",
    '''    if "apikey" in parsed and not isinstance(parsed["apikey"], str):
        add_err(errs, "apikey", "must be a string")''',
    '''    if "apikey" in parsed:
        add_err(errs, "apikey", "must be passed as a query parameter, never in the body")''')

# ---------------------------------------------------------------------------------------------
# Representation
# ---------------------------------------------------------------------------------------------
variant(
    "post_answer_wrapped", "DOC",
    "Calendar representation: bare object, not wrapped (POST → 201 with the created calendar)",
    "POST answers `{\"calendar\": {...}}` (Rails root wrapping) instead of the bare calendar; "
    "GET/PUT/DELETE are unaffected.",
    '''        self.write_response(201, dumps(out),''',
    '''        self.write_response(201, dumps({"calendar": out}),''')

variant(
    "put_answer_changes_only", "DOC",
    "`PUT …/calendars/{calendar_id}` | partial update ...; 200 with the whole calendar",
    "PUT answers only the keys that were sent plus `id` and `updated_at`, not the whole calendar.",
    '''                c.update(changes)
                c["updated_at"] = now_str()
                out = present_calendar(c)''',
    '''                c.update(changes)
                c["updated_at"] = now_str()
                out = dict(changes, id=c["id"], updated_at=c["updated_at"])''')

variant(
    "create_deleted_null", "DOC",
    "`deleted` boolean (default false); POST: defaults applied",
    "A calendar created without `deleted` gets `deleted: null` (nullable column, no default) "
    "instead of false.",
    '''            c["deleted"] = False''',
    '''            c["deleted"] = None''')

variant(
    "maxrdv_default_129600", "DOC",
    "`maxrdv_period` int (default 131400); POST: defaults applied",
    "The default `maxrdv_period` is computed as 90 days (129600 minutes) instead of 131400, so a "
    "POST without it stores 129600.",
    '''"maxrdv_period": 131400,''',
    '''"maxrdv_period": 90 * 24 * 60,''')

variant(
    "zipcode_as_number", "DOC",
    "`zipcode` ≤16 (string or null)",
    "The serializer casts an all-digit `zipcode` to a JSON number (`69002` instead of `\"69002\"`) "
    "in every calendar it answers.",
    '''    out = {k: c[k] for k in CAL_FIELDS if k != "label"}''',
    '''    out = {k: c[k] for k in CAL_FIELDS if k != "label"}
    if isinstance(out["zipcode"], str) and out["zipcode"].isdigit():
        out["zipcode"] = int(out["zipcode"])''')

# ---------------------------------------------------------------------------------------------
# List envelope and paging
# ---------------------------------------------------------------------------------------------
variant(
    "envelope_drops_null_sort_dir", "DOC",
    "200, envelope `{\"records\", \"totalRecords\", \"startIndex\", \"recordsReturned\", \"pageSize\", "
    "\"sort\", \"dir\"}`; `sort`/`dir` echo the request or are null",
    "The list serializer drops null keys, so without `sort`/`dir` the envelope has no `sort` and "
    "no `dir` key at all.",
    '''        self.write_response(200, dumps(envelope), [], allow_etag=True)''',
    '''        self.write_response(200, dumps({k: v for k, v in envelope.items() if v is not None}),
                            [], allow_etag=True)''')

variant(
    "total_before_search", "DOC",
    "`results`, `startIndex` | pagination; `totalRecords` counts all matches",
    "`totalRecords` is counted before `search` and `conditions` are applied (but after the id "
    "filters), so with a search or a condition it reports more matches than exist.",
    '''        if q["search"] is not None:
            s = q["search"]
            recs = [r for r in recs
                    if s in (r.get("name") or "").lower() or s in (r.get("publicname") or "").lower()]
        for pred in q["conds"]:
            recs = [r for r in recs if pred(r)]
        recs = sort_records(recs, fields, q["sort"], q["dir"])
        total = len(recs)''',
    '''        total = len(recs)
        if q["search"] is not None:
            s = q["search"]
            recs = [r for r in recs
                    if s in (r.get("name") or "").lower() or s in (r.get("publicname") or "").lower()]
        for pred in q["conds"]:
            recs = [r for r in recs if pred(r)]
        recs = sort_records(recs, fields, q["sort"], q["dir"])''')

variant(
    "page_size_always_default", "DOC",
    "`pageSize` = `results`",
    "`pageSize` always reports the server default 25 instead of echoing `results` (the page "
    "itself has the requested size).",
    '''            "pageSize": total if results == "all" else results,''',
    '''            "pageSize": total if results == "all" else DEFAULT_RESULTS,''')

variant(
    "page_past_end_clamped", "INF",
    "paging one step past the end (`startIndex == totalRecords`) | 200 with `records: []`",
    "A `startIndex` at or past the end is clamped to the last item, so the page one step past "
    "the end repeats the last record instead of being empty.",
    '''        start = q["startIndex"]
        results = q["results"]''',
    '''        start = q["startIndex"]
        if not isinstance(start, RawInt) and start >= total > 0:
            start = total - 1
        results = q["results"]''')

variant(
    "results_one_refused", "DOC",
    "`results` (int ≥1 or `all`, default 25)",
    "Off-by-one in the `results` check: `results=1` is refused with 400 (2 and more still work).",
    '''        elif not isinstance(val, RawInt) and val < 1:''',
    '''        elif not isinstance(val, RawInt) and val <= 1:''')

variant(
    "startindex_zero_refused", "DOC",
    "`startIndex` (default 0 ...)",
    "An explicit `startIndex=0` is refused with 400 (validated as 1-based) although 0 is the "
    "default; an absent startIndex still works.",
    '''        if st == "err":
            add_err(errs, "startIndex", "must be an integer >= 0")''',
    '''        if st == "err" or val == 0:
            add_err(errs, "startIndex", "must be an integer >= 1")''')

variant(
    "sort_after_paging", "DOC",
    "`sort` (a readable field), `dir` (`asc`/`desc`) | ordering (of the whole result, then paged)",
    "The page is cut from the id-ordered list first and only then sorted, so with `sort`/`dir` "
    "and a page smaller than the result the pages hold the wrong records.",
    '''        recs = sort_records(recs, fields, q["sort"], q["dir"])
        total = len(recs)
        start = q["startIndex"]
        results = q["results"]
        if isinstance(start, RawInt):
            page = []
        elif results == "all" or isinstance(results, RawInt):
            page = recs[start:]
        else:
            page = recs[start:start + results]''',
    '''        total = len(recs)
        start = q["startIndex"]
        results = q["results"]
        if isinstance(start, RawInt):
            page = []
        elif results == "all" or isinstance(results, RawInt):
            page = recs[start:]
        else:
            page = recs[start:start + results]
        page = sort_records(page, fields, q["sort"], q["dir"])''')

# ---------------------------------------------------------------------------------------------
# Sort, search, conditions
# ---------------------------------------------------------------------------------------------
variant(
    "sort_int_as_text", "DOC",
    "`sort` (a readable field), `dir` (`asc`/`desc`) | ordering",
    "Non-string sort keys are compared as text, so integer fields sort lexicographically "
    "(`generate_interval` 5 after 30, `maxrdv_period` 131400 before 44640).",
    '''        nonnull.sort(key=lambda r: cmp_key(ftype, r[sort]), reverse=desc)''',
    '''        nonnull.sort(key=lambda r: str(r[sort]), reverse=desc)''')

variant(
    "search_case_sensitive", "ASM",
    "`search` | case-insensitive substring of `name` or `publicname`",
    "The record side is lower-cased but the search term is not, so any search containing an "
    "upper-case letter (`Salon`) matches nothing.",
    '''    out["search"] = search.lower() if search.strip() != "" else None''',
    '''    out["search"] = search if search.strip() != "" else None''')

variant(
    "search_drops_other_filters", "ASM",
    "different filters together | AND",
    "`search` re-reads the group's whole calendar list, discarding the `intervention_ids[]` / "
    "`calendarset_ids[]` filters applied before it (conditions still apply).",
    '''            recs = [r for r in recs
                    if s in (r.get("name") or "").lower() or s in (r.get("publicname") or "").lower()]''',
    '''            with LOCK:
                base = [present(resource, r) for r in STATE[resource].values()
                        if r["group_id"] == gid]
            recs = [r for r in base
                    if s in (r.get("name") or "").lower() or s in (r.get("publicname") or "").lower()]''')

variant(
    "not_in_acts_as_in", "DOC",
    "`conditions[i][field]`, `[op]`, `[value]` | ops `= != > >= < <= like \"not like\" in \"not in\"`",
    "The operator test is a substring test (`\"in\" in op`), so `not in` behaves exactly like `in`.",
    '''        positive = op == "in"''',
    '''        positive = "in" in op''')

variant(
    "like_unanchored", "ASM",
    "`like` / `not like` use `%` and `_` wildcards and ignore case (ASM)",
    "A `like` pattern without `%` matches anywhere in the value (as if wrapped in `%...%`): "
    "`name like salon` matches 'Salon Principal'.",
    '''        return n == _seg_len(first) and _seg_at(first, s, 0)''',
    '''        return _seg_find(first, s, 0, n) >= 0''')

variant(
    "conditions_same_field_last_wins", "DOC",
    "`conditions[i][field]`, `[op]`, `[value]` | all conditions must hold",
    "Conditions are kept in a dict keyed by field, so of several conditions on the same field only "
    "the last one is applied (`sort >= 2` AND `sort <= 4` acts as `sort <= 4`).",
    '''        out["conds"].append(pred)''',
    '''        out.setdefault("_by_field", {})[fname] = pred
        out["conds"] = list(out["_by_field"].values())''')

# ---------------------------------------------------------------------------------------------
# intervention_ids[] / calendarset_ids[] filters
# ---------------------------------------------------------------------------------------------
variant(
    "intervention_no_match_returns_all", "ASM",
    "`intervention_ids[]=a&intervention_ids[]=b` | calendars on which **all** listed "
    "interventions are available",
    "When no calendar offers all listed interventions (empty intersection, or an unknown id) the "
    "filter is skipped and every calendar is listed instead of none.",
    '''                keep = keep or set()
                recs = [r for r in recs if r["id"] in keep]''',
    '''                if keep:
                    recs = [r for r in recs if r["id"] in keep]''')

variant(
    "intervention_filter_hides_deleted", "ASM",
    "soft-deleted calendars | listed, with `deleted: true` (also when they match a filter)",
    "The `intervention_ids[]` filter uses an 'active calendars' scope, so soft-deleted calendars "
    "that offer the intervention (4119 for 23) are left out of its results.",
    '''                recs = [r for r in recs if r["id"] in keep]''',
    '''                recs = [r for r in recs if r["id"] in keep and not r["deleted"]]''')

variant(
    "intervention_filter_crosses_groups", "INF",
    "A group the user may not access, or a calendar of another group → 404 (a group's list holds "
    "only that group's calendars)",
    "The `intervention_ids[]` filter rebuilds the list from the intervention→calendar table "
    "without the group scope: `/groups/40/calendars?intervention_ids[]=41` lists group 77's "
    "calendars 7702 and 7704.",
    '''                recs = [r for r in recs if r["id"] in keep]''',
    '''                recs = [present_calendar(c) for c in STATE["calendars"].values()
                        if c["id"] in keep]''')

variant(
    "calendarset_param_typo_ignored", "INF",
    "`calendarset_ids[]=a&calendarset_ids[]=b` | calendars in **any** listed calendarset",
    "The list parameter is registered as `calendarset_id` (typo), so `calendarset_ids[]=...` is "
    "treated as an unknown parameter and silently ignored: every calendar is listed.",
    '''    "calendars": {"fields": CAL_FIELDS, "arrays": ("intervention_ids", "calendarset_ids"),''',
    '''    "calendars": {"fields": CAL_FIELDS, "arrays": ("intervention_ids", "calendarset_id"),''')

variant(
    "calendarset_all", "INF",
    "`calendarset_ids[]=a&calendarset_ids[]=b` | calendars in **any** listed calendarset (a "
    "calendar has one calendarset)",
    "The calendarset filter copies the intervention filter's ALL logic: with two ids no calendar "
    "matches (one id still works).",
    '''                recs = [r for r in recs if r["calendarset_id"] in wanted]''',
    '''                recs = [r for r in recs if all(r["calendarset_id"] == w for w in wanted)]''')

variant(
    "calendarset_includes_unset", "INF",
    "`calendarset_ids[]=...` | calendars in **any** listed calendarset",
    "Calendars without a calendarset (`calendarset_id` null: 4111, 4115) are added to every "
    "`calendarset_ids[]` result (an `OR calendarset_id IS NULL` left in the query).",
    '''                recs = [r for r in recs if r["calendarset_id"] in wanted]''',
    '''                recs = [r for r in recs
                        if r["calendarset_id"] in wanted or r["calendarset_id"] is None]''')

# ---------------------------------------------------------------------------------------------
# Soft delete and restore
# ---------------------------------------------------------------------------------------------
variant(
    "delete_toggles", "DOC",
    "`DELETE …/calendars/{calendar_id}` | soft delete: `deleted` becomes true ...; idempotent",
    "DELETE flips the flag (`deleted = not deleted`), so deleting an already-deleted calendar "
    "restores it.",
    '''                c["deleted"] = True''',
    '''                c["deleted"] = not c["deleted"]''')

variant(
    "put_on_deleted_404", "DOC",
    "restore: `PUT` with `{\"calendar\": {\"deleted\": false}}` | `deleted` back to false",
    "PUT looks calendars up in a 'not deleted' scope, so any PUT on a soft-deleted calendar, "
    "the restore included, answers 404.",
    '''    def _update(self, gid, rid, changes):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is None or c["group_id"] != gid:''',
    '''    def _update(self, gid, rid, changes):
        with LOCK:
            c = STATE["calendars"].get(rid)
            if c is None or c["group_id"] != gid or c["deleted"]:''')

variant(
    "delete_drops_offers", "DOC",
    "`DELETE …/calendars/{calendar_id}` | soft delete: `deleted` becomes true, nothing is removed",
    "DELETE also removes the calendar from the intervention→calendar table, so it drops out of "
    "`intervention_ids[]` results for good (a restore does not bring it back).",
    '''                c["deleted"] = True''',
    '''                c["deleted"] = True
                for offered_by in STATE["offers"].values():
                    offered_by.discard(rid)''')

variant(
    "put_deleted_true_ignored", "ASM",
    "restore ...; `PUT` with `deleted: true` also soft-deletes",
    "On PUT only `deleted: false` (the restore) is honoured; `deleted: true` is validated and "
    "dropped, so the calendar stays active (answer 200).",
    '''        elif key == "deleted":
            if isinstance(v, bool):
                changes[key] = v''',
    '''        elif key == "deleted":
            if isinstance(v, bool):
                if creating or v is False:
                    changes[key] = v''')

# ---------------------------------------------------------------------------------------------
# Create / update
# ---------------------------------------------------------------------------------------------
variant(
    "create_sort_global_max", "DOC",
    "`POST …/calendars` | `sort` = (largest `sort` in the group) + 1 when omitted",
    "The largest sort is taken over all groups (missing group filter): a calendar created in "
    "group 77 without `sort` gets 10 instead of 3.",
    '''            sorts = [c["sort"] for c in cals.values() if c["group_id"] == gid]''',
    '''            sorts = [c["sort"] for c in cals.values()]''')

variant(
    "post_name_not_required", "ASM",
    "`POST …/calendars` | `name` required (invalid input: missing/empty `name` → 400; checks ASM)",
    "The `creating` flag is computed from the wrong variable, so a POST without `name` is "
    "accepted (201, name \"\").",
    '''            changes = validate_calendar_body(parsed, gid, creating=(method == "POST"))''',
    '''            changes = validate_calendar_body(parsed, gid, creating=(kind == "create"))''')

variant(
    "body_group_id_mismatch_accepted", "ASM",
    "`POST …/calendars` | body `group_id`, when given, must equal the path's (a 4xx otherwise)",
    "The body `group_id` check runs only on PUT: a POST to group 40 with `group_id: 77` answers "
    "201 (the value is dropped, the calendar lands in group 40).",
    '''            if key == "group_id" and iv != path_gid:''',
    '''            if key == "group_id" and iv != path_gid and not creating:''')

variant(
    "readonly_created_at_refused", "ASM",
    "Read-only keys (`id`, `created_at`, `updated_at`) in a body are ignored",
    "`created_at` is missing from the read-only list, so a body carrying it (e.g. a GET → PUT "
    "round-trip) is refused with 400 'unknown field'.",
    '''READ_ONLY = ("id", "created_at", "updated_at", "label")''',
    '''READ_ONLY = ("id", "updated_at", "label")''')

variant(
    "create_id_reused", "DOC",
    "`POST …/calendars` | 201 with the created calendar and its new `id`",
    "The id sequence is never advanced: every POST gets id 7707 and overwrites the calendar "
    "created before it.",
    '''            STATE["next_calendar_id"] += 1
''',
    '')

variant(
    "zipcode_limit_10", "DOC",
    "`zipcode` ≤16 (string(16) in the docs)",
    "The zipcode limit is 10 instead of 16: an 11-16 character zipcode is refused with 400.",
    '''"zipcode": 16,''',
    '''"zipcode": 10,''')

variant(
    "timing_zero_refused", "ASM",
    "invalid input (... negative timing value) | 400; Timing values may be 0",
    "The timing check is `<= 0`, so 0 (e.g. `mintime_rdv: 0`, the documented 'until the last "
    "moment' value) is refused with 400.",
    '''            if key in TIMING and iv < 0:''',
    '''            if key in TIMING and iv <= 0:''')

variant(
    "put_name_syncs_publicname", "DOC",
    "`PUT …/calendars/{calendar_id}` | partial update: only the keys sent change",
    "A PUT that changes `name` also overwrites `publicname` with it (a 'keep names in sync' "
    "callback), although `publicname` was not sent.",
    '''                c.update(changes)
                c["updated_at"] = now_str()''',
    '''                if "name" in changes and "publicname" not in changes:
                    changes["publicname"] = changes["name"]
                c.update(changes)
                c["updated_at"] = now_str()''')

variant(
    "put_touches_created_at", "DOC",
    "`PUT …/calendars/{calendar_id}` | partial update: only the keys sent change; `updated_at` "
    "refreshed",
    "PUT refreshes `created_at` together with `updated_at` (chained assignment).",
    '''                c.update(changes)
                c["updated_at"] = now_str()''',
    '''                c.update(changes)
                c["updated_at"] = c["created_at"] = now_str()''')

variant(
    "show_unknown_200_null", "INF",
    "unknown id, unknown group | 404",
    "`GET …/calendars/{id}` of an unknown id (or another group's) answers 200 with the body "
    "`null` instead of 404.",
    '''        if out is None:
            raise ApiError(404, "not_found", "Record not found", {"id": ["not found"]})
        self.write_response(200, dumps(out), [], allow_etag=True)''',
    '''        self.write_response(200, dumps(out), [], allow_etag=True)''')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python3 busy_staging_server_faults.py OUT\n")
        return 2
    out_dir = argv[0]
    with open(SRC, encoding="utf-8") as f:
        src = f.read()
    names = set()
    index = []
    outputs = []
    for v in V:
        if v["name"] in names:
            raise SystemExit("duplicate variant name: %s" % v["name"])
        names.add(v["name"])
        n = src.count(v["old"])
        if n != 1:
            raise SystemExit("%s: the text to replace occurs %d times in %s (must be exactly once)"
                             % (v["name"], n, SRC))
        if v["tag"] not in ("DOC", "INF", "ASM"):
            raise SystemExit("%s: bad tag %r" % (v["name"], v["tag"]))
        out = src.replace(v["old"], v["new"], 1)
        if out == src:
            raise SystemExit("%s: the replacement changes nothing" % v["name"])
        compile(out, v["name"] + ".py", "exec")
        outputs.append((v["name"], out))
        index.append({k: v[k] for k in ("name", "tag", "rule", "change", "old", "new")})
    os.makedirs(out_dir, exist_ok=True)
    for name, out in outputs:
        with open(os.path.join(out_dir, name + ".py"), "w", encoding="utf-8") as f:
            f.write(out)
    with open(os.path.join(out_dir, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %d variants to %s" % (len(index), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
