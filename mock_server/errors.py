"""The one error tree of the mock, and the one function that turns an error into a reply.

Every refusal - of an API request, of a control-plane request, of seed data, of a fault or a
setting - is an `ApiError`: a status, a human sentence, and problems per field. The API, the
control plane and the servers all answer one with `error_reply`.
"""

from __future__ import annotations

from typing import Any

from .replies import Reply

# Appended to the message of a refused query value that holds a second "?" (a client habit).
SECOND_QUESTION_MARK_HINT = " (the query has a second '?': separate parameters with '&')"


class ApiError(Exception):
    """A request the mock refuses: `status`, a human sentence, and problems per field."""

    status = 400
    refuses_request = True  # a 4xx of this kind says the request itself is wrong (the journal's refusals)

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def headers(self) -> dict[str, str]:
        return {}


class BadRequest(ApiError):
    status = 400

    @classmethod
    def field(cls, field: str, problem: str) -> BadRequest:
        return cls(f"{field} {problem}", {field: [problem]})


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class NoSuchPath(NotFound):
    """A path the spec does not serve: the API's 404, unless a route added to the app serves it."""


class NoSuchRecord(NotFound):
    """A well-formed request for a record the data does not hold: a 404, but not a request
    the spec refuses (it is left out of the journal's refusals)."""

    refuses_request = False


class MethodNotAllowed(ApiError):
    status = 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not available for this resource; use {', '.join(allowed)}")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class InternalError(ApiError):
    """What the mock answers when it breaks (the reason is in its log, never in the answer)."""

    status = 500

    def __init__(self) -> None:
        super().__init__("internal error in the mock; see its log")


class InjectedError(ApiError):
    """The answer of an `error` fault, with the headers it asks for (Retry-After, ...)."""

    def __init__(self, fault_id: int, status: int, headers: dict[str, str] | None = None) -> None:
        what = "the server failed" if status >= 500 else "the request was refused"
        super().__init__(f"injected fault {fault_id}: {what} ({status})")
        self.status = status
        self._headers = headers or {}

    def headers(self) -> dict[str, str]:
        return self._headers


class _Refused(BadRequest, ValueError):
    """Input the control plane cannot take (`label`, its field `key`); str() is the problem."""

    label = key = "input"

    def __init__(self, problem: str) -> None:
        super().__init__(f"{self.label} refused: {problem}", {self.key: [problem]})
        self.problem = problem

    def __str__(self) -> str:
        return self.problem


class SeedError(_Refused):
    """Seed data that cannot be loaded (unknown references, invalid records); nothing changed."""

    label, key = "seed data", "seed"


class FaultSpecError(_Refused):
    """A fault description the injector refuses; nothing was added."""

    label = key = "fault"


class ClockError(BadRequest, ValueError):
    """A time or a shift the mock's clock cannot take; the clock did not change."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"clock refused: {field} {problem}", {field: [problem]})


class NamespaceError(BadRequest):
    """A namespace name the mock refuses, or one namespace too many; nothing was created."""

    def __init__(self, problem: str, field: str = "X-Mock-Namespace") -> None:
        super().__init__(f"{field} {problem}", {field: [problem]})


class SettingError(BadRequest, ValueError):
    """An unknown open question, or an answer it does not take; nothing changed."""


def error_reply(error: ApiError, settings: Any = None) -> Reply:
    """The one place a refusal becomes an answer: the kit's error body `{error, errors}`, or the
    shape the settings answer (`error_body: other`), with an Allow header on 405 unless the
    settings say it is omitted (`allow_header`). A 4xx that refuses the request carries its
    reason (status, message, problems per field) for the journal, whatever the body's shape."""
    allow = settings is None or settings.allow_header == "sent"
    headers = list(error.headers().items()) if allow else []
    refusal = ({"status": error.status, "message": error.message, "errors": error.errors}
               if error.status < 500 and error.refuses_request else None)
    if settings is not None and settings.error_body == "other":
        details = [{"field": field, "problem": problem}
                   for field, problems in error.errors.items() for problem in problems]
        return Reply(error.status, {"message": error.message, "code": error.status, "details": details},
                     headers, refusal)
    body: dict[str, Any] = {"error": error.message}
    if error.errors:
        body["errors"] = error.errors
    return Reply(error.status, body, headers, refusal)
