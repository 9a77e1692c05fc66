"""An in-memory, stateful mock of the ClicRDV REST API v1 Calendar resource, driven by spec/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app, mock_of

__all__ = ["create_app", "mock_of"]


def __getattr__(name: str) -> Any:
    """`create_app` and `mock_of` on first use: the granian supervisor never imports Flask."""
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
