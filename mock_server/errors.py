"""The one exception hierarchy of the mock; app.py turns it into the JSON error body."""

from __future__ import annotations

# Appended to the message of a refused query value that holds a second "?" (a client habit).
SECOND_QUESTION_MARK_HINT = " (the query has a second '?': separate parameters with '&')"


class ApiError(Exception):
    """A request the API refuses: `status`, a human sentence, and problems per field."""

    status = 400

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}

    def body(self) -> dict:
        body: dict = {"error": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body

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


class MethodNotAllowed(ApiError):
    status = 405

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(f"{method} is not available for this resource; use {', '.join(allowed)}")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class SeedError(ValueError):
    """Seed data that cannot be loaded (unknown references, invalid records)."""
