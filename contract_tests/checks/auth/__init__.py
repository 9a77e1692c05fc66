"""The auth and isolation layer: who may call, and what a user may reach."""

from . import credentials, isolation  # noqa: F401 - registration by import
