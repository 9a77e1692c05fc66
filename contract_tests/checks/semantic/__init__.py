"""The semantic layer: CONTRACT.md's business rules as properties, one module per area.

Importing this package registers the checks (see `contract_tests.registry`); `MODULES` is
the run order (the sweeps over every response run last, whatever their place).
"""

import importlib

MODULES = (
    "transport",
    "listing",
    "paging",
    "filters",
    "references",
    "conditions",
    "show",
    "create",
    "update",
    "delete",
    "invalid",
    "notfound",
    "methods",
    "clients",
    "sweep",
)

for _module in MODULES:
    importlib.import_module(f"{__name__}.{_module}")
