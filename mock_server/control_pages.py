"""The control plane's pages, for people (a blueprint inside control.py's, under /_mock):

    GET /_mock/docs                 the spec, rendered by Swagger UI, "Try it out" calling this
                                    mock, authorised with the seed's first apikey and user
    GET /_mock/                     the dashboard: the live journal, the data per group, the
                                    faults and the profile, with reset and clear-faults buttons
    GET /_mock/dashboard/summary    the dashboard's summary alone, which its script polls

`?namespace=NAME` shows a namespace's (the page's script then sends `X-Mock-Namespace`, as a
browser cannot on a link). Jinja escapes every value; the scripts write what the mock
recorded with textContent only (a journaled path is whatever a client sent). Swagger UI's
files come from the flask-swagger-ui package and are served here: no CDN, works offline.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import flask_swagger_ui
from calendar_spec import profiles
from flask import Blueprint, Response, render_template, request, send_from_directory

from .control_io import current_mock, namespaces
from .namespaces import DEFAULT, HEADER
from .state import MockState

SWAGGER_UI = Path(flask_swagger_ui.__file__).parent / "dist"
PAGES = Path(__file__).parent / "pages"
pages = Blueprint("pages", __name__, template_folder=PAGES / "templates", static_folder=PAGES / "static",
                  static_url_path="/pages")


@pages.get("/docs")
def docs() -> str:
    name, mock = _page_mock()
    data = mock.store.dump()
    user = next(iter(mock.store.seed_credentials()), {})
    login = {"apikey": next(iter(data["apikeys"]), ""), "email": user.get("email", ""),
             "password": user.get("password", ""), "group_id": user.get("group_id")}
    return render_template("docs.html", namespace=name, login=login)


@pages.get("/docs/swagger-ui/<path:name>")
def swagger_ui(name: str) -> Response:
    return send_from_directory(SWAGGER_UI, name)


@pages.get("/")
def dashboard() -> str:
    name, mock = _page_mock()
    return render_template("dashboard.html", namespace=name, **summary(mock))


@pages.get("/dashboard/summary")
def dashboard_summary() -> str:
    return render_template("summary.html", **summary(_page_mock()[1]))


def _page_mock() -> tuple[str, MockState]:
    """The namespace a page is for: `?namespace=`, else the request's (its header's)."""
    name = request.args.get("namespace", "").strip()
    if name:
        return name, namespaces().get(name).state
    return request.headers.get(HEADER, DEFAULT).strip(" \t"), current_mock()


def summary(mock: MockState) -> dict[str, Any]:
    """What the dashboard shows besides the journal: the data per group, faults, profile, clock."""
    data = mock.store.dump()
    calendars = Counter(calendar["group_id"] for calendar in data["calendars"])
    deleted = Counter(calendar["group_id"] for calendar in data["calendars"] if calendar["deleted"])
    calendarsets = Counter(item["group_id"] for item in data["calendarsets"])
    interventions = Counter(item["group_id"] for item in data["interventions"])
    users = Counter(group_id for user in data["users"] for group_id in user["group_ids"])
    groups = [{"id": group["id"], "name": group.get("name", ""), "calendars": calendars[group["id"]],
               "deleted": deleted[group["id"]], "calendarsets": calendarsets[group["id"]],
               "interventions": interventions[group["id"]], "users": users[group["id"]]}
              for group in data["groups"]]
    answers = mock.settings.as_dict()
    profile = next((name for name in profiles.BUILTIN if profiles.builtin(name).answers == answers), "custom")
    return {"groups": groups, "faults": mock.faults.list(), "profile": profile,
            "differs": mock.settings.differs(), "clock": mock.clock.describe(),
            "sessions": data["sessions"]}
