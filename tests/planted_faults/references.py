"""Faults in what calendars refer to: interventions and calendarsets."""

from __future__ import annotations

import dataclasses

from flask import Flask

from mock_server.calendars.listing import ListQuery, Page

from .catalogue import fault
from .plumbing import store_of
from .probe_client import GROUP


def _interventions(api, *query) -> list[int] | int:
    answer = api.call("GET", f"/api/v1/groups/{GROUP}/interventions", (("results", "all"), *query))
    return [r["id"] for r in answer.body["records"]] if answer.status == 200 else answer.status


@fault("resources.interventions", layer="semantic",
       probe=lambda api: api.call("GET", f"/api/v1/groups/{GROUP}/interventions/23").status)
def intervention_show_lost(app: Flask) -> None:
    """GET …/interventions/{id} answers 404 for interventions the list holds."""
    store = store_of(app)
    original = store.get_intervention
    store.get_intervention = lambda group_id, intervention_id: original(group_id, -intervention_id)


@fault("resources.intervention-calendars", layer="semantic",
       probe=lambda api: _interventions(api, ("calendar_ids[]", 5)))
def calendar_filter_of_interventions_drifts(app: Flask) -> None:
    """interventions?calendar_ids[]=c reads calendar c + 1: the two filters no longer read one association."""
    store = store_of(app)
    original = store.list_interventions

    def drifted(group_id: int, query: ListQuery, calendar_ids=(), interventionset_id=None) -> Page:
        return original(group_id, query, tuple(cid + 1 for cid in calendar_ids), interventionset_id)

    store.list_interventions = drifted


@fault("resources.calendarset-of-group", layer="semantic",
       probe=lambda api: [r["id"] for r in api.call(
           "GET", f"/api/v1/groups/{GROUP}/calendarsets").body["records"]])
def calendarsets_list_misses_one(app: Flask) -> None:
    """The calendarsets list leaves out calendarset 12, which calendars of the group name."""
    store = store_of(app)
    original = store.list_calendarsets

    def missing(group_id: int, query: ListQuery) -> Page:
        page = original(group_id, dataclasses.replace(query, results=None, start_index=0))
        kept = [record for record in page.records if record["id"] != 12]
        return dataclasses.replace(page, records=kept, total=len(kept))

    store.list_calendarsets = missing
