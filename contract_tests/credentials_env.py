"""Credentials from the environment: on a shared CI runner every process can read another's
command line (`ps`), not its environment. With --base-url, a credential the command line leaves
out is read from CLICRDV_APIKEY, CLICRDV_USER, CLICRDV_PASSWORD (and CLICRDV_OTHER_USER,
CLICRDV_OTHER_PASSWORD for `run`'s second identity). Without --base-url they are ignored: the
kit's own mock takes the demo credentials, whatever the shell exports."""

from __future__ import annotations

import argparse
import os

VARIABLES = {"apikey": "CLICRDV_APIKEY", "user": "CLICRDV_USER", "password": "CLICRDV_PASSWORD",
             "other_user": "CLICRDV_OTHER_USER", "other_password": "CLICRDV_OTHER_PASSWORD"}
# What each command's --apikey and --password say of it.
HELP = ("with --base-url, if left out: from the environment ("
        + ", ".join(VARIABLES[option] for option in ("apikey", "user", "password"))
        + "), off the command line")


def fill(args: argparse.Namespace, prefix: str = "") -> None:
    """Set each credential option of `args` that is absent from its variable, when it has one.
    `prefix`: the options of another side (diff's `against_`), read from the same variables
    when that side has a base URL."""
    if not getattr(args, f"{prefix}base_url", None):
        return
    for option, variable in VARIABLES.items():
        name = f"{prefix}{option}"
        if hasattr(args, name) and getattr(args, name) is None and os.environ.get(variable):
            setattr(args, name, os.environ[variable])
