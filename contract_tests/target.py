"""Where calibrate and diff send their requests: a deployment by URL, a WSGI app, or the kit's
mock started in-process (answering as a profile), the demo credentials filling what is not given."""

from __future__ import annotations

from typing import Any

from .http import HttpTransport, Transport, WsgiTransport
from .model import DEMO
from .pacing import PacedTransport, RateLimiter


def open_transport(base_url: str | None, app: Any, profile: Any, credentials: dict[str, Any]
                   ) -> tuple[Transport, dict[str, Any], bool]:
    """(transport, credentials, whether the kit's mock was started here). Starting the mock with a
    bad profile raises calendar_spec's ProfileError (or ValueError)."""
    if base_url:
        # A deployment's busy answers (429, 503) are waited out, as in a contract run: else one
        # would stand for the answer to the question it probed.
        return PacedTransport(HttpTransport(base_url), RateLimiter(None)), credentials, False
    if app is not None:
        return WsgiTransport(app), credentials, False
    from mock_server import create_app  # only when a run targets the kit's own mock

    app = create_app(profile=profile)
    filled = {key: DEMO[key] if value in (None, "") else value for key, value in credentials.items()}
    return WsgiTransport(app), filled, True


def profile_name(profile: Any) -> str:
    """How a profile given as a Profile, a dict, a built-in name or a path is named in a report."""
    if isinstance(profile, dict):
        return str(profile.get("name") or "custom")
    if isinstance(profile, str):
        return profile
    return str(getattr(profile, "name", None) or "custom")
