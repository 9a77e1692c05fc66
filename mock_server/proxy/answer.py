"""An upstream answer as the rules read it, and what they share: the contract's calendar fields,
the defaults of an omitted one, and the checks every kind of answer makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from calendar_spec import load_spec
from calendar_spec.walk import merged

from .findings import Findings, Level
from .request_check import RequestVerdict

NOT_JSON = object()  # no body, or one that does not parse
UNREAD = object()  # a body not judged: too large to keep, or compressed
READ_ONLY = ("id", "created_at", "updated_at")
INT32 = (-(2**31), 2**31 - 1)
TEXTS = ("address", "zipcode", "city")
CALENDAR_FIELDS = tuple(merged(load_spec("strict"), {"$ref": "#/components/schemas/Calendar"})["properties"])


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None  # None: too large to keep
    json: Any = NOT_JSON

    @property
    def is_json(self) -> bool:
        return self.json is not NOT_JSON and self.json is not UNREAD

    @property
    def has_body(self) -> bool:
        return self.body is None or bool(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)

    def all(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()


@dataclass(frozen=True)
class Defaults:
    """The defaults of an omitted field: documented (create.defaults) and assumed (the rest)."""

    documented: dict[str, Any]
    assumed: dict[str, Any]

    @classmethod
    def of(cls, level: Level) -> Defaults:
        documented, strict = _defaults("documented"), _defaults("strict")
        return cls(documented, {k: v for k, v in strict.items() if k not in documented})


def _defaults(view: str) -> dict[str, Any]:
    spec = load_spec(view)
    fields = merged(spec, {"$ref": "#/components/schemas/Calendar"})["properties"]
    return {name: node["default"] for name, prop in fields.items()
            if "default" in (node := merged(spec, prop))}


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def single_arg(verdict: RequestVerdict, name: str) -> str | None:
    values = verdict.args.get(name) or []
    return values[0] if len(values) == 1 else None


def deleted_output(findings: Findings, calendar: dict[str, Any]) -> None:
    wanted, flag = findings.level.answer("deleted_output"), calendar.get("deleted")
    if wanted and flag is not None:
        findings.expect("profile.deleted_output", isinstance(flag, bool) == (wanted == "boolean"),
                        f"deleted is {flag!r}, the profile says {wanted}", "body.deleted")
