"""The catalogue: one Fault per deviation, registered by the `fault` decorator."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from calendar_spec import DOCUMENTED_TAGS, rules
from flask import Flask

from mock_server import create_app

from .probe_client import Api

LAYERS = ("conformance", "stateful", "semantic", "auth")
RULE_TAGS: dict[str, str] = {rule["id"]: rule["tag"] for rule in rules("strict")}

Plant = Callable[[Flask], Flask | None]
Probe = Callable[[Api], Any]


@dataclasses.dataclass(frozen=True)
class Fault:
    """One deviation, and the one rule a contract run must name for it at each level: `rule`
    at strict, `documented_rule` at documented (None: the fault breaks an assumption of ours
    only, and a documented run must pass it)."""

    name: str
    rule: str
    documented_rule: str | None
    layer: str
    plant: Plant
    probe: Probe
    summary: str

    @property
    def documented(self) -> bool:
        """True when the suite must catch this fault at documented level too."""
        return self.documented_rule is not None

    def intended(self, level: str) -> str | None:
        return self.rule if level == "strict" else self.documented_rule

    def build(self, **create_app_kwargs: Any) -> Flask:
        """A fresh mock with this fault planted (keyword arguments go to `create_app`)."""
        app = create_app(**create_app_kwargs)
        return self.plant(app) or app


CATALOGUE: dict[str, Fault] = {}
_SAME: Any = object()


def fault(rule: str, *, layer: str, probe: Probe, documented: Any = _SAME) -> Callable[[Plant], Plant]:
    """Register the decorated plant function as a fault whose intended rule is `rule` (at
    documented level: `documented`, by default `rule` itself when it is a DOC or INF rule)."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}")
    if documented is _SAME:
        documented = rule if RULE_TAGS.get(rule) in DOCUMENTED_TAGS else None

    def register(plant: Plant) -> Plant:
        unknown = [r for r in (rule, documented) if r is not None and r not in RULE_TAGS]
        if unknown:
            raise ValueError(f"{plant.__name__}: unknown rule ids {unknown}")
        if documented is not None and RULE_TAGS[documented] not in DOCUMENTED_TAGS:
            raise ValueError(f"{plant.__name__}: {documented} is not a documented rule")
        if plant.__name__ in CATALOGUE:
            raise ValueError(f"fault {plant.__name__} is registered twice")
        summary = (plant.__doc__ or "").strip().splitlines()[0]
        CATALOGUE[plant.__name__] = Fault(plant.__name__, rule, documented, layer, plant, probe, summary)
        return plant

    return register
