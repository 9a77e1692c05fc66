"""An in-memory, stateful mock of the ClicRDV REST API v1 Calendar resource, driven by spec/."""

from .app import create_app, mock_of

__all__ = ["create_app", "mock_of"]
