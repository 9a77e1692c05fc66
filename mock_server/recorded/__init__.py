"""Recorded traffic (HAR 1.2) read as Calendar API calls, and turned into seed data.

    har.py      reading a HAR file: its entries that are API calls, in time order
    calls.py    one recorded call; masked secrets (apikey, Basic password, pro[password],
                _session_id) are unknown
    seed.py     the seed data those calls show, checked as the mock checks a seed
    before.py   a calendar first seen after a write to it, as known before that write
    totals.py   lists that counted more calendars than the recording shows (pages not read)
    command.py  `calendar-mock seed-from-har`

Nothing here imports Flask or the contract suite: `calendar-contract replay` reads HAR files
through `har.py` too.
"""

# What a seed read from a recording uses where the recording masks a value (light: the CLI
# reads these before it imports anything heavy).
PLACEHOLDER_PASSWORD = "recorded-password"
PLACEHOLDER_APIKEY = "recorded-apikey"
PLACEHOLDER_USER = "recorded-user@example.invalid"
STATES = ("last-seen", "before")  # every calendar as last seen; or as first seen, before the recording
