#!/usr/bin/env python3
"""Write faulty copies of strict_server.py into OUT/<name>.py plus OUT/index.json.

Each variant is ONE textual replacement (the replaced text must occur exactly once in
strict_server.py) and breaks exactly one rule of CONTRACT.md, in the way a real implementation
bug would. Written, like the server, apart from the kit (its tags are the writer's reading of
CONTRACT.md).  Run:  python3 strict_server_faults.py OUT
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "strict_server.py")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "variants")

V = []


def variant(name, tag, rule, change, old, new):
    V.append({"name": name, "tag": tag, "rule": rule, "change": change, "old": old, "new": new})


# ---------------------------------------------------------------------------
# Transport
# ---------------------------------------------------------------------------
variant(
    "coll_json_suffix_404", "DOC",
    "Resource paths with no suffix and with `.json` suffix are the same resource",
    "The collection route regex lost its optional `(\\.json)?`, so `GET/POST .../calendars.json` answers 404 (member `.json` still works).",
    r'''R_COLL = re.compile(r"^/api/v1/groups/([^/]+)/calendars(\.json)?$")''',
    r'''R_COLL = re.compile(r"^/api/v1/groups/([^/]+)/calendars$")''')

variant(
    "format_json_refused", "DOC",
    "`?format=json` is accepted and ignored",
    "Any `format` query parameter, including `format=json`, is refused with 400.",
    '''        if fmt is not None and fmt.lower() != "json":''',
    '''        if fmt is not None:''')

variant(
    "content_type_text_html", "DOC",
    "Responses are `application/json; charset=utf-8`",
    "Normal responses (everything except http.server-level errors) are labelled `text/html; charset=utf-8` although the body is JSON.",
    '''        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")''',
    '''        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")''')

variant(
    "wrong_content_type_415", "DOC",
    "Only 200, 201, 400, 401, 403, 404, 405 and 500 exist; no 204/409/415/422",
    "A POST/PUT whose Content-Type is not application/json is answered 415 Unsupported Media Type instead of 400.",
    '''                raise bad("Content-Type", "POST/PUT bodies must be sent as application/json")''',
    '''                raise ApiError(415, "POST/PUT bodies must be sent as application/json")''')

variant(
    "date_iso_t", "DOC",
    "Dates are `\"YYYY-MM-DD HH:MM:SS\"` (no `T`, no offset): not RFC 3339 `date-time`",
    "Timestamps written by the server (created_at/updated_at on POST, PUT, DELETE) use ISO `YYYY-MM-DDTHH:MM:SS` with a `T`; seeded dates are unaffected.",
    '''    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())''',
    '''    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())''')

# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------
variant(
    "apikey_missing_accepted", "ASM",
    "Missing/unknown apikey, missing/wrong credentials → 401 (missing apikey: ASM part)",
    "A request with no apikey at all is let through (only a present-but-wrong apikey is refused).",
    '''        return key is not None and secrets.compare_digest(''',
    '''        return key is None or secrets.compare_digest(''')

variant(
    "apikey_in_body_ignored", "INF",
    "official PHP client puts `apikey` at the top level of the JSON body on POST/PUT (`{\"apikey\": \"...\", \"calendar\": {...}}`) | accepted as if it were in the query",
    "The apikey is read from the query string only; a POST/PUT carrying it at the top level of the JSON body gets 401.",
    '''        if key is None and isinstance(body_obj, dict):
            bk = body_obj.get("apikey")''',
    '''        if False and key is None and isinstance(body_obj, dict):
            bk = body_obj.get("apikey")''')

variant(
    "basic_wrong_password_accepted", "DOC",
    "Missing/unknown apikey, missing/wrong credentials → 401 (wrong credentials: DOC [S5])",
    "HTTP Basic checks only that the email exists; any password is accepted.",
    '''            if u and secrets.compare_digest(u[0].encode(), pw.encode("utf-8", "replace")):''',
    '''            if u:''')

variant(
    "session_cookie_ignored", "DOC",
    "Every request also carries a user identity: HTTP Basic `email:password`, or the `_session_id` cookie set by `POST /api/v1/sessions/login`",
    "Login still succeeds and sets the cookie, but the `_session_id` cookie is never consulted afterwards: cookie-only requests get 401.",
    '''        sid = self._cookie("_session_id")''',
    '''        sid = None''')

variant(
    "login_json_suffix_404", "INF",
    "`.json` suffix, and login by `POST /api/v1/sessions/login.json` with a cookie afterwards | supported",
    "The login route regex lost its optional `(\\.json)?`: `POST /api/v1/sessions/login.json` answers 404 (plain `/login` still works).",
    r'''R_LOGIN = re.compile(r"^/api/v1/sessions/login(\.json)?$")''',
    r'''R_LOGIN = re.compile(r"^/api/v1/sessions/login$")''')

variant(
    "foreign_calendar_readable", "INF",
    "A group the user may not access, or a calendar of another group → 404, indistinguishable from \"does not exist\"",
    "The member lookup checks only that the calendar id exists, not that it belongs to the path's group: GET/PUT/DELETE /groups/40/calendars/221 act on group 77's calendar.",
    '''            if rec is None or rec["group_id"] != gid:''',
    '''            if rec is None:''')

variant(
    "foreign_group_403", "INF",
    "A group the user may not access, or a calendar of another group → 404, indistinguishable from \"does not exist\"",
    "An existing group the user may not access answers 403 (unknown groups still 404), so existence leaks.",
    '''        if gid is None or gid not in GROUPS or gid not in user_groups:
            raise ApiError(404, "group not found")''',
    '''        if gid is not None and gid in GROUPS and gid not in user_groups:
            raise ApiError(403, "you may not access this group")
        if gid is None or gid not in GROUPS or gid not in user_groups:
            raise ApiError(404, "group not found")''')

# ---------------------------------------------------------------------------
# Representation
# ---------------------------------------------------------------------------
variant(
    "deleted_as_integer", "DOC",
    "`deleted` boolean (default false)",
    "Every calendar in every response renders `deleted` as the integer 0/1 (database tinyint leaking) instead of a JSON boolean.",
    '''    return {k: rec[k] for k in FIELDS}''',
    '''    return {k: (int(rec[k]) if k == "deleted" else rec[k]) for k in FIELDS}''')

variant(
    "member_get_wrapped", "DOC",
    "Bare object, not wrapped.",
    "`GET .../calendars/{id}` answers `{\"calendar\": {...}}` instead of the bare calendar object (PUT/DELETE/POST unaffected).",
    '''            if method == "GET":
                out = public(rec)''',
    '''            if method == "GET":
                out = {"calendar": public(rec)}''')

variant(
    "default_mintime_annulation_1440", "DOC",
    "`mintime_annulation` int (default 2880)",
    "A POST without `mintime_annulation` stores 1440 (one day) instead of the documented default 2880.",
    '''"maxrdv_period": 131400, "mintime_annulation": 2880, "deleted": False}''',
    '''"maxrdv_period": 131400, "mintime_annulation": 1440, "deleted": False}''')

variant(
    "calendarset_null_refused", "DOC",
    "`calendarset_id` int or null",
    "`calendarset_id` is missing from the nullable set, so a POST/PUT with `\"calendarset_id\": null` is refused with 400 'may not be null'.",
    '''NULLABLE = {"calendarset_id", "address", "zipcode", "city"}''',
    '''NULLABLE = {"address", "zipcode", "city"}''')

# ---------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------
variant(
    "total_records_counts_page", "DOC",
    "`totalRecords` counts all matches",
    "`totalRecords` is the number of records on the returned page, not the number of all matches.",
    '''            "totalRecords": total,''',
    '''            "totalRecords": len(page),''')

variant(
    "page_drops_last_item", "DOC",
    "`results` (int ≥1 or `all`, default 25), `startIndex` (default 0 ...) | pagination; `totalRecords` counts all matches; `pageSize` = `results`",
    "Off-by-one in the page slice: each page returns at most `results - 1` items, so the last item of every full page is never served.",
    '''            page = recs[start:start + a["results"]] if start < total else []''',
    '''            page = recs[start:start + a["results"] - 1] if start < total else []''')

variant(
    "page_past_end_400", "INF",
    "paging one step past the end (`startIndex == totalRecords`) | 200 with `records: []`",
    "A `startIndex` at or beyond the number of matches (when > 0) is refused with 400 'out of range' instead of an empty page.",
    '''        total = len(recs)
        start = a["start"]''',
    '''        total = len(recs)
        start = a["start"]
        if start > 0 and start >= total:
            raise bad("startIndex", "out of range")''')

variant(
    "page_size_is_count", "DOC",
    "`pageSize` = `results`",
    "`pageSize` reports the number of records on the page instead of echoing `results`.",
    '''            page_size = a["results"]''',
    '''            page_size = len(page)''')

variant(
    "results_default_10", "DOC",
    "`results` (int ≥1 or `all`, default 25)",
    "Without `results` the page size is 10 instead of 25.",
    '''            a["results"] = 25''',
    '''            a["results"] = 10''')

variant(
    "results_over_100_refused", "DOC",
    "`results` (int ≥1 or `all`, default 25) [Left open: any integer ≥ 1 is valid input, a real deployment may cap the page, but must not refuse the value]",
    "`results` above 100 is refused with 400 instead of being served (or capped).",
    '''        elif UINT_RE.match(r) and int(r) >= 1:''',
    '''        elif UINT_RE.match(r) and 1 <= int(r) <= 100:''')

variant(
    "results_all_refused", "DOC",
    "`results` (int ≥1 or `all`, default 25)",
    "The `all` keyword is compared against 'ALL', so `results=all` is refused with 400.",
    '''        elif r == "all":''',
    '''        elif r == "ALL":''')

variant(
    "dir_desc_ignored", "DOC",
    "`sort` (a readable field), `dir` (`asc`/`desc`) | ordering",
    "The lower-cased `dir` is compared with 'DESC', so `dir=desc` never reverses the order (still validated and echoed).",
    '''            desc = (a["dir"] or "asc").lower() == "desc"''',
    '''            desc = (a["dir"] or "asc").lower() == "DESC"''')

variant(
    "default_order_by_name", "ASM",
    "default order `id` ascending",
    "Without `sort` the list is ordered by `name` (code-point order) instead of `id` ascending.",
    '''        recs.sort(key=lambda r: r["id"])''',
    '''        recs.sort(key=lambda r: r["name"])''')

variant(
    "interventions_any", "ASM",
    "`intervention_ids[]=a&intervention_ids[]=b` | calendars on which **all** listed interventions are available (mock switch: `any`)",
    "The intervention filter keeps calendars having ANY of the listed interventions instead of ALL.",
    '''            recs = [r for r in recs if want <= r["_interventions"]]''',
    '''            recs = [r for r in recs if want & r["_interventions"]]''')

variant(
    "calendarsets_first_only", "INF",
    "`calendarset_ids[]=a&calendarset_ids[]=b` | calendars in **any** listed calendarset",
    "Only the first `calendarset_ids[]` value is used (the parameter is read as a scalar).",
    '''            want = set(a["calendarsets"])''',
    '''            want = set(a["calendarsets"][:1])''')

variant(
    "filters_or", "ASM",
    "different filters together | AND",
    "`intervention_ids[]` and `calendarset_ids[]` given together are ORed (a calendar matching either filter is listed); each alone still works.",
    '''            recs = [r for r in recs if r["calendarset_id"] in want]''',
    '''            if a["interventions"] is not None:
                iw = set(a["interventions"])
                recs = [r for r in [dict(x) for x in STORE.calendars.values() if x["group_id"] == gid]
                        if r["calendarset_id"] in want or iw <= r["_interventions"]]
                recs.sort(key=lambda r: r["id"])
            else:
                recs = [r for r in recs if r["calendarset_id"] in want]''')

variant(
    "conditions_or", "DOC",
    "`conditions[i][field]`, `[op]`, `[value]` | all conditions must hold",
    "Several conditions are ORed: a calendar is listed when ANY condition holds.",
    '''        for field, op, val in a["conditions"]:
            recs = [r for r in recs if cond_holds(r, field, op, val)]''',
    '''        if a["conditions"]:
            recs = [r for r in recs
                    if any(cond_holds(r, f, o, v) for f, o, v in a["conditions"])]''')

variant(
    "condition_gt_inclusive", "DOC",
    "`conditions[i][field]`, `[op]`, `[value]` | ops `= != > >= < <= like \"not like\" in \"not in\"`",
    "The `>` operator is implemented as `>=` (values equal to the bound are included).",
    '''        return x > val''',
    '''        return x >= val''')

variant(
    "like_case_sensitive", "ASM",
    "`like` / `not like` use `%` and `_` wildcards and ignore case: ASM",
    "Character comparison in the LIKE matcher is exact, so `like` / `not like` become case-sensitive.",
    '''    return a == b or a.casefold() == b.casefold()''',
    '''    return a == b''')

variant(
    "deleted_hidden_in_list", "ASM",
    "soft-deleted calendars | listed, with `deleted: true` (mock switch: hidden)",
    "The collection query skips soft-deleted calendars (they are still readable by id).",
    '''            recs = [dict(r) for r in STORE.calendars.values() if r["group_id"] == gid]''',
    '''            recs = [dict(r) for r in STORE.calendars.values()
                    if r["group_id"] == gid and not r["deleted"]]''')

variant(
    "envelope_missing_records_returned", "DOC",
    "200, envelope `{\"records\": [...], \"totalRecords\", \"startIndex\", \"recordsReturned\", \"pageSize\", \"sort\", \"dir\"}`",
    "The list envelope omits `recordsReturned`.",
    '''            "recordsReturned": len(page),
''',
    '')

variant(
    "unknown_group_empty_list", "INF",
    "unknown id, unknown group | 404",
    "The group check only refuses existing groups the user lacks; an unknown group id (e.g. 999) gets a 200 empty list (and POST creates into it).",
    '''        if gid is None or gid not in GROUPS or gid not in user_groups:''',
    '''        if gid is None or (gid in GROUPS and gid not in user_groups):''')

# ---------------------------------------------------------------------------
# Member / writes
# ---------------------------------------------------------------------------
variant(
    "get_soft_deleted_404", "INF",
    "`GET …/calendars/{calendar_id}` | 200 bare calendar, also when soft-deleted",
    "`GET` of a soft-deleted calendar answers 404 (PUT restore and DELETE still find it).",
    '''            if method == "GET":
                out = public(rec)''',
    '''            if method == "GET":
                if rec["deleted"]:
                    raise ApiError(404, "calendar not found")
                out = public(rec)''')

variant(
    "post_answers_200", "DOC",
    "`POST …/calendars` | 201 with the created calendar and its new `id`",
    "A successful create answers 200 instead of 201 (body unchanged).",
    '''        self._send(201, out)''',
    '''        self._send(200, out)''')

variant(
    "post_sort_count_plus_one", "DOC",
    "`sort` = (largest `sort` in the group) + 1 when omitted",
    "An omitted `sort` becomes (number of calendars in the group) + 1 instead of (largest sort) + 1.",
    '''                values["sort"] = (max(sorts) + 1) if sorts else 1''',
    '''                values["sort"] = len(sorts) + 1''')

variant(
    "put_resets_unsent_fields", "DOC",
    "`PUT …/calendars/{calendar_id}` | partial update: only the keys sent change",
    "PUT merges the sent keys over the creation defaults, so every defaulted field not sent (publicname, address, zipcode, city, calendarset_id, timings, deleted) is reset.",
    '''                rec.update(values)
                rec["updated_at"] = now_str()''',
    '''                rec.update(dict(DEFAULTS, **values))
                rec["updated_at"] = now_str()''')

variant(
    "put_keeps_updated_at", "DOC",
    "`PUT …/calendars/{calendar_id}` | 200 with the whole calendar; `updated_at` refreshed",
    "PUT applies the change but never refreshes `updated_at`.",
    '''                rec.update(values)
                rec["updated_at"] = now_str()''',
    '''                rec.update(values)''')

variant(
    "restore_ignored", "DOC",
    "restore: `PUT` with `{\"calendar\": {\"deleted\": false}}` | `deleted` back to false",
    "On PUT a `deleted: false` is validated but dropped, so a restore answers 200 and the calendar stays deleted (POST and `deleted: true` unaffected).",
    '''                errors.append((key, "must be a boolean (true or false)"))
                continue
            values[key] = v''',
    '''                errors.append((key, "must be a boolean (true or false)"))
                continue
            if v or creating:
                values[key] = v''')

variant(
    "delete_removes", "DOC",
    "`DELETE …/calendars/{calendar_id}` | soft delete: `deleted` becomes true, nothing is removed",
    "DELETE answers 200 with the calendar marked deleted but removes it from the store (later GET 404, gone from the list).",
    '''                rec["deleted"] = True
                rec["updated_at"] = now_str()
                out = public(rec)''',
    '''                rec["deleted"] = True
                rec["updated_at"] = now_str()
                out = public(rec)
                del STORE.calendars[cid]''')

variant(
    "delete_twice_404", "DOC",
    "`DELETE …/calendars/{calendar_id}` | soft delete ...; 200 with the calendar; idempotent",
    "DELETE of an already soft-deleted calendar answers 404 instead of 200.",
    '''            elif method == "DELETE":
                rec["deleted"] = True''',
    '''            elif method == "DELETE":
                if rec["deleted"]:
                    raise ApiError(404, "calendar not found")
                rec["deleted"] = True''')

variant(
    "refused_put_changes_state", "ASM",
    "invalid input (... string over its limit, unknown key, ...) | 400 with a JSON body naming the field and the problem; **state unchanged**",
    "When a PUT body fails validation, its string fields are written to the calendar before the 400 is sent (fields saved one by one, validation after).",
    '''            values = validate_calendar_body(body_obj, creating=(method == "POST"))''',
    '''            try:
                values = validate_calendar_body(body_obj, creating=(method == "POST"))
            except ApiError:
                if (method == "PUT" and isinstance(body_obj, dict)
                        and isinstance(body_obj.get("calendar"), dict)):
                    g, c = path_int(m.group(1)), path_int(m.group(2))
                    with STORE.lock:
                        rec = STORE.calendars.get(c)
                        if (rec is not None and rec["group_id"] == g
                                and g in USERS[email][1]):
                            for k, v in body_obj["calendar"].items():
                                if k in STR_FIELDS and isinstance(v, str):
                                    rec[k] = v
                raise''')

variant(
    "method_not_served_404", "DOC",
    "a method a path does not serve | 405",
    "A method the path does not serve (e.g. DELETE on the collection, POST on a member) answers 404 without an Allow header.",
    '''            raise ApiError(405, "method %s not allowed on this resource" % method,
                           headers={"Allow": ALLOW[route]})''',
    '''            raise ApiError(404, "no route for %s" % method)''')

# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
variant(
    "string_limit_off_by_one", "DOC",
    "`name` string ≤255; `publicname` string ≤255; `address` ≤255, `zipcode` ≤16, `city` ≤64 [400 on a string over its limit]",
    "Length check uses `> limit + 1`, so a string exactly one character over its limit (256-char name, 17-char zipcode, ...) is accepted and stored.",
    '''            if len(v) > STR_LIMITS[key]:''',
    '''            if len(v) > STR_LIMITS[key] + 1:''')

variant(
    "bool_accepted_as_integer", "ASM",
    "Integers follow JSON Schema: `101.0` is the integer 101; `1.5`, `\"12\"`, `true` are wrong types",
    "JSON `true`/`false` given for an integer field is coerced to 1/0 and stored instead of 400.",
    '''    if isinstance(v, bool):
        return None
    if isinstance(v, int):''',
    '''    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):''')

variant(
    "negative_timing_accepted", "ASM",
    "invalid input (... negative timing value) | 400 ...",
    "Only `generate_interval` is checked for negatives; a negative `mintime_rdv`, `maxrdv_period` or `mintime_annulation` is stored.",
    '''            if key in TIMING and iv < 0:''',
    '''            if key == "generate_interval" and iv < 0:''')

variant(
    "empty_name_on_put_accepted", "ASM",
    "invalid input (... empty `name` ...) | 400 ...",
    "The empty-name check runs only on create; `PUT {\"calendar\": {\"name\": \"\"}}` blanks the name with 200.",
    '''            if key == "name" and v == "":''',
    '''            if key == "name" and v == "" and creating:''')

variant(
    "unknown_key_ignored", "ASM",
    "invalid input (... unknown key ...) | 400 ...",
    "Unknown keys inside `calendar` are silently dropped instead of refused.",
    '''            errors.append((key, "unknown field"))
            continue''',
    '''            continue''')

variant(
    "bad_json_500", "DOC",
    "invalid input (bad JSON, ...) | 400 with a JSON body naming the field and the problem",
    "A POST/PUT body that is not valid JSON lets the parser error escape: 500 instead of 400.",
    '''                raise bad("body", "malformed JSON: " + body_err)''',
    '''                raise ApiError(500, "internal server error: " + body_err)''')

# ---------------------------------------------------------------------------
# What real clients send
# ---------------------------------------------------------------------------
variant(
    "get_with_content_type_400", "INF",
    "`Content-Type: application/json` on GET and DELETE with no body | ignored, no 400/415",
    "A GET or DELETE carrying a Content-Type header but no body is refused with 400 'empty body'.",
    '''        if too_big:
            raise bad("body", "request body larger than 1 MB")''',
    '''        if too_big:
            raise bad("body", "request body larger than 1 MB")
        if method in ("GET", "DELETE") and self.headers.get("Content-Type") and not body_raw:
            raise bad("body", "Content-Type given but the body is empty")''')

variant(
    "second_question_mark_500", "INF",
    "a second `?` glued into the query (`...?intervention_ids[]=21?format=json`) | no crash; a clear 400 at worst",
    "A query containing a second `?` makes the query parser fail with 500 Internal Server Error.",
    '''    raw_query = raw_query.replace("?", "&")''',
    '''    if "?" in raw_query:
        raise ApiError(500, "internal server error")''')


def main():
    with open(SRC, encoding="utf-8") as f:
        src = f.read()
    os.makedirs(OUT, exist_ok=True)
    names = set()
    index = []
    for v in V:
        assert v["name"] not in names, v["name"]
        names.add(v["name"])
        n = src.count(v["old"])
        assert n == 1, "%s: text to replace occurs %d times" % (v["name"], n)
        out = src.replace(v["old"], v["new"])
        assert out != src
        compile(out, v["name"] + ".py", "exec")
        with open(os.path.join(OUT, v["name"] + ".py"), "w", encoding="utf-8") as f:
            f.write(out)
        index.append({k: v[k] for k in ("name", "rule", "tag", "change")})
    with open(os.path.join(OUT, "index.json"), "w", encoding="utf-8") as f:
        json.dump(index, f, ensure_ascii=False, indent=2)
        f.write("\n")
    print("wrote %d variants to %s" % (len(index), OUT))


if __name__ == "__main__":
    sys.exit(main())
