"""Probes of what calendars refer to: whether soft-deleted interventions are listed.

Calibrate cannot soft-delete an intervention (the kit describes no write of them), so it looks
for one the deployment holds: one the list shows with `deleted` true, else one GET finds at an
id the list skips; then the list is read again, sorted the other way, for a second look.
"""

from __future__ import annotations

from typing import Any

from ..model import deleted_flag
from .registry import Reading, Unsettled, probe
from .session import Session

MAX_GAPS = 30


def _interventions(session: Session, params: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], Any]:
    exchange = session.api.list([*params, ("results", "all")], operation="listInterventions")
    body = exchange.json()
    if exchange.status != 200 or not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise Unsettled(f"the interventions list answered {exchange.summary()}", [exchange])
    return [r for r in body["records"] if isinstance(r, dict) and isinstance(r.get("id"), int)], exchange


@probe("deleted_interventions", writes=False)
def deleted_interventions(session: Session) -> list[Reading]:
    records, listing = _interventions(session, [])
    shown = [r for r in records if deleted_flag(r, booleans_only=False)]
    if shown:
        target = shown[0]
        first = Reading("listed", f"the interventions list shows soft-deleted intervention {target['id']}",
                        [listing])
    else:
        ids = {r["id"] for r in records}
        gaps = [i for i in range(min(ids, default=1), max(ids, default=0) + MAX_GAPS + 1)
                if i not in ids][:MAX_GAPS]
        target = first = None
        for intervention_id in gaps:
            exchange = session.api.show_one("getIntervention", intervention_id)
            body = exchange.json()
            if exchange.status == 200 and isinstance(body, dict) and deleted_flag(body, booleans_only=False):
                target = body
                first = Reading("hidden", f"intervention {intervention_id} is soft-deleted (GET) and not in "
                                "the interventions list", [exchange, listing])
                break
        if target is None or first is None:
            raise Unsettled("no soft-deleted intervention to look for: the list shows none, and none of the "
                            f"{len(gaps)} ids it skips is one", [listing])
    again, exchange = _interventions(session, [("sort", "id"), ("dir", "desc")])
    answer = "listed" if target["id"] in {r["id"] for r in again} else "hidden"
    return [first, Reading(answer, f"sort=id&dir=desc {'lists' if answer == 'listed' else 'omits'} "
                           f"intervention {target['id']}", [exchange])]
