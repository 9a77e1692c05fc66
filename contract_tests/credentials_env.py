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


def value_of(option: str) -> str | None:
    """The environment's value for a credential option (`apikey`...), or None."""
    variable = VARIABLES.get(option)
    return (os.environ.get(variable) or None) if variable else None


def fill(args: argparse.Namespace) -> None:
    """Set each credential option of `args` that is absent from its variable, when it has one."""
    if not getattr(args, "base_url", None):
        return
    for option in VARIABLES:
        if hasattr(args, option) and getattr(args, option) is None:
            setattr(args, option, value_of(option))
