"""Serving a mock over HTTP: the `calendar-mock` command, waitress (also in a thread, for
tests), granian with its RSGI bridge (also in a thread), and how a stop ends the process; and
serving the contract proxy (`calendar-mock proxy`, mock_server.proxy) the same way."""
