"""Serving a mock over HTTP: the `calendar-mock` command, waitress (also in a thread, for
tests), granian with its RSGI bridge, and how a stop ends the process."""
